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

Run ``python benchmarks/quality.py`` (about 35 minutes on 2 cores) or
``--quick`` for a smoke run on one small data set.
"""

import argparse
import time
from pathlib import Path

import numpy as np
import torch
from sklearn.base import clone
from sklearn.datasets import (
    load_breast_cancer,
    load_digits,
    load_wine,
    make_classification,
)
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier

from skdistill import (
    DistilledDecisionTree,
    DistilledLogisticRegression,
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


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="wine only, a smoke run")
    args = parser.parse_args()
    torch.manual_seed(SEED)
    if args.quick:
        run(["wine"], rows=None)
    else:
        run(["digits", "digits (CNN)", "breast cancer", "wine", "synthetic"], None)


if __name__ == "__main__":
    main()
