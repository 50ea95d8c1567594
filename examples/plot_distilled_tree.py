"""
Distilling a torch network into a decision tree
===============================================

A network trained on scikit-learn's digits is distilled into decision trees
of growing depth with :class:`~skdistill.DistilledDecisionTree`, next to
trees trained on the hard labels. The plot shows test accuracy against
depth; the rules of a depth-3 distilled tree are printed at the end, with the
class distribution of every leaf.
"""

import matplotlib.pyplot as plt
import numpy as np
import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier

from skdistill import DistilledDecisionTree, TorchTeacher, fidelity_score

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.3, stratify=y, random_state=0
)
scaler = StandardScaler().fit(X_train)

# %%
# The teacher: a small MLP on the standardised pixels, trained in seconds.
torch.manual_seed(0)
network = torch.nn.Sequential(
    torch.nn.Linear(64, 256), torch.nn.ReLU(), torch.nn.Linear(256, 10)
)
optimizer = torch.optim.Adam(network.parameters(), lr=1e-2, weight_decay=1e-4)
inputs = torch.as_tensor(scaler.transform(X_train), dtype=torch.float32)
targets = torch.as_tensor(y_train)
for _ in range(60):
    optimizer.zero_grad()
    torch.nn.functional.cross_entropy(network(inputs), targets).backward()
    optimizer.step()

# The trees read raw pixels; the teacher standardises them itself.
teacher = TorchTeacher(
    network,
    preprocess=lambda batch: torch.as_tensor(
        scaler.transform(np.asarray(batch)), dtype=torch.float32
    ),
)
teacher_accuracy = np.mean(teacher.predict_logits(X_test).argmax(axis=1) == y_test)

# %%
# Hard-label trees against distilled trees, depth by depth.
depths = list(range(2, 11))
hard, distilled, fidelity = [], [], []
for depth in depths:
    tree = DecisionTreeClassifier(max_depth=depth, random_state=0)
    hard.append(tree.fit(X_train, y_train).score(X_test, y_test))
    student = DistilledDecisionTree(teacher, max_depth=depth, random_state=0)
    student.fit(X_train)
    distilled.append(student.score(X_test, y_test))
    fidelity.append(fidelity_score(student, X_test))

print(f"teacher test accuracy: {teacher_accuracy:.3f}\n")
print(f"{'depth':>5}{'hard tree':>11}{'distilled':>11}{'fidelity':>10}")
for row in zip(depths, hard, distilled, fidelity):
    print("{:>5}{:>11.3f}{:>11.3f}{:>10.3f}".format(*row))

fig, ax = plt.subplots(figsize=(6, 4))
ax.plot(depths, hard, "o-", label="decision tree, hard labels")
ax.plot(depths, distilled, "s-", label="DistilledDecisionTree")
ax.axhline(teacher_accuracy, color="grey", linestyle="--", label="teacher (MLP)")
ax.set_xlabel("max_depth")
ax.set_ylabel("test accuracy")
ax.set_title("digits: trees distilled from a torch network")
ax.legend()
fig.tight_layout()

# %%
# A depth-3 distilled tree, read as rules.
small = DistilledDecisionTree(teacher, max_depth=3, random_state=0).fit(X_train)
names = [f"pixel_{i // 8}_{i % 8}" for i in range(64)]
print(small.export_text(feature_names=names))
plt.show()
