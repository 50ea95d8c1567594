"""Quality benchmark: distilled students against hard-label students.

For each data set a torch teacher is trained with fixed seeds (and cached
under ``benchmarks/.cache``); each student is then fitted four ways:

- ``hard``: the scikit-learn model on the true labels;
- ``soft``: the distilled student on the teacher's soft labels alone, at its
  default temperature, no augmentation;
- ``noise``, ``munge``, ``mixup``: the distilled student with that
  augmentation, its temperature and strength tuned by ``GridSearchCV``
  (3-fold, accuracy) on the training rows.

Trees are shown with both criteria: scikit-learn's default ``gini`` and
``entropy``; each distilled tree uses the criterion of its row. The table
gives test accuracy, fidelity (agreement with the teacher on the test rows)
and the fraction of the gap between the hard-label student (scikit-learn's
default, Gini for trees) and the teacher that the student closes.

The regression table (``--task regression``) distils a torch MLP regressor
on scikit-learn's diabetes data and on ``make_friedman1`` (n = 5 000, noise
1.0) into ``Ridge`` and depth-4 and depth-8 ``DecisionTreeRegressor``:

- ``hard``: the scikit-learn model fitted on y, tuned as a user would
  (``alpha`` of Ridge, ``min_samples_leaf`` of a tree, by 3-fold
  ``GridSearchCV`` on R²);
- ``teacher``: ``DistilledRegressor`` on the teacher's predictions, with the
  same student grid and ``alpha`` (the weight of y) in {0, 0.5};
- ``noise``, ``munge``, ``mixup``: the same plus that augmentation
  (``n_copies=10``) and its strength in the grid.

It prints test R², fidelity R² (the student's R² against the teacher on the
test rows) and the fraction of the gap between the hard-label model and the
teacher that the student closes.

The neural-student table (``--task neural``) distils the digits CNN and the
breast-cancer MLP into ``DistilledMLPClassifier`` networks of one hidden
layer of 8, 16 and 32 units, against scikit-learn's ``MLPClassifier`` of the
same size trained on the labels to convergence (``max_iter=2000``): the soft
targets alone, with ``alpha=0.5``, and with Gaussian-noise rows (10 copies)
at temperatures 1 and 4 (digits; 2 on breast cancer), drawn once, and drawn
afresh each epoch at the higher temperature (``--variants redrawn`` runs
those alone), with 30 noise copies at ``T=2`` (``--variants x30``) and
with 10 at a learning rate of 3e-3 (``--variants lr=``), each over 5 seeds
(initial weights and row order), reported as mean and spread (standard
deviation) of the test accuracy, with the fraction of the gap between the
baseline's mean and the teacher closed by the mean.

``--task teachers`` asks whether breast cancer has a teacher better than
the hard-label networks: tuned SVC and logistic regression, gradient
boosting and a random forest against ``MLPClassifier`` of 8, 16 and 32
units, over 5 stratified splits.

Run ``python benchmarks/quality.py`` (about 55 minutes on 2 cores),
``--task regression`` for the regression table alone (about 5 minutes), or
``--quick`` for a smoke run on one small data set of each task.
"""

import argparse
import time
from pathlib import Path

import numpy as np
import torch
from sklearn.base import clone
from sklearn.datasets import (
    load_breast_cancer,
    load_diabetes,
    load_digits,
    load_wine,
    make_classification,
    make_friedman1,
)
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.metrics import r2_score
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from skdistill import (
    DistilledDecisionTree,
    DistilledLogisticRegression,
    DistilledMLPClassifier,
    DistilledRegressor,
    TorchTeacher,
)
from skdistill.augment import GaussianNoise, Mixup, Munge

CACHE = Path(__file__).resolve().parent / ".cache"
SEED = 0

# Augmentations and the strength grids GridSearchCV tunes, with temperature.
AUGMENTATIONS = {
    "noise": (GaussianNoise(random_state=0), {"augment__scale": [0.2, 0.4]}),
    "munge": (Munge(random_state=0), {"augment__p_swap": [0.5, 0.8]}),
    "mixup": (Mixup(random_state=0), {"augment__alpha": [0.4, 1.0]}),
}
TEMPERATURES = [1.0, 3.0]


def load(name):
    if name == "synthetic":
        return make_classification(
            20_000,
            20,
            n_informative=12,
            n_redundant=4,
            n_classes=5,
            n_clusters_per_class=2,
            class_sep=1.0,
            random_state=SEED,
        )
    loader = {
        "digits": load_digits,
        "digits (CNN)": load_digits,
        "breast cancer": load_breast_cancer,
        "wine": load_wine,
    }[name]
    return loader(return_X_y=True)


def network(name, n_features, n_classes):
    torch.manual_seed(SEED)
    nn = torch.nn
    if name == "digits (CNN)":
        return nn.Sequential(
            nn.Unflatten(1, (1, 8, 8)),
            nn.Conv2d(1, 16, 3, padding=1),
            nn.ReLU(),
            nn.Conv2d(16, 32, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Flatten(),
            nn.Linear(32 * 4 * 4, n_classes),
        )
    return nn.Sequential(
        nn.Linear(n_features, 256),
        nn.ReLU(),
        nn.Linear(256, 256),
        nn.ReLU(),
        nn.Linear(256, n_classes),
    )


def train_teacher(name, X, y):
    """The data set's network, trained with fixed seeds or read from the cache."""
    model = network(name, X.shape[1], len(np.unique(y)))
    path = CACHE / f"{name.replace(' ', '_').replace('(', '').replace(')', '')}.pt"
    if path.exists():
        model.load_state_dict(torch.load(path))
        return model.eval()
    generator = torch.Generator().manual_seed(SEED)
    inputs = torch.as_tensor(X, dtype=torch.float32)
    targets = torch.as_tensor(y)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=1e-4)
    epochs = 30 if len(X) > 5000 else 150
    for _ in range(epochs):
        order = torch.randperm(len(X), generator=generator)
        for batch in order.split(64):
            optimizer.zero_grad()
            logits = model(inputs[batch])
            torch.nn.functional.cross_entropy(logits, targets[batch]).backward()
            optimizer.step()
    CACHE.mkdir(exist_ok=True)
    torch.save(model.state_dict(), path)
    return model.eval()


def students(teacher):
    """(student, criterion shown, hard-label model, distilled model)."""
    yield (
        "logistic",
        LogisticRegression(max_iter=5000),
        DistilledLogisticRegression(teacher, max_iter=5000),
    )
    for depth in (3, 5, 8):
        for criterion in ("gini", "entropy"):
            params = {"max_depth": depth, "criterion": criterion, "random_state": 0}
            yield (
                f"tree depth {depth} {criterion}",
                DecisionTreeClassifier(**params),
                DistilledDecisionTree(teacher, **params),
            )


def evaluate(model, X_test, y_test, teacher_pred):
    return model.score(X_test, y_test), np.mean(model.predict(X_test) == teacher_pred)


def run(names, rows):
    print(
        "| data | student | fit | T | strength | accuracy | fidelity | gap closed |"
        "\n|---|---|---|---|---|---|---|---|",
        flush=True,
    )
    for name in names:
        X, y = load(name)
        X_train, X_test, y_train, y_test = train_test_split(
            X, y, test_size=0.3, stratify=y, random_state=SEED
        )
        scaler = StandardScaler().fit(X_train)
        X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
        if rows:
            X_train, y_train = X_train[:rows], y_train[:rows]
        teacher = TorchTeacher(train_teacher(name, X_train, y_train), device="cpu")
        teacher_pred = teacher.predict_logits(X_test).argmax(axis=1)
        teacher_acc = np.mean(teacher_pred == y_test)
        print(f"| {name} | teacher | | | | {teacher_acc:.3f} | 1.000 | |", flush=True)
        baseline = {}
        for student, hard, distilled in students(teacher):
            start = time.perf_counter()
            results = [("hard", "", "", hard.fit(X_train, y_train))]
            results.append(("soft", distilled.temperature, "", distilled.fit(X_train)))
            for aug, (augmenter, grid) in AUGMENTATIONS.items():
                search = GridSearchCV(
                    clone(distilled).set_params(augment=augmenter),
                    {"temperature": TEMPERATURES, **grid},
                    cv=3,
                )
                search.fit(X_train, y_train)
                best = search.best_params_
                strength = next(v for k, v in best.items() if k.startswith("augment"))
                results.append((aug, best["temperature"], strength, search))
            # The gap is measured from scikit-learn's default hard-label model.
            key = student.replace(" entropy", " gini")
            for fit, temperature, strength, model in results:
                accuracy, fidelity = evaluate(model, X_test, y_test, teacher_pred)
                if fit == "hard" and key == student:
                    baseline[key] = accuracy
                gap = teacher_acc - baseline[key]
                closed = (accuracy - baseline[key]) / gap if gap > 0 else float("nan")
                print(
                    f"| {name} | {student} | {fit} | {temperature} | {strength} "
                    f"| {accuracy:.3f} | {fidelity:.3f} | {closed:+.2f} |",
                    flush=True,
                )
            print(f"<!-- {name} {student}: {time.perf_counter() - start:.0f} s -->")


# Regression: the grids a user would search for each student, and the
# augmentations with the strengths tuned beside them.
RIDGE_ALPHAS = list(np.logspace(-3, 3, 7))
LEAF_SIZES = [1, 5, 20]
REGRESSION_AUGMENTATIONS = {
    "noise": (GaussianNoise(random_state=0), {"augment__scale": [0.1, 0.3]}),
    "munge": (Munge(random_state=0), {"augment__p_swap": [0.2, 0.5]}),
    "mixup": (Mixup(random_state=0), {"augment__alpha": [0.4, 1.0]}),
}


def load_regression(name):
    if name == "friedman1":
        return make_friedman1(5000, noise=1.0, random_state=SEED)
    return load_diabetes(return_X_y=True)


def train_regression_teacher(name, X, y):
    """An MLP on standardised y, early-stopped on a fifth of the rows.

    A last linear layer puts the output back on the scale of y, so the
    module predicts y. Cached like the classification teachers.
    """
    torch.manual_seed(SEED)
    nn = torch.nn
    body = nn.Sequential(
        nn.Linear(X.shape[1], 128),
        nn.Tanh(),
        nn.Linear(128, 128),
        nn.Tanh(),
        nn.Linear(128, 1),
    )
    mean, std = float(y.mean()), float(y.std())
    model = nn.Sequential(body, nn.Linear(1, 1))
    with torch.no_grad():
        model[1].weight.fill_(std)
        model[1].bias.fill_(mean)
    model[1].requires_grad_(False)
    path = CACHE / f"regression_{name}.pt"
    if path.exists():
        model.load_state_dict(torch.load(path))
        return model.eval()
    X_fit, X_val, y_fit, y_val = train_test_split(
        X, (y - mean) / std, test_size=0.2, random_state=SEED
    )
    inputs = torch.as_tensor(X_fit, dtype=torch.float32)
    targets = torch.as_tensor(y_fit, dtype=torch.float32)[:, None]
    val_inputs = torch.as_tensor(X_val, dtype=torch.float32)
    val_targets = torch.as_tensor(y_val, dtype=torch.float32)[:, None]
    optimizer = torch.optim.AdamW(body.parameters(), lr=1e-3, weight_decay=1e-3)
    generator = torch.Generator().manual_seed(SEED)
    best, best_state, patience = np.inf, None, 0
    for _ in range(2000):
        body.train()
        for batch in torch.randperm(len(inputs), generator=generator).split(64):
            optimizer.zero_grad()
            loss = torch.nn.functional.mse_loss(body(inputs[batch]), targets[batch])
            loss.backward()
            optimizer.step()
        body.eval()
        with torch.no_grad():
            val = float(torch.nn.functional.mse_loss(body(val_inputs), val_targets))
        if val < best - 1e-4:
            best, patience = val, 0
            best_state = {k: v.clone() for k, v in model.state_dict().items()}
        else:
            patience += 1
            if patience == 50:
                break
    model.load_state_dict(best_state)
    CACHE.mkdir(exist_ok=True)
    torch.save(model.state_dict(), path)
    return model.eval()


def regression_students():
    """(student, hard-label search, its grid) for each regression student."""
    yield "ridge", Ridge(), {"alpha": RIDGE_ALPHAS}
    for depth in (4, 8):
        yield (
            f"tree depth {depth}",
            DecisionTreeRegressor(max_depth=depth, random_state=0),
            {"min_samples_leaf": LEAF_SIZES},
        )


def run_regression(names, quick=False):
    print(
        "| data | student | fit | best parameters | test R² | fidelity R² "
        "| gap closed |\n|---|---|---|---|---|---|---|",
        flush=True,
    )
    for name in names:
        X, y = load_regression(name)
        X_train, X_test, y_train, y_test = train_test_split(
            X, y, test_size=0.3, random_state=SEED
        )
        scaler = StandardScaler().fit(X_train)
        X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
        module = train_regression_teacher(name, X_train, y_train)
        teacher = TorchTeacher(module, device="cpu", output="values")
        f_test = teacher.predict_values(X_test)[:, 0]
        teacher_r2 = r2_score(y_test, f_test)
        print(f"| {name} | teacher | | | {teacher_r2:.3f} | 1.000 | |", flush=True)
        for student, model, grid in regression_students():
            start = time.perf_counter()
            hard = GridSearchCV(model, grid, cv=3).fit(X_train, y_train)
            hard_r2 = r2_score(y_test, hard.predict(X_test))
            distilled = DistilledRegressor(model, teacher)
            student_grid = {f"student__{k}": v for k, v in grid.items()}
            fits = [("hard", hard)]
            augmentations = {} if quick else REGRESSION_AUGMENTATIONS
            for fit, (augment, augment_grid) in [
                ("teacher", (None, {})),
                *augmentations.items(),
            ]:
                search = GridSearchCV(
                    clone(distilled).set_params(augment=augment),
                    {"alpha": [0.0, 0.5], **student_grid, **augment_grid},
                    cv=3,
                )
                fits.append((fit, search.fit(X_train, y_train)))
            for fit, search in fits:
                predicted = search.predict(X_test)
                r2 = r2_score(y_test, predicted)
                gap = teacher_r2 - hard_r2
                closed = (r2 - hard_r2) / gap if gap > 0 else float("nan")
                best = ", ".join(f"{k}={v:g}" for k, v in search.best_params_.items())
                print(
                    f"| {name} | {student} | {fit} | {best} | {r2:.3f} "
                    f"| {r2_score(f_test, predicted):.3f} | {closed:+.2f} |",
                    flush=True,
                )
            print(f"<!-- {name} {student}: {time.perf_counter() - start:.0f} s -->")


NEURAL_SIZES = (8, 16, 32)
NEURAL_SEEDS = range(5)


def neural_variants(name):
    """(label, DistilledMLPClassifier parameters) of each distilled fit."""
    yield "soft, T=2", {"temperature": 2.0}
    yield "soft + alpha=0.5, T=2", {"temperature": 2.0, "alpha": 0.5}
    temperatures = (1.0, 4.0) if name.startswith("digits") else (2.0,)
    for T in temperatures:
        yield f"noise, T={T:g}", {"temperature": T, "augment": "noise"}
    T = temperatures[-1]
    yield (
        f"noise redrawn, T={T:g}",
        {"temperature": T, "augment": "noise", "redraw": True},
    )
    yield "noise x30, T=2", {"temperature": 2.0, "augment": GaussianNoise(n_copies=30)}
    yield (
        "noise lr=0.003, T=2",
        {"temperature": 2.0, "augment": "noise", "learning_rate_init": 3e-3},
    )


def run_neural(names, seeds=NEURAL_SEEDS, sizes=NEURAL_SIZES, only=None):
    """The neural-student table; ``only``: the distilled fits whose label
    holds this text (the baseline always runs)."""
    print(
        "| data | hidden | fit | accuracy mean | spread | fidelity | gap closed "
        "| fit s |\n|---|---|---|---|---|---|---|---|",
        flush=True,
    )
    for name in names:
        X, y = load(name)
        X_train, X_test, y_train, y_test = train_test_split(
            X, y, test_size=0.3, stratify=y, random_state=SEED
        )
        scaler = StandardScaler().fit(X_train)
        X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
        teacher = TorchTeacher(train_teacher(name, X_train, y_train), device="cpu")
        teacher_pred = teacher.predict_logits(X_test).argmax(axis=1)
        teacher_acc = np.mean(teacher_pred == y_test)
        print(f"| {name} | teacher | | {teacher_acc:.3f} | | 1.000 | | |", flush=True)
        for hidden in sizes:
            fits = [
                (
                    "MLPClassifier, labels",
                    lambda seed: MLPClassifier(
                        (hidden,), max_iter=2000, random_state=seed
                    ).fit(X_train, y_train),
                )
            ]
            for label, params in neural_variants(name):
                if only is not None and only not in label:
                    continue
                fits.append(
                    (
                        label,
                        lambda seed, params=params: DistilledMLPClassifier(
                            teacher,
                            hidden_layer_sizes=(hidden,),
                            random_state=seed,
                            **params,
                        ).fit(X_train, y_train),
                    )
                )
            baseline = None
            for label, fit in fits:
                accuracies, fidelities, seconds = [], [], []
                for seed in seeds:
                    start = time.perf_counter()
                    model = fit(seed)
                    seconds.append(time.perf_counter() - start)
                    accuracy, fidelity = evaluate(model, X_test, y_test, teacher_pred)
                    accuracies.append(accuracy)
                    fidelities.append(fidelity)
                mean = float(np.mean(accuracies))
                baseline = mean if baseline is None else baseline
                gap = teacher_acc - baseline
                closed = (mean - baseline) / gap if gap > 0 else float("nan")
                print(
                    f"| {name} | {hidden} | {label} | {mean:.4f} "
                    f"| {np.std(accuracies):.4f} | {np.mean(fidelities):.3f} "
                    f"| {closed:+.2f} | {np.mean(seconds):.1f} |",
                    flush=True,
                )


def run_teachers(name="breast cancer", splits=range(5)):
    """Candidate teachers against hard-label networks, over several splits.

    Is there a teacher better than the student's own hard-label fit? Tuned
    kernel and linear models and tree ensembles against ``MLPClassifier`` of
    8, 16 and 32 units (3 seeds each), mean test accuracy over stratified
    70/30 splits.
    """
    from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
    from sklearn.svm import SVC

    X, y = load(name)
    models = {
        "SVC, C tuned": lambda: GridSearchCV(SVC(), {"C": np.logspace(-2, 3, 11)}),
        "logistic regression, C tuned": lambda: GridSearchCV(
            LogisticRegression(max_iter=5000), {"C": np.logspace(-3, 3, 13)}
        ),
        "gradient boosting": lambda: HistGradientBoostingClassifier(random_state=0),
        "random forest": lambda: RandomForestClassifier(500, random_state=0),
    }
    scores = {
        label: [] for label in [*models, *(f"MLPClassifier({h},)" for h in (8, 16, 32))]
    }
    for split in splits:
        X_train, X_test, y_train, y_test = train_test_split(
            X, y, test_size=0.3, stratify=y, random_state=split
        )
        scaler = StandardScaler().fit(X_train)
        X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
        for label, make in models.items():
            scores[label].append(make().fit(X_train, y_train).score(X_test, y_test))
        for hidden in (8, 16, 32):
            scores[f"MLPClassifier({hidden},)"].append(
                np.mean(
                    [
                        MLPClassifier((hidden,), max_iter=2000, random_state=seed)
                        .fit(X_train, y_train)
                        .score(X_test, y_test)
                        for seed in range(3)
                    ]
                )
            )
    print(f"| {name}: model | per split | mean |\n|---|---|---|")
    for label, values in scores.items():
        per_split = " ".join(f"{v:.3f}" for v in values)
        print(f"| {label} | {per_split} | {np.mean(values):.4f} |", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="wine and diabetes only, a smoke run"
    )
    parser.add_argument(
        "--variants", help="neural table: only the distilled fits whose label has this"
    )
    parser.add_argument(
        "--task",
        choices=["classification", "regression", "neural", "teachers", "all"],
        default="all",
        help="which tables to print",
    )
    args = parser.parse_args()
    torch.manual_seed(SEED)
    if args.task in ("classification", "all"):
        if args.quick:
            run(["wine"], rows=None)
        else:
            run(["digits", "digits (CNN)", "breast cancer", "wine", "synthetic"], None)
    if args.task in ("neural", "all"):
        if args.quick:
            run_neural(["breast cancer"], seeds=range(2), sizes=(8,))
        else:
            run_neural(["digits (CNN)", "breast cancer"], only=args.variants)
    if args.task in ("regression", "all"):
        names = ["diabetes"] if args.quick else ["diabetes", "friedman1"]
        run_regression(names, quick=args.quick)
    if args.task in ("teachers", "all") and not args.quick:
        run_teachers()


if __name__ == "__main__":
    main()
