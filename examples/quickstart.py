"""
Quick start: distil a torch network into a logistic regression
==============================================================

Train a small PyTorch network on scikit-learn's digits, distil it into a
:class:`~skdistill.DistilledLogisticRegression` at its defaults, and compare
the student with a logistic regression trained on the hard labels: test
accuracy, fidelity to the teacher (top-1 agreement), and fit time.
"""

import time

import numpy as np
import torch
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from skdistill import DistilledLogisticRegression, TorchTeacher, fidelity_score


def train_mlp(X, y, *, n_classes, epochs=60, seed=0):
    """A two-layer MLP trained with Adam, full batch, in a few seconds."""
    torch.manual_seed(seed)
    model = torch.nn.Sequential(
        torch.nn.Linear(X.shape[1], 256),
        torch.nn.ReLU(),
        torch.nn.Linear(256, n_classes),
    )
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2, weight_decay=1e-4)
    inputs = torch.as_tensor(X, dtype=torch.float32)
    targets = torch.as_tensor(y)
    for _ in range(epochs):
        optimizer.zero_grad()
        torch.nn.functional.cross_entropy(model(inputs), targets).backward()
        optimizer.step()
    return model.eval()


X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.3, stratify=y, random_state=0
)
scaler = StandardScaler().fit(X_train)
X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)


def timed(fit):
    """Run fit(); return what it returns and the seconds it took."""
    start = time.perf_counter()
    result = fit()
    return result, time.perf_counter() - start


network, teacher_seconds = timed(lambda: train_mlp(X_train, y_train, n_classes=10))
teacher = TorchTeacher(network, device="auto")
hard, hard_seconds = timed(
    lambda: LogisticRegression(max_iter=1000).fit(X_train, y_train)
)
student, student_seconds = timed(
    lambda: DistilledLogisticRegression(teacher, max_iter=1000, random_state=0).fit(
        X_train
    )
)

teacher_test = teacher.predict_logits(X_test).argmax(axis=1)
rows = [
    ("teacher (torch MLP)", teacher_test, teacher_seconds),
    ("LogisticRegression, hard labels", hard.predict(X_test), hard_seconds),
    ("DistilledLogisticRegression", student.predict(X_test), student_seconds),
]
print(f"digits: {len(X_train)} training rows, {len(X_test)} test rows\n")
print(f"{'model':<34}{'accuracy':>10}{'fidelity':>10}{'fit s':>8}")
for name, predictions, seconds in rows:
    accuracy = np.mean(predictions == y_test)
    fidelity = np.mean(predictions == teacher_test)
    print(f"{name:<34}{accuracy:>10.3f}{fidelity:>10.3f}{seconds:>8.2f}")
copies = student.augment_.n_copies
print(
    "\nThe student learned from the teacher alone (no labels): the training rows"
    f"\nand {copies} noisy copies of each, labelled by the teacher "
    f'(augment="auto").\nfidelity_score = {fidelity_score(student, X_test):.3f}.'
)
