"""
Distilling a CNN on digit images
================================

The teacher need not read what the student reads. Here a small convolutional
network sees each digit as an 8x8 image; the students, a
:class:`~skdistill.DistilledLogisticRegression` and a
:class:`~skdistill.DistilledDecisionTree`, read the same 64 pixels as a flat
row. The :class:`~skdistill.TorchTeacher` reshapes each batch of rows into
images through its ``preprocess`` argument, so the students and the search
tools around them only ever see an ordinary feature matrix.

Each student is fitted from the teacher alone (no labels), once at its
defaults, whose ``augment="auto"`` adds Gaussian-noise copies of the training
rows labelled by the teacher (30 per row for the logistic regression, 31 for
the tree here, capped at 40 000 rows), and once on the training rows alone
(``augment=None``), and compared with the same model trained on the hard
labels.
"""

import matplotlib.pyplot as plt
import numpy as np
import torch
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.tree import DecisionTreeClassifier

from skdistill import (
    DistilledDecisionTree,
    DistilledLogisticRegression,
    TorchTeacher,
    fidelity_score,
)

X, y = load_digits(return_X_y=True)
# Pixel intensities in [0, 1]: the linear models converge in fewer iterations.
X = X / 16
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.3, stratify=y, random_state=0
)


def as_images(rows):
    """Flat rows of 64 pixels as a batch of one-channel 8x8 images."""
    return torch.as_tensor(np.asarray(rows), dtype=torch.float32).reshape(-1, 1, 8, 8)


# %%
# The teacher: two 3x3 convolutions and a max-pool, trained with Adam on
# minibatches for a few epochs.
torch.manual_seed(0)
network = torch.nn.Sequential(
    torch.nn.Conv2d(1, 16, kernel_size=3, padding=1),
    torch.nn.ReLU(),
    torch.nn.Conv2d(16, 32, kernel_size=3, padding=1),
    torch.nn.ReLU(),
    torch.nn.MaxPool2d(2),
    torch.nn.Flatten(),
    torch.nn.Linear(32 * 4 * 4, 10),
)
optimizer = torch.optim.Adam(network.parameters(), lr=1e-2)
images, targets = as_images(X_train), torch.as_tensor(y_train)
for _ in range(15):
    for batch in torch.randperm(len(images)).split(256):
        optimizer.zero_grad()
        loss = torch.nn.functional.cross_entropy(network(images[batch]), targets[batch])
        loss.backward()
        optimizer.step()

teacher = TorchTeacher(network.eval(), preprocess=as_images)
teacher_test = teacher.predict_logits(X_test).argmax(axis=1)

# %%
# Four students from the teacher, two from the labels.

students = {
    "LogisticRegression, hard labels": LogisticRegression(max_iter=1000),
    "DistilledLogisticRegression, rows only": DistilledLogisticRegression(
        teacher, max_iter=1000, augment=None
    ),
    "DistilledLogisticRegression": DistilledLogisticRegression(
        teacher, max_iter=1000, random_state=0
    ),
    "DecisionTreeClassifier, hard labels": DecisionTreeClassifier(
        criterion="entropy", max_depth=8, random_state=0
    ),
    "DistilledDecisionTree, rows only": DistilledDecisionTree(
        teacher, max_depth=8, random_state=0, augment=None
    ),
    "DistilledDecisionTree": DistilledDecisionTree(
        teacher, max_depth=8, random_state=0
    ),
}
predictions = {"teacher (CNN)": teacher_test}
for name, model in students.items():
    if "hard labels" in name:
        model.fit(X_train, y_train)
    else:
        model.fit(X_train)  # no labels: the teacher's soft targets only
    predictions[name] = model.predict(X_test)

print(f"digits: {len(X_train)} training rows, {len(X_test)} test rows\n")
print(f"{'model':<38}{'accuracy':>10}{'fidelity':>10}")
accuracy = {}
for name, predicted in predictions.items():
    accuracy[name] = np.mean(predicted == y_test)
    fidelity = np.mean(predicted == teacher_test)
    print(f"{name:<38}{accuracy[name]:>10.3f}{fidelity:>10.3f}")
tree = students["DistilledDecisionTree"]
print(
    f"\nfidelity_score of the tree at its defaults: {fidelity_score(tree, X_test):.3f}"
)

# %%
# Test accuracy of every model. The linear student is limited by what a
# linear model can express, so extra teacher-labelled rows change little; the
# tree, which can only split where it has rows, gains most from them.
fig, ax = plt.subplots(figsize=(7, 4))
names = list(accuracy)
colors = ["black"] + ["tab:blue"] * 3 + ["tab:green"] * 3
ax.barh(names, [accuracy[name] for name in names], color=colors)
ax.invert_yaxis()
ax.set_xlim(0.7, 1.02)
ax.set_xlabel("test accuracy")
ax.set_title("digits: students of a CNN teacher")
for index, name in enumerate(names):
    ax.text(accuracy[name] + 0.003, index, f"{accuracy[name]:.3f}", va="center")
fig.tight_layout()
