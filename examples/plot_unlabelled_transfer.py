"""
Learning from unlabelled data
=============================

A common situation: the teacher was trained on the few labelled rows there
are, and much more data comes without labels. A distilled student needs no
labels at all (``fit(X)`` with no ``y``): the teacher labels every row it is
given, so the unlabelled pool becomes the student's training set.

Here a network is trained on 300 labelled digits. Decision trees are then
distilled from it on unlabelled pools of growing size, with and without
Gaussian-noise augmentation, and compared with a tree of the same depth
trained on the 300 labelled rows.
"""

import matplotlib.pyplot as plt
import numpy as np
import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier

from skdistill import DistilledDecisionTree, TorchTeacher, fidelity_score
from skdistill.augment import GaussianNoise

X, y = load_digits(return_X_y=True)
X_rest, X_test, y_rest, y_test = train_test_split(
    X, y, test_size=0.3, stratify=y, random_state=0
)
# 300 labelled rows; the labels of the other training rows are thrown away.
X_labelled, X_pool, y_labelled, _ = train_test_split(
    X_rest, y_rest, train_size=300, stratify=y_rest, random_state=0
)
print(f"{len(X_labelled)} labelled rows, {len(X_pool)} unlabelled rows")

# %%
# The teacher: a small MLP on the standardised pixels of the labelled rows.
scaler = StandardScaler().fit(X_labelled)
torch.manual_seed(0)
network = torch.nn.Sequential(
    torch.nn.Linear(64, 256), torch.nn.ReLU(), torch.nn.Linear(256, 10)
)
optimizer = torch.optim.Adam(network.parameters(), lr=1e-2, weight_decay=1e-3)
inputs = torch.as_tensor(scaler.transform(X_labelled), dtype=torch.float32)
targets = torch.as_tensor(y_labelled)
for _ in range(50):
    optimizer.zero_grad()
    torch.nn.functional.cross_entropy(network(inputs), targets).backward()
    optimizer.step()

teacher = TorchTeacher(
    network.eval(),
    preprocess=lambda batch: torch.as_tensor(
        scaler.transform(np.asarray(batch)), dtype=torch.float32
    ),
)
teacher_test = teacher.predict_logits(X_test).argmax(axis=1)

# %%
# The hard-label tree can only use the labelled rows. The distilled trees
# never see a label: they are fitted on the first ``n`` rows of the pool.


def distilled_tree(augment=None):
    return DistilledDecisionTree(
        teacher, temperature=1.0, max_depth=8, random_state=0, augment=augment
    )


def noise():
    return GaussianNoise(n_copies=10, scale=0.4, spread="feature", random_state=0)


hard = DecisionTreeClassifier(max_depth=8, random_state=0)
hard.fit(X_labelled, y_labelled)
hard_accuracy = hard.score(X_test, y_test)

pool_sizes = [75, 150, 300, 600, len(X_pool)]
plain, augmented = [], []
for n in pool_sizes:
    plain.append(distilled_tree().fit(X_pool[:n]).score(X_test, y_test))
    augmented.append(distilled_tree(noise()).fit(X_pool[:n]).score(X_test, y_test))

fig, ax = plt.subplots(figsize=(6, 4))
ax.plot(pool_sizes, plain, "o-", label="DistilledDecisionTree")
ax.plot(pool_sizes, augmented, "s-", label="DistilledDecisionTree + noise")
ax.axhline(hard_accuracy, color="tab:red", linestyle=":", label="tree, 300 labels")
ax.axhline(
    np.mean(teacher_test == y_test), color="grey", linestyle="--", label="teacher"
)
ax.set_xscale("log")
ax.set_xticks(pool_sizes, [str(n) for n in pool_sizes])
ax.minorticks_off()
ax.set_xlabel("unlabelled rows given to the student")
ax.set_ylabel("test accuracy")
ax.set_title("digits: max_depth=8 trees from a teacher on 300 labels")
ax.legend(loc="lower right")
fig.tight_layout()

# %%
# On the whole pool, against the hard-label tree and against students
# distilled on the labelled rows only (without their labels).
rows = [
    ("teacher (MLP, 300 labels)", teacher_test),
    ("DecisionTreeClassifier, 300 labels", hard.predict(X_test)),
    ("distilled, 300 labelled rows", distilled_tree().fit(X_labelled)),
    ("distilled + noise, 300 labelled rows", distilled_tree(noise()).fit(X_labelled)),
    (f"distilled, {len(X_pool)} unlabelled rows", distilled_tree().fit(X_pool)),
    (
        f"distilled + noise, {len(X_pool)} unlabelled",
        distilled_tree(noise()).fit(X_pool),
    ),
]
print(f"\n{'model':<42}{'accuracy':>10}{'fidelity':>10}")
for name, model in rows:
    predicted = model if isinstance(model, np.ndarray) else model.predict(X_test)
    accuracy = np.mean(predicted == y_test)
    fidelity = np.mean(predicted == teacher_test)
    print(f"{name:<42}{accuracy:>10.3f}{fidelity:>10.3f}")
print(f"\nfidelity_score on the test rows: {fidelity_score(rows[-1][1], X_test):.3f}")
