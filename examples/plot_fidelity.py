"""
Judging a student: the fidelity curve, the agreement matrix and the report
==========================================================================

A distilled student is worth deploying when it is small enough and close
enough to its teacher. This example answers both questions for a decision
tree distilled from a neural network on scikit-learn's digits:

1. :class:`~skdistill.FidelityCurveDisplay` fits the tree at several depths
   and plots its held-out accuracy and its fidelity (top-1 agreement with the
   teacher) against the depth, with the teacher's accuracy and the tree fitted
   on the hard labels as references: how big must the student be, and does
   distillation beat the labels?
2. :func:`~skdistill.fidelity_report` prints, for the chosen tree, both
   models' accuracy, the fidelity, the KL divergence from the teacher's
   distribution to the student's and the agreement per class.
3. :class:`~skdistill.AgreementDisplay` draws the teacher-student agreement
   matrix (where the student departs from its teacher, class by class) and
   points at the rows on which the student is least like its teacher.

A last section sweeps ``C`` of a sparse (L1) logistic regression distilled
from a network on the breast cancer data, and plots both scores against the
number of features the student uses.
"""

import matplotlib.pyplot as plt
from sklearn.base import clone
from sklearn.datasets import load_breast_cancer, load_digits
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skdistill import (
    AgreementDisplay,
    DistilledDecisionTree,
    DistilledLogisticRegression,
    FidelityCurveDisplay,
    fidelity_report,
)
from skdistill.augment import GaussianNoise

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.4, stratify=y, random_state=0
)

# %%
# The teacher: a small scikit-learn MLP on the standardised pixels. The
# students read the raw pixels; the teacher's pipeline scales them itself.
teacher = make_pipeline(
    StandardScaler(),
    MLPClassifier(hidden_layer_sizes=(32,), max_iter=500, random_state=0),
).fit(X_train, y_train)
print(f"teacher test accuracy: {teacher.score(X_test, y_test):.3f}")

# %%
# How deep must the tree be?
# --------------------------
#
# The student is a tree fitted on the training rows and on five noisy copies
# of each, all labelled by the teacher (Gaussian noise rows are what let a
# tree learn more from a teacher than from the labels, :doc:`/quality`). The
# display fits it once per depth, and the hard-label tree (``alpha=1,
# temperature=1``, no synthetic rows: scikit-learn's own tree) at each depth
# as well. The teacher runs once on the training rows and once on the test
# rows; only the synthetic rows, new at each fit, go through it again.
student = DistilledDecisionTree(
    teacher,
    augment=GaussianNoise(n_copies=5, scale=0.4, random_state=0),
    random_state=0,
)
depths = [2, 4, 6, 8, 10, 12]
curve = FidelityCurveDisplay.from_estimator(
    student,
    X_train,
    y_train,
    X_test,
    y_test,
    param_name="max_depth",
    param_range=depths,
)
curve.ax_.set_title("digits: a tree distilled from an MLP")

print(f"\n{'tree':<28}{'accuracy':>10}{'fidelity':>10}")
for depth, acc, fid, hard_acc, hard_fid in zip(
    depths, curve.accuracy, curve.fidelity, curve.hard_accuracy, curve.hard_fidelity
):
    print(f"{f'depth {depth:>2}, distilled':<28}{acc:>10.3f}{fid:>10.3f}")
    print(f"{f'depth {depth:>2}, hard labels':<28}{hard_acc:>10.3f}{hard_fid:>10.3f}")

# %%
# Reading the curve: the solid lines are the distilled tree, the dashed ones
# the hard-label tree, in the same colours; the dotted line is the teacher.
# Fidelity tracks accuracy closely: the teacher is right on 97 % of the test
# rows, so here agreeing with it and being right are nearly the same thing.
# The gap between the solid and the dashed lines is what distillation gains
# over the labels: the distilled tree is ahead at every depth. The hard-label
# tree stops improving after depth 8, the distilled one after depth 10;
# beyond that a deeper tree costs readability and buys nothing.

# %%
# The report of one student
# -------------------------
#
# A depth-8 tree (at most 256 leaves) is within a few points of the deepest
# one. ``fidelity_report`` gives its numbers on the test rows. Fidelity counts
# only the top class; the KL divergence, in nats per row, also counts how far
# the tree's probabilities are from the teacher's (0 when they are equal),
# and the log-loss against the teacher adds the teacher's own entropy, which
# no student can remove.
tree = clone(student).set_params(max_depth=8).fit(X_train, y_train)
print()
print(fidelity_report(tree, X_test, y_test))

# %%
# Where not to trust it
# ---------------------
#
# The agreement matrix has the teacher's top class down and the student's
# across, each row divided by the rows of its teacher class, so the diagonal
# is the per-class agreement of the report. A weak diagonal cell, with the
# mass it lost off the diagonal, names a class the student confuses, and
# with what.
fig, ax = plt.subplots(figsize=(8, 7))
agreement = AgreementDisplay.from_estimator(
    tree, X_test, n_lowest=8, ax=ax, text_kw={"fontsize": 8}
)
agreement.ax_.set_title("teacher against student, depth-8 tree")
weakest = agreement.per_class_agreement.argmin()
print(
    f"\nweakest class: {agreement.display_labels[weakest]}, agreement "
    f"{agreement.per_class_agreement[weakest]:.2f} on "
    f"{agreement.support[weakest]} rows"
)

# %%
# The rows of lowest agreement are those where the student gives the
# teacher's top class the lowest probability ``p``. Here are the eight lowest,
# with both models' answers: images the teacher reads one way and the tree,
# confidently, another: the tree gives the teacher's class almost no
# probability, because the teacher gave it almost none on the (real and
# synthetic) rows of the leaf these images fall in.
teacher_pred = teacher.predict(X_test)
student_pred = tree.predict(X_test)
fig, axes = plt.subplots(1, 8, figsize=(10, 2))
for ax, row, proba in zip(
    axes, agreement.lowest_agreement_rows, agreement.lowest_agreement_proba
):
    ax.imshow(X_test[row].reshape(8, 8), cmap="gray_r")
    ax.set_title(
        f"T {teacher_pred[row]}, S {student_pred[row]}\np={proba:.2g}", fontsize=9
    )
    ax.set_axis_off()
fig.suptitle("lowest agreement: teacher's (T) and student's (S) class")
fig.tight_layout()

# %%
# The best linear student with at most k features
# -----------------------------------------------
#
# A sweep over ``C`` of a :class:`~skdistill.DistilledLogisticRegression` goes
# through :func:`~skdistill.regularization_path`: the teacher labels the rows
# once, and the students are fitted from the smallest ``C`` to the largest,
# each starting from the previous one. With ``penalty="l1"`` the small ``C``
# give sparse students, and the display records how many features each one
# uses, so with ``x="n_nonzero"`` the plot reads as "the best student with at most k
# features". ``param_range=8`` asks the path for eight values of ``C``, from
# the largest at which the student is still empty up four decades. Here the
# teacher is a network on the 30 standardised features of the breast cancer
# data.
X, y = load_breast_cancer(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.5, stratify=y, random_state=0
)
scaler = StandardScaler().fit(X_train)
X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
network = MLPClassifier(hidden_layer_sizes=(32,), max_iter=1000, random_state=0)
network.fit(X_train, y_train)
sparse = FidelityCurveDisplay.from_estimator(
    DistilledLogisticRegression(network, penalty="l1", max_iter=1000),
    X_train,
    y_train,
    X_test,
    y_test,
    param_name="C",
    param_range=8,
    x="n_nonzero",
)
sparse.ax_.set_title("breast cancer: L1 logistic regression distilled from an MLP")

print(f"\n{'logistic regression':<28}{'accuracy':>10}{'fidelity':>10}")
rows = zip(
    sparse.n_nonzero,
    sparse.accuracy,
    sparse.fidelity,
    sparse.hard_n_nonzero,
    sparse.hard_accuracy,
    sparse.hard_fidelity,
)
for k, acc, fid, hard_k, hard_acc, hard_fid in rows:
    print(f"{f'{k:>2} features, distilled':<28}{acc:>10.3f}{fid:>10.3f}")
    print(
        f"{f'{hard_k:>2} features, hard labels':<28}{hard_acc:>10.3f}{hard_fid:>10.3f}"
    )

# %%
# With three features the distilled student is about as accurate as the
# hard-label one with five; from about ten features on, both are within a
# point or two of the teacher, and the distilled student agrees with the
# teacher more often than the hard-label one of a similar size. The students
# without any feature predict the majority class.
plt.show()
