"""
A small neural network distilled from a large one
=================================================

When the student must be small and fast rather than readable, a small
network is the student that can best represent its teacher (Hinton, Vinyals
& Dean 2015; Ba & Caruana 2014). This example distils a small convolutional network
trained on scikit-learn's digits (8x8 images) into
:class:`~skdistill.DistilledMLPClassifier` with one hidden layer of 16
units, trained on Hinton's loss with Gaussian-noise rows labelled by the
teacher, and compares it on the same split with:

1. scikit-learn's :class:`~sklearn.neural_network.MLPClassifier` of the same
   size, trained on the labels to convergence;
2. a distilled decision tree of depth 8 and a distilled logistic regression,
   the readable students.

For each: test accuracy, fidelity (top-1 agreement with the teacher on the
test rows), size in parameters, and prediction latency per row. A reader can
pick the student that fits the need: the small network for accuracy, the
tree or the linear model to read and audit.
"""

import time
import warnings

import matplotlib.pyplot as plt
import numpy as np
import torch
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.preprocessing import StandardScaler

from skdistill import (
    DistilledDecisionTree,
    DistilledLogisticRegression,
    DistilledMLPClassifier,
    TorchTeacher,
    fidelity_score,
)
from skdistill.augment import GaussianNoise


def as_images(rows):
    """Flat rows of 64 pixels as a batch of one-channel 8x8 images."""
    return torch.as_tensor(np.asarray(rows), dtype=torch.float32).reshape(-1, 1, 8, 8)


def train_teacher(X, y, *, epochs=15, seed=0):
    """Two 3x3 convolutions and a max-pool, Adam on minibatches, seconds."""
    torch.manual_seed(seed)
    model = torch.nn.Sequential(
        torch.nn.Conv2d(1, 16, kernel_size=3, padding=1),
        torch.nn.ReLU(),
        torch.nn.Conv2d(16, 32, kernel_size=3, padding=1),
        torch.nn.ReLU(),
        torch.nn.MaxPool2d(2),
        torch.nn.Flatten(),
        torch.nn.Linear(32 * 4 * 4, 10),
    )
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    images, targets = as_images(X), torch.as_tensor(y)
    for _ in range(epochs):
        for batch in torch.randperm(len(images)).split(256):
            optimizer.zero_grad()
            loss = torch.nn.functional.cross_entropy(
                model(images[batch]), targets[batch]
            )
            loss.backward()
            optimizer.step()
    return model.eval()


X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.3, stratify=y, random_state=0
)
scaler = StandardScaler().fit(X_train)
X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
net = train_teacher(X_train, y_train)
teacher = TorchTeacher(net, preprocess=as_images)

# %%
# The students
# ------------
#
# The distilled network uses the same optimiser settings as scikit-learn's
# (Adam, ``learning_rate_init=1e-3``, batches of 200, ``l2_alpha=1e-4``,
# scikit-learn's ``alpha``), so the two differ only in what they learn from.

students = {
    "MLPClassifier (16), labels": MLPClassifier(
        (16,), max_iter=2000, random_state=0
    ).fit(X_train, y_train),
    "DistilledMLPClassifier (16) + noise": DistilledMLPClassifier(
        teacher,
        hidden_layer_sizes=(16,),
        temperature=1.0,
        augment="noise",
        random_state=0,
    ),
    "DistilledDecisionTree (depth 8)": DistilledDecisionTree(
        teacher,
        max_depth=8,
        criterion="entropy",
        augment=GaussianNoise(n_copies=10, scale=0.4, random_state=0),
    ),
    "DistilledLogisticRegression": DistilledLogisticRegression(teacher, max_iter=1000),
}
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)
    for name, student in students.items():
        if not name.startswith("MLPClassifier"):
            student.fit(X_train)


def n_parameters(model):
    plain = model.to_sklearn() if hasattr(model, "to_sklearn") else model
    if hasattr(plain, "coefs_"):
        return sum(W.size + b.size for W, b in zip(plain.coefs_, plain.intercepts_))
    if hasattr(plain, "tree_"):
        # A split holds a feature and a threshold; a leaf its class values.
        tree = plain.tree_
        leaves = tree.children_left == -1
        return int(2 * (~leaves).sum() + tree.value.shape[-1] * leaves.sum())
    return plain.coef_.size + plain.intercept_.size


def latency(model, rows, repeats=20):
    """Microseconds per row of a prediction on a batch, best of ``repeats``.

    ``predict`` for a student; for the torch teacher, its forward pass.
    """
    predict = getattr(model, "predict", None)
    if predict is None:

        def predict(batch):
            with torch.inference_mode():
                return model(batch)

    best = np.inf
    for _ in range(repeats):
        start = time.perf_counter()
        predict(rows)
        best = min(best, time.perf_counter() - start)
    return 1e6 * best / len(rows)


teacher_pred = teacher.predict_logits(X_test).argmax(axis=1)
rows = {"teacher (CNN)": (np.mean(teacher_pred == y_test), 1.0)}
sizes = {"teacher (CNN)": sum(p.numel() for p in net.parameters())}
latencies = {"teacher (CNN)": latency(teacher.module, as_images(X_test))}
for name, student in students.items():
    fidelity = np.mean(student.predict(X_test) == teacher_pred)
    rows[name] = (student.score(X_test, y_test), fidelity)
    sizes[name], latencies[name] = n_parameters(student), latency(student, X_test)

print(f"{'model':38s}  accuracy  fidelity")
for name, (accuracy, fidelity) in rows.items():
    print(f"{name:38s}  {accuracy:.3f}  {fidelity:.3f}")
print(f"\n{'model':38s}  parameters  µs per row")
for name in rows:
    print(f"{name:38s}  {sizes[name]:10d}  {latencies[name]:9.2f}")
print(
    "fidelity_score of the distilled network: "
    f"{fidelity_score(students['DistilledMLPClassifier (16) + noise'], X_test):.3f}"
)

# %%
# Accuracy against size
# ---------------------
#
# The distilled network is as small as the one trained on labels and closer
# to the teacher; the tree and the linear model trade accuracy for a form a
# person can read.

fig, ax = plt.subplots(figsize=(7, 4))
for name, (accuracy, _) in rows.items():
    ax.scatter(sizes[name], accuracy)
    # The linear model sits level with the labelled network: label it below.
    below = name.startswith("DistilledLogistic")
    ax.annotate(
        name,
        (sizes[name], accuracy),
        fontsize=8,
        xytext=(4, -12 if below else 4),
        textcoords="offset points",
    )
ax.set_xscale("log")
ax.set_xlabel("parameters")
ax.set_ylabel("test accuracy")
ax.set_title("Students of a CNN on digits")
fig.tight_layout()
plt.show()
