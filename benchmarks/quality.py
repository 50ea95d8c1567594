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

``--task defaults`` (not part of ``all``) checks candidate defaults: each
student against its hard-label scikit-learn twin of the same structure, on
digits, breast cancer, wine and iris (standardised, stratified 70/30 splits
with ``random_state`` 0-5: splits 0-2 choose, 3-5 confirm), each split with
its own 256-256 MLP teacher trained on its training rows (cached per data
set and split). ``Δ`` is the student's test accuracy minus the twin's, in
points; the table gives the means on the selection and the confirmation
splits, the fraction of the twin-to-teacher gap closed, the worst and every
per-split ``Δ``. The groups (``--students``):

- ``logistic``: ``LogisticRegression(max_iter=5000)`` against
  ``DistilledLogisticRegression``, ``C`` of both tuned by 5-fold
  ``GridSearchCV`` over 1e-3..1e3; temperature 1 or 2 and no, 10 or 30
  ``GaussianNoise`` copies (``random_state=0``);
- ``tree``: depths 3, 5, 8 and 10 (``--depths``; ``None``, unlimited, is
  slow on digits, where noise rows grow the tree to depth ~100); the twin's
  criterion picked by 5-fold CV, the distilled tree's Gini or entropy with
  0, 10, 30 or 100 noise copies (``--tree-copies``), and both at 30 copies
  and ``T=2``;
- ``wrapper``: ``DistilledClassifier`` around ``GaussianNB`` and a depth-5
  tree against the plain model, with 0, 10 or 30 copies;
- ``mlp``: ``DistilledMLPClassifier((16,))`` at its defaults (T=2, 200
  epochs) with 0, 10 or 30 copies against ``MLPClassifier((16,),
  max_iter=2000)``, seeded by the split, with fit seconds and epochs;
- ``regression``: ``DistilledRegressor`` around Ridge and depth-4 and 8
  trees on diabetes and ``make_friedman1`` (n = 2 000), tuned as in
  ``--task regression`` (without ``alpha``), with 0, 10 or 30 copies, R²;
- ``cost``: seconds of the teacher's pass over 10, 30 and 100 noise copies.

Each group but ``cost`` also has ``control`` rows: the twin (with its tuned
``C`` or criterion) fitted on the same noise rows labelled with their source
row's true label, which separates what the teacher adds from what the noise
adds. A summary table gives each (student, fit) over the data sets. BLAS and
torch run on one thread (on a small shared machine OpenBLAS's own threads made
a logistic regression 35 times slower). Time: each split of digits costs
about 2 minutes (logistic, mostly the 30-copy ``C`` searches), 1 (trees up
to 30 copies), 4 (trees with 100 copies: 30 s an entropy tree of depth 10)
and 1 (MLP) on a quiet core; the other data sets take seconds to a minute a
split, and training the 36 teachers about 10 minutes once: about 1.5 hours
for the default selection. Run as pieces side by side on 2 cores shared
with other work, it took about 3 hours of wall time.
``--data``, ``--splits``, ``--depths`` and ``--tree-copies`` select pieces;
``--save FILE`` adds a run's records to a JSON file and ``--merge FILE ...``
prints the tables of several such files without fitting.

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
    load_iris,
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
    DistilledClassifier,
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
        "iris": load_iris,
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


def train_teacher(name, X, y, cache_name=None):
    """The data set's network, trained with fixed seeds or read from the cache.

    ``cache_name``: the file name it is cached under (default: the data set's).
    """
    model = network(name, X.shape[1], len(np.unique(y)))
    if cache_name is None:
        cache_name = name.replace(" ", "_").replace("(", "").replace(")", "")
    path = CACHE / f"{cache_name}.pt"
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


def load_regression(name, n_friedman=5000):
    if name == "friedman1":
        return make_friedman1(n_friedman, noise=1.0, random_state=SEED)
    return load_diabetes(return_X_y=True)


def train_regression_teacher(name, X, y, cache_name=None):
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
    path = CACHE / f"{cache_name or f'regression_{name}'}.pt"
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


# --task defaults: every student at candidate defaults against its hard-label
# scikit-learn twin, over six stratified splits (0-2 choose, 3-5 confirm).
DEFAULTS_DATA = ["digits", "breast cancer", "wine", "iris"]
DEFAULTS_REGRESSION_DATA = ["diabetes", "friedman1"]
DEFAULTS_STUDENTS = ["cost", "logistic", "tree", "wrapper", "mlp", "regression"]
# The defaults chosen from those tables, each student at them: --students
# chosen,chosen-regression.
CHOSEN_STUDENTS = ["chosen", "chosen-regression"]
SELECTION_SPLITS = (0, 1, 2)
CONFIRMATION_SPLITS = (3, 4, 5)
LOGISTIC_CS = list(np.logspace(-3, 3, 7))
DEFAULT_DEPTHS = (3, 5, 8, 10)
TREE_COPIES = (0, 10, 30, 100)
COPIES = (0, 10, 30)
# What --depths and --tree-copies set.
DEFAULTS_OPTIONS = {"depths": DEFAULT_DEPTHS, "tree_copies": TREE_COPIES}
# Test rows of each data set's 70/30 split (one row: the smallest Δ).
TEST_ROWS = {"digits": 540, "breast cancer": 171, "wine": 54, "iris": 45}


def noise(copies):
    """The augmenter a candidate uses: ``copies`` noise rows per row, seeded."""
    return None if copies == 0 else GaussianNoise(n_copies=copies, random_state=0)


def noise_label(copies):
    return "none" if copies == 0 else f"noise×{copies}"


def control_rows(X, y, copies):
    """X with the candidate's noise rows, each labelled with its source's y."""
    X_new, source = noise(copies).sample(X)
    return np.vstack([X, X_new]), np.concatenate([y, y[source]])


def defaults_split(name, split, regression=False):
    """Standardised 70/30 split ``split`` of a data set and its teacher.

    The teacher is trained on the split's training rows and cached per
    (data set, split).
    """
    slug = name.replace(" ", "_")
    if regression:
        X, y = load_regression(name, n_friedman=2000)
        stratify = None
    else:
        X, y = load(name)
        stratify = y
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.3, stratify=stratify, random_state=split
    )
    scaler = StandardScaler().fit(X_train)
    X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
    if regression:
        module = train_regression_teacher(
            name, X_train, y_train, cache_name=f"defaults_regression_{slug}_{split}"
        )
        teacher = TorchTeacher(module, device="cpu", output="values")
        score = r2_score(y_test, teacher.predict_values(X_test)[:, 0])
    else:
        module = train_teacher(
            name, X_train, y_train, cache_name=f"defaults_{slug}_{split}"
        )
        teacher = TorchTeacher(module, device="cpu")
        score = np.mean(teacher.predict_logits(X_test).argmax(axis=1) == y_test)
    return X_train, X_test, y_train, y_test, teacher, score


class DefaultsRecords:
    """Test scores by (data, student) -> fit -> split, with fit times and notes."""

    def __init__(self):
        self.scores, self.seconds, self.notes, self.teacher = {}, {}, {}, {}
        self.rows = []  # what add received, for --save

    def add(self, data, student, fit, split, score, seconds, note=""):
        self.rows.append([data, student, fit, split, float(score), seconds, note])
        key = (data, student)
        self.scores.setdefault(key, {}).setdefault(fit, {})[split] = score
        self.seconds.setdefault(key, {}).setdefault(fit, []).append(seconds)
        self.notes.setdefault(key, {}).setdefault(fit, {})[split] = note

    def table(self, metric="accuracy"):
        """Markdown: one row per (data, student, fit); Δ is fit − twin, ×100.

        Each row's means are over the splits that fit ran on (``splits``),
        the twin's and the teacher's over the same splits.
        """
        lines = [
            f"| data | student | fit | splits | {metric} sel | {metric} conf "
            "| twin sel | twin conf | teacher | gap closed | worst Δ | losses "
            "| Δ per split (×100) | fit s | notes |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
        ]
        for (data, student), fits in self.scores.items():
            twin = fits["twin"]
            teacher = self.teacher[data]
            for fit, values in fits.items():
                splits = sorted(set(values) & set(twin))
                sel = [s for s in splits if s in SELECTION_SPLITS]
                conf = [s for s in splits if s in CONFIRMATION_SPLITS]

                def mean(scores, which):
                    return f"{np.mean([scores[s] for s in which]):.4f}" if which else ""

                twin_all = np.mean([twin[s] for s in splits])
                teacher_all = np.mean([teacher[s] for s in splits])
                delta = [values[s] - twin[s] for s in splits]
                gap = teacher_all - twin_all
                closed = (
                    (np.mean([values[s] for s in splits]) - twin_all) / gap
                    if gap > 0
                    else float("nan")
                )
                notes = self.notes[(data, student)][fit]
                note = (
                    " ".join(str(notes[s]) for s in splits)
                    if any(str(notes[s]) for s in splits)
                    else ""
                )
                lines.append(
                    f"| {data} | {student} | {fit} | {''.join(map(str, splits))} "
                    f"| {mean(values, sel)} | {mean(values, conf)} "
                    f"| {mean(twin, sel)} | {mean(twin, conf)} "
                    f"| {teacher_all:.4f} | {closed:+.2f} | {100 * min(delta):+.1f} "
                    f"| {sum(d < -1e-12 for d in delta)}/{len(delta)} "
                    f"| {' '.join(f'{100 * d:+.1f}' for d in delta)} "
                    f"| {np.mean(self.seconds[(data, student)][fit]):.2f} | {note} |"
                )
        return "\n".join(lines)

    def summary(self):
        """Markdown: each (student, fit) over the data sets, Δ = fit − twin, ×100.

        ``losses`` counts the (data set, split) pairs where the fit scores
        below its twin; ``mean Δ by data set`` is in the order of the rows.
        """
        by_fit = {}
        for (data, student), fits in self.scores.items():
            twin = fits["twin"]
            for fit, values in fits.items():
                if fit == "twin":
                    continue
                splits = sorted(set(values) & set(twin))
                delta = [100 * (values[s] - twin[s]) for s in splits]
                by_fit.setdefault((student, fit), []).append((data, delta))
        lines = [
            "| student | fit | mean Δ | worst Δ | losses | mean Δ by data set |",
            "|---|---|---|---|---|---|",
        ]
        for (student, fit), rows in by_fit.items():
            deltas = [d for _, delta in rows for d in delta]
            per_data = " ".join(
                f"{data}: {np.mean(delta):+.2f}" for data, delta in rows
            )
            lines.append(
                f"| {student} | {fit} | {np.mean(deltas):+.2f} | {min(deltas):+.1f} "
                f"| {sum(d < -1e-10 for d in deltas)}/{len(deltas)} | {per_data} |"
            )
        return "\n".join(lines)

    def comparison(self, regression=False):
        """Markdown: each student at its defaults, its twin and the teacher.

        Means over the splits run; *gap closed* is (student - twin) /
        (teacher - twin), left out where the teacher is not ahead of the twin
        by one test row (by one R² point in regression): there distillation
        has nothing to pass on.
        """
        lines = [
            "| student | data | at defaults | twin | teacher | Δ | gap closed "
            "| losses |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for (data, student), fits in self.scores.items():
            twin, values = fits["twin"], fits["defaults"]
            splits = sorted(set(values) & set(twin))
            mean = {
                "student": np.mean([values[s] for s in splits]),
                "twin": np.mean([twin[s] for s in splits]),
                "teacher": np.mean([self.teacher[data][s] for s in splits]),
            }
            gap = mean["teacher"] - mean["twin"]
            closed = (
                f"{(mean['student'] - mean['twin']) / gap:.0%}"
                if gap >= (0.01 if regression else 1 / TEST_ROWS[data]) - 1e-9
                else "teacher no better"
            )
            losses = sum(values[s] < twin[s] - 1e-12 for s in splits)
            lines.append(
                f"| {student} | {data} | {mean['student']:.4f} | {mean['twin']:.4f} "
                f"| {mean['teacher']:.4f} "
                f"| {100 * (mean['student'] - mean['twin']):+.2f} | {closed} "
                f"| {losses}/{len(splits)} |"
            )
        return "\n".join(lines)


def _timed(make, X, y, X_test, y_test, score=None):
    """Fit ``make()`` on (X, y); return (fitted model, test score, seconds)."""
    start = time.perf_counter()
    model = make().fit(X, y)
    seconds = time.perf_counter() - start
    if score is None:
        return model, model.score(X_test, y_test), seconds
    return model, score(y_test, model.predict(X_test)), seconds


def _fmt(value):
    return "None" if value is None else f"{value:g}"


def defaults_logistic(records, data, split, X, X_test, y, y_test, teacher):
    """Tuned-C logistic regression: hard twin, T × augment candidates, controls."""
    key = "logistic"
    grid = {"C": LOGISTIC_CS}
    twin, acc, sec = _timed(
        lambda: GridSearchCV(LogisticRegression(max_iter=5000), grid, cv=5),
        X,
        y,
        X_test,
        y_test,
    )
    C = twin.best_params_["C"]
    records.add(data, key, "twin", split, acc, sec, f"C={C:g}")
    for temperature in (1.0, 2.0):
        for copies in COPIES:
            student = DistilledLogisticRegression(
                teacher, temperature=temperature, max_iter=5000, augment=noise(copies)
            )
            model, acc, sec = _timed(
                lambda: GridSearchCV(student, grid, cv=5), X, y, X_test, y_test
            )
            fit = f"T={temperature:g}, {noise_label(copies)}"
            note = f"C={model.best_params_['C']:g}"
            records.add(data, key, fit, split, acc, sec, note)
    for copies in COPIES[1:]:
        X_c, y_c = control_rows(X, y, copies)
        _, acc, sec = _timed(
            lambda: LogisticRegression(C=C, max_iter=5000), X_c, y_c, X_test, y_test
        )
        records.add(data, key, f"control {noise_label(copies)}", split, acc, sec)


def defaults_tree(records, data, split, X, X_test, y, y_test, teacher):
    """Trees by depth: criterion-tuned twin, criterion × copies, T=2, controls."""
    X32 = X.astype(np.float32)  # what the tree (and its augmenter) works on
    for depth in DEFAULTS_OPTIONS["depths"]:
        key = f"tree depth {_fmt(depth)}"
        base = DecisionTreeClassifier(max_depth=depth, random_state=0)
        twin, acc, sec = _timed(
            lambda: GridSearchCV(base, {"criterion": ["gini", "entropy"]}, cv=5),
            X,
            y,
            X_test,
            y_test,
        )
        criterion = twin.best_params_["criterion"]
        records.add(data, key, "twin", split, acc, sec, criterion)
        copies_run = DEFAULTS_OPTIONS["tree_copies"]
        candidates = [(c, k, 1.0) for c in ("gini", "entropy") for k in copies_run]
        if 30 in copies_run:
            candidates += [(c, 30, 2.0) for c in ("gini", "entropy")]
        for criterion_d, copies, temperature in candidates:
            student = DistilledDecisionTree(
                teacher,
                max_depth=depth,
                criterion=criterion_d,
                temperature=temperature,
                random_state=0,
                augment=noise(copies),
            )
            _, acc, sec = _timed(lambda: student, X, y, X_test, y_test)
            fit = f"{criterion_d}, {noise_label(copies)}" + (
                f", T={temperature:g}" if temperature != 1.0 else ""
            )
            records.add(data, key, fit, split, acc, sec)
        for copies in [k for k in copies_run if k]:
            X_c, y_c = control_rows(X32, y, copies)
            _, acc, sec = _timed(
                lambda: clone(base).set_params(criterion=criterion),
                X_c,
                y_c,
                X_test,
                y_test,
            )
            records.add(data, key, f"control {noise_label(copies)}", split, acc, sec)


def defaults_wrapper(records, data, split, X, X_test, y, y_test, teacher):
    """DistilledClassifier around GaussianNB and a depth-5 tree, vs the plain one."""
    from sklearn.naive_bayes import GaussianNB

    students = {
        "GaussianNB (wrapper)": GaussianNB(),
        "tree depth 5 (wrapper)": DecisionTreeClassifier(max_depth=5, random_state=0),
    }
    for key, base in students.items():
        _, acc, sec = _timed(lambda: clone(base), X, y, X_test, y_test)
        records.add(data, key, "twin", split, acc, sec)
        for copies in COPIES:
            student = DistilledClassifier(base, teacher, augment=noise(copies))
            _, acc, sec = _timed(lambda: student, X, y, X_test, y_test)
            records.add(data, key, noise_label(copies), split, acc, sec)
        for copies in COPIES[1:]:
            X_c, y_c = control_rows(X, y, copies)
            _, acc, sec = _timed(lambda: clone(base), X_c, y_c, X_test, y_test)
            records.add(data, key, f"control {noise_label(copies)}", split, acc, sec)


def defaults_mlp(records, data, split, X, X_test, y, y_test, teacher):
    """DistilledMLPClassifier (16,) at its defaults vs MLPClassifier (16,)."""
    key = "MLP (16,)"

    def hard():
        return MLPClassifier((16,), max_iter=2000, random_state=split)

    twin, acc, sec = _timed(hard, X, y, X_test, y_test)
    records.add(data, key, "twin", split, acc, sec, f"it={twin.n_iter_}")
    for copies in COPIES:
        model, acc, sec = _timed(
            lambda: DistilledMLPClassifier(
                teacher,
                hidden_layer_sizes=(16,),
                random_state=split,
                augment=noise(copies),
            ),
            X,
            y,
            X_test,
            y_test,
        )
        records.add(
            data, key, noise_label(copies), split, acc, sec, f"it={model.n_iter_}"
        )
    for copies in COPIES[1:]:
        X_c, y_c = control_rows(X, y, copies)
        model, acc, sec = _timed(hard, X_c, y_c, X_test, y_test)
        fit = f"control {noise_label(copies)}"
        records.add(data, key, fit, split, acc, sec, f"it={model.n_iter_}")


def defaults_regression(records, data, split, X, X_test, y, y_test, teacher):
    """Ridge and trees of depth 4 and 8: tuned twin vs tuned DistilledRegressor."""
    for key, model, grid in regression_students():
        twin, r2, sec = _timed(
            lambda: GridSearchCV(model, grid, cv=3), X, y, X_test, y_test, r2_score
        )
        best = ", ".join(f"{k}={v:g}" for k, v in twin.best_params_.items())
        records.add(data, key, "twin", split, r2, sec, best)
        student_grid = {f"student__{k}": v for k, v in grid.items()}
        for copies in COPIES:
            distilled = DistilledRegressor(model, teacher, augment=noise(copies))
            search, r2, sec = _timed(
                lambda: GridSearchCV(distilled, student_grid, cv=3),
                X,
                y,
                X_test,
                y_test,
                r2_score,
            )
            best = ", ".join(f"{v:g}" for v in search.best_params_.values())
            records.add(data, key, noise_label(copies), split, r2, sec, best)
        for copies in COPIES[1:]:
            X_c, y_c = control_rows(X, y, copies)
            _, r2, sec = _timed(
                lambda: clone(model).set_params(**twin.best_params_),
                X_c,
                y_c,
                X_test,
                y_test,
                r2_score,
            )
            records.add(data, key, f"control {noise_label(copies)}", split, r2, sec)


def defaults_chosen(records, data, split, X, X_test, y, y_test, teacher):
    """Every classifier student at its defaults (structure fixed) vs its twin."""
    from sklearn.naive_bayes import GaussianNB

    grid = {"C": LOGISTIC_CS}
    cases = {
        "logistic": (
            lambda: GridSearchCV(LogisticRegression(max_iter=5000), grid, cv=5),
            lambda: GridSearchCV(
                DistilledLogisticRegression(teacher, max_iter=5000), grid, cv=5
            ),
        ),
        "MLP (16,)": (
            lambda: MLPClassifier((16,), max_iter=2000, random_state=split),
            lambda: DistilledMLPClassifier(
                teacher, hidden_layer_sizes=(16,), random_state=split
            ),
        ),
        "GaussianNB (wrapper)": (
            GaussianNB,
            lambda: DistilledClassifier(GaussianNB(), teacher, random_state=split),
        ),
    }
    for depth in DEFAULTS_OPTIONS["depths"]:
        base = DecisionTreeClassifier(max_depth=depth, random_state=0)
        cases[f"tree depth {_fmt(depth)}"] = (
            lambda base=base: GridSearchCV(
                base, {"criterion": ["gini", "entropy"]}, cv=5
            ),
            lambda depth=depth: DistilledDecisionTree(
                teacher, max_depth=depth, random_state=0
            ),
        )
    only = DEFAULTS_OPTIONS.get("chosen")
    for key, (twin, student) in cases.items():
        if only and not key.startswith(tuple(only)):
            continue
        _, acc, sec = _timed(twin, X, y, X_test, y_test)
        records.add(data, key, "twin", split, acc, sec)
        _, acc, sec = _timed(student, X, y, X_test, y_test)
        records.add(data, key, "defaults", split, acc, sec)


def defaults_chosen_regression(records, data, split, X, X_test, y, y_test, teacher):
    """DistilledRegressor at its defaults, student tuned as its twin is."""
    for key, model, grid in regression_students():
        twin, r2, sec = _timed(
            lambda: GridSearchCV(model, grid, cv=3), X, y, X_test, y_test, r2_score
        )
        records.add(data, key, "twin", split, r2, sec)
        student_grid = {f"student__{k}": v for k, v in grid.items()}
        _, r2, sec = _timed(
            lambda: GridSearchCV(
                DistilledRegressor(model, teacher, random_state=split),
                student_grid,
                cv=3,
            ),
            X,
            y,
            X_test,
            y_test,
            r2_score,
        )
        records.add(data, key, "defaults", split, r2, sec)


def defaults_cost(names, regression_names):
    """Seconds of the teacher's pass over the noise rows, on split 0."""
    print(
        "| data | teacher | training rows | copies | synthetic rows | sample s "
        "| teacher s | rows/s |\n|---|---|---|---|---|---|---|---|",
        flush=True,
    )
    for name, regression in [(n, False) for n in names] + [
        (n, True) for n in regression_names
    ]:
        X, _, _, _, teacher, _ = defaults_split(name, 0, regression)
        run = teacher.predict_values if regression else teacher.predict_logits
        kind = "MLP 128-128" if regression else "MLP 256-256"
        run(X[:10], remember=False)  # load the module and warm up
        for copies in (10, 30, 100):
            start = time.perf_counter()
            X_new, _ = noise(copies).sample(X)
            sampled = time.perf_counter() - start
            seconds = np.inf
            for _ in range(3):  # the best of three: the machine may be shared
                start = time.perf_counter()
                run(X_new, remember=False)
                seconds = min(seconds, time.perf_counter() - start)
            print(
                f"| {name} | {kind} | {len(X)} | {copies} | {len(X_new)} "
                f"| {sampled:.3f} | {seconds:.3f} | {len(X_new) / seconds:,.0f} |",
                flush=True,
            )


def save_defaults(path, group, records):
    """Add a group's records to the JSON file ``path`` (made if missing)."""
    import json

    path = Path(path)
    saved = json.loads(path.read_text()) if path.exists() else []
    teacher = [
        [d, s, float(v)] for d, by in records.teacher.items() for s, v in by.items()
    ]
    saved.append({"group": group, "rows": records.rows, "teacher": teacher})
    path.write_text(json.dumps(saved))


def merge_defaults(paths):
    """Print the tables of records saved by several runs (``--save``)."""
    import json

    groups = {}
    for path in paths:
        for saved in json.loads(Path(path).read_text()):
            records = groups.setdefault(saved["group"], DefaultsRecords())
            for data, split, score in saved["teacher"]:
                records.teacher.setdefault(data, {})[split] = score
            for row in saved["rows"]:
                records.add(*row)
    for group, records in groups.items():
        # Rows sorted by data set (in DEFAULTS_* order), then as first added.
        order = DEFAULTS_DATA + DEFAULTS_REGRESSION_DATA
        records.scores = dict(
            sorted(records.scores.items(), key=lambda item: order.index(item[0][0]))
        )
        print(f"\n### {group}\n", flush=True)
        print(records.table("R²" if group.endswith("regression") else "accuracy"))
        print(f"\n### {group}: summary over the data sets\n")
        print(records.summary(), flush=True)
        if group.startswith("chosen"):
            print(f"\n### {group}: at the defaults\n")
            print(records.comparison(group.endswith("regression")), flush=True)


DEFAULTS_RUNNERS = {
    "chosen": defaults_chosen,
    "chosen-regression": defaults_chosen_regression,
    "logistic": defaults_logistic,
    "tree": defaults_tree,
    "wrapper": defaults_wrapper,
    "mlp": defaults_mlp,
    "regression": defaults_regression,
}


def run_defaults(students, names, splits, regression_names, save=None):
    """Print one table per student group, with the seconds each took.

    BLAS and torch run on one thread: on a small shared machine OpenBLAS's
    threads spin against each other and a logistic regression on digits
    takes seconds instead of a tenth of one.
    """
    import warnings

    from sklearn.exceptions import ConvergenceWarning
    from threadpoolctl import threadpool_limits

    warnings.filterwarnings("ignore", category=ConvergenceWarning)
    torch.set_num_threads(1)
    threadpool_limits(1)
    if "cost" in students:
        print("\n### Teacher pass on the noise rows (split 0)\n", flush=True)
        defaults_cost(names, regression_names)
    for student in students:
        if student == "cost":
            continue
        regression = student.endswith("regression")
        records = DefaultsRecords()
        start = time.perf_counter()
        for name in regression_names if regression else names:
            for split in splits:
                X, X_test, y, y_test, teacher, score = defaults_split(
                    name, split, regression
                )
                records.teacher.setdefault(name, {})[split] = score
                DEFAULTS_RUNNERS[student](
                    records, name, split, X, X_test, y, y_test, teacher
                )
                print(
                    f"<!-- {student} {name} split {split}: "
                    f"{time.perf_counter() - start:.0f} s -->",
                    flush=True,
                )
        print(f"\n### {student} ({time.perf_counter() - start:.0f} s)\n", flush=True)
        print(records.table("R²" if regression else "accuracy"), flush=True)
        print(f"\n### {student}: summary over the data sets\n")
        print(records.summary(), flush=True)
        if student.startswith("chosen"):
            print(f"\n### {student}: at the defaults\n")
            print(records.comparison(regression), flush=True)
        if save:
            save_defaults(save, student, records)


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
        choices=[
            "classification",
            "regression",
            "neural",
            "teachers",
            "defaults",
            "all",
        ],
        default="all",
        help="which tables to print",
    )
    parser.add_argument(
        "--students",
        default=",".join(DEFAULTS_STUDENTS),
        help="defaults table: comma-separated groups among "
        + ", ".join(DEFAULTS_STUDENTS + CHOSEN_STUDENTS),
    )
    parser.add_argument(
        "--data", help="defaults table: comma-separated data sets (default: all)"
    )
    parser.add_argument(
        "--splits", default="0,1,2,3,4,5", help="defaults table: splits to run"
    )
    parser.add_argument(
        "--depths",
        default="3,5,8,10",
        help="defaults table: tree depths (None: unlimited)",
    )
    parser.add_argument(
        "--tree-copies", default="0,10,30,100", help="defaults table: tree noise copies"
    )
    parser.add_argument(
        "--chosen",
        help="chosen table: only the students whose name starts with one of "
        "these (comma-separated, e.g. logistic,tree)",
    )
    parser.add_argument(
        "--save", help="defaults table: add the records to this JSON file"
    )
    parser.add_argument(
        "--merge",
        nargs="+",
        help="defaults table: print the tables of these --save files, fit nothing",
    )
    args = parser.parse_args()
    torch.manual_seed(SEED)
    if args.merge:
        merge_defaults(args.merge)
        return
    if args.task == "defaults":
        DEFAULTS_OPTIONS["depths"] = [
            None if d == "None" else int(d) for d in args.depths.split(",")
        ]
        DEFAULTS_OPTIONS["tree_copies"] = [int(k) for k in args.tree_copies.split(",")]
        if args.chosen:
            DEFAULTS_OPTIONS["chosen"] = args.chosen.split(",")
        data = args.data.split(",") if args.data else None
        run_defaults(
            args.students.split(","),
            [n for n in DEFAULTS_DATA if data is None or n in data],
            [int(s) for s in args.splits.split(",")],
            [n for n in DEFAULTS_REGRESSION_DATA if data is None or n in data],
            save=args.save,
        )
        return
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
