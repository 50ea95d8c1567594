"""Property tests: invariants every student keeps, on data hypothesis draws.

Each property is checked on small problems (20-60 rows, 2-5 features, 1-4
logit columns) with a cheap teacher (a linear callable; a small torch MLP
where augmentation wants a smooth one), so the whole file runs in seconds.
Tolerances are stated with the reason for each. A case hypothesis found that
breaks a property is pinned in a strict expected failure that says why.
"""

from dataclasses import dataclass

import numpy as np
import pytest
from conftest import random_mlp
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.tree import DecisionTreeClassifier
from sklearn.utils import get_tags
from sklearn.utils.estimator_checks import (
    check_sample_weight_equivalence_on_dense_data,
    check_sample_weight_equivalence_on_sparse_data,
)

from skdistill import (
    DistilledClassifier,
    DistilledDecisionTree,
    DistilledLogisticRegression,
)
from skdistill.augment import GaussianNoise, Mixup, Munge
from skdistill.targets import (
    REPLICATE_THRESHOLD,
    as_logits,
    mix_hard_labels,
    soften,
)
from skdistill.teachers._outputs import probability_rows


def examples(n):
    """Settings of a property: ``n`` examples and no deadline (a fit's first
    call pays for imports, and fit times vary with the drawn problem)."""
    return settings(max_examples=n, deadline=None)


# Features a float32 holds exactly: the tree splits on float32 X while the
# teacher reads float64 X, and both must see the same numbers.
FEATURES = st.floats(-3, 3, width=32, allow_subnormal=False)
TEMPERATURES = st.floats(0.05, 50)
ALPHAS = st.floats(0, 1)

# Two L-BFGS fits of one problem (rows permuted, or weighted instead of
# repeated) stop at slightly different points: L-BFGS stops when the loss
# changes by less than 64 eps relative, so the two coefficient vectors differ
# by up to sqrt(64 eps / curvature). On well-spread rows the fitted
# distributions then agree to about 1e-7; on nearly collinear rows, which
# hypothesis seeks out, the curvature is little more than the L2 penalty
# 1 / (C n) ~ 0.02, and they agree to a few 1e-6. They are compared on the
# rows the fits see: far from them, in a direction the data hardly constrain,
# they may differ more.
LBFGS_TOL = 1e-10
LBFGS_ATOL = 1e-5


def lbfgs_atol(problem, name):
    """LBFGS_ATOL, times T for the linear student with a soft term.

    Its objective weighs the soft term by T**2, so the loss L-BFGS sees is
    up to T**2 times larger; its ftol is relative to the loss once the loss
    exceeds 1, so the coefficients where it stops move by up to
    sqrt(T**2) = T times more (hypothesis found 2.1e-5 at T = 14).
    """
    if name == "linear" and problem.alpha < 1:
        return LBFGS_ATOL * max(1.0, problem.temperature)
    return LBFGS_ATOL


# Integer weights and targets on a 2**-30 grid make every sum of targets the
# tree takes exact, in any order, weighted or repeated alike; the sums of
# their squares are not, and round differently. A node whose squared error is
# near scikit-learn's EPSILON (2.2e-16), under which a node is a leaf, may be
# split in one fit and not in the other, and one row of n in it may stand
# out by up to sqrt(n * K * EPSILON) ~ 4e-7 here: the fitted leaf
# distributions agree to that, not exactly (hypothesis found 1.2e-7).
TREE_ATOL = 1e-6

# Row sums of a softmax in float64: a few ulps of 1 per class.
SUM_ATOL = 1e-12


class LinearTeacher:
    """Logits ``X @ W + b``; one column is a single binary logit."""

    def __init__(self, coef, intercept):
        self.coef = coef
        self.intercept = intercept

    def __call__(self, X):
        logits = np.asarray(X, dtype=np.float64) @ self.coef + self.intercept
        return logits[:, 0] if logits.shape[1] == 1 else logits

    def __repr__(self):
        return f"LinearTeacher(coef={self.coef!r}, intercept={self.intercept!r})"


@dataclass
class Problem:
    X: np.ndarray
    y: np.ndarray
    sample_weight: np.ndarray
    X_test: np.ndarray
    teacher: LinearTeacher
    temperature: float
    alpha: float


@st.composite
def problems(draw, *, scales=(1.0,), temperatures=TEMPERATURES):
    """A transfer set, labels, integer weights, test rows and a linear teacher.

    One logit column stands for a binary teacher with a single logit.
    """
    n_rows = draw(st.integers(20, 60))
    n_features = draw(st.integers(2, 5))
    n_columns = draw(st.integers(1, 4))
    n_classes = max(n_columns, 2)
    X = draw(hnp.arrays(np.float64, (n_rows, n_features), elements=FEATURES))
    coef = draw(hnp.arrays(np.float64, (n_features, n_columns), elements=FEATURES))
    intercept = draw(hnp.arrays(np.float64, n_columns, elements=FEATURES))
    scale = draw(st.sampled_from(scales))
    y = draw(hnp.arrays(np.int64, n_rows, elements=st.integers(0, n_classes - 1)))
    sample_weight = draw(hnp.arrays(np.int64, n_rows, elements=st.integers(0, 3)))
    assume(sample_weight.any())
    X_test = draw(hnp.arrays(np.float64, (10, n_features), elements=FEATURES))
    # A teacher whose logits all look like probabilities is refused, rightly
    # (test_bad_input.py); hypothesis finds one with X or coef all zeros (a
    # single logit of 1 is the rows [0, 1]).
    logits = scale * (X @ coef + intercept)
    assume(not probability_rows(as_logits(logits[:, 0] if n_columns == 1 else logits)))
    return Problem(
        X=X,
        y=y,
        sample_weight=sample_weight,
        X_test=X_test,
        teacher=LinearTeacher(scale * coef, scale * intercept),
        temperature=draw(temperatures),
        alpha=draw(ALPHAS),
    )


def kept_classes(problem, rows):
    """The classes that keep a replicated row of ``rows`` in
    DistilledClassifier's fit."""
    P = soften(as_logits(problem.teacher(problem.X[rows])), problem.temperature)
    Q = mix_hard_labels(P, problem.y[rows], problem.alpha)
    return set(np.nonzero(Q > REPLICATE_THRESHOLD)[1].tolist())


def fitted_distributions(student, X, temperature):
    """The student's distributions on the scale it was fitted at.

    The solvers' tolerances hold there. The linear student's objective is
    in its deployed logits, and the tree's leaves are averages of the
    deploy-scale targets: both are predict_proba. The wrapper deploys its
    student's probabilities raised to ``exponent_`` (renormalised), which
    magnifies a difference that many times, so it is compared on its
    student's own scale.
    """
    log_proba = student.predict_log_proba(X)
    return soften(log_proba, getattr(student, "exponent_", 1.0))


def make_students(problem):
    """The three students of ``problem``'s teacher at its T and alpha.

    The wrapper's LogisticRegression is left out where the targets of the
    rows of positive weight keep a single class (a teacher sure of one class
    on every row, or alpha=1 with one label): LogisticRegression refuses one
    class, by design. They fit the real rows alone (``augment=None``): the
    properties below are exact there, and synthetic rows are random draws.
    """
    common = {
        "temperature": problem.temperature,
        "alpha": problem.alpha,
        "augment": None,
    }
    students = {
        "tree": DistilledDecisionTree(problem.teacher, random_state=0, **common),
    }
    labels = set(problem.y[problem.sample_weight > 0].tolist())
    if problem.alpha < 1 or len(labels) >= 2:
        # The hard labels of one class alone have no finite optimum (the
        # intercept is not penalised): L-BFGS stops anywhere on the way.
        students["linear"] = DistilledLogisticRegression(
            problem.teacher, tol=LBFGS_TOL, max_iter=1000, **common
        )
    if len(kept_classes(problem, problem.sample_weight > 0)) >= 2:
        students["wrapper"] = DistilledClassifier(
            LogisticRegression(tol=LBFGS_TOL, max_iter=1000),
            problem.teacher,
            **common,
        )
    return students


# (a) Targets and predicted probabilities are distributions.


@st.composite
def teacher_outputs(draw):
    """Logits of any magnitude up to 1e4, as (n,), (n, 1) or (n, K)."""
    n_rows = draw(st.integers(1, 30))
    shape = draw(
        st.sampled_from([(n_rows,), (n_rows, 1)])
        | st.integers(2, 5).map(lambda k: (n_rows, k))
    )
    magnitude = st.floats(-1e4, 1e4, allow_subnormal=False)
    return draw(hnp.arrays(np.float64, shape, elements=magnitude))


@examples(200)
@given(output=teacher_outputs(), temperature=TEMPERATURES, alpha=ALPHAS, data=st.data())
def test_targets_are_distributions(output, temperature, alpha, data):
    logits = as_logits(output)
    n_rows, n_classes = logits.shape
    y_index = data.draw(
        hnp.arrays(np.intp, n_rows, elements=st.integers(0, n_classes - 1))
    )
    P = soften(logits, temperature)
    Q = mix_hard_labels(P, y_index, alpha)
    for targets in (P, Q):
        assert ((targets >= 0) & (targets <= 1)).all()
        assert_allclose(targets.sum(axis=1), 1.0, rtol=0, atol=SUM_ATOL)
    # The hard label gets at least its share alpha.
    assert (Q[np.arange(n_rows), y_index] >= alpha * (1 - SUM_ATOL)).all()


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@examples(50)
@given(problem=problems(scales=(1.0, 1e3)))
def test_predict_proba_is_a_distribution(problem):
    # A sharp teacher (logits up to ~1e4) can stop L-BFGS short of tol; the
    # probabilities must be distributions all the same, hence the filter.
    students = make_students(problem)
    # A student that takes a single class: the wrapper places its columns
    # among all the teacher's classes.
    students["wrapper of a tree"] = DistilledClassifier(
        DecisionTreeClassifier(random_state=0),
        problem.teacher,
        temperature=problem.temperature,
        alpha=problem.alpha,
    )
    for student in students.values():
        student.fit(problem.X, problem.y, sample_weight=problem.sample_weight)
        proba = student.predict_proba(problem.X_test)
        assert proba.shape == (len(problem.X_test), len(student.classes_))
        assert ((proba >= 0) & (proba <= 1)).all()
        assert_allclose(proba.sum(axis=1), 1.0, rtol=0, atol=SUM_ATOL)


# (b) Row order does not matter.


@examples(40)
@given(problem=problems(), data=st.data())
def test_predictions_do_not_depend_on_row_order(problem, data):
    order = data.draw(st.permutations(range(len(problem.X))))
    # Rows of weight 0 are not fitted: the L-BFGS students extrapolate there.
    X_weighed = problem.X[problem.sample_weight > 0]
    fits = {}
    for rows in (np.arange(len(problem.X)), np.array(order)):
        for name, student in make_students(problem).items():
            if name == "tree" and problem.temperature < 1:
                # The known limitation of nearly pure nodes below T = 1
                # (test_tree_row_order_on_nearly_pure_nodes): hypothesis found
                # 1.8e-5 at T = 0.5. Tested at T >= 1.
                continue
            student.fit(
                problem.X[rows],
                problem.y[rows],
                sample_weight=problem.sample_weight[rows],
            )
            proba = fitted_distributions(student, X_weighed, problem.temperature)
            fits.setdefault(name, []).append(proba)
    for name, (before, after) in fits.items():
        # The tree is compared on the rows it is fitted on: where splits tie
        # (a node of near-identical targets, see TREE_ATOL), the one that wins
        # may differ and route unseen rows elsewhere.
        atol = TREE_ATOL if name == "tree" else lbfgs_atol(problem, name)
        assert_allclose(after, before, rtol=0, atol=atol, err_msg=name)


@pytest.mark.xfail(
    strict=True,
    reason=(
        "known limitation: the tree's probabilities can depend on row order "
        "at T < 1. Whether a "
        "nearly pure node is a leaf compares its squared error with "
        "scikit-learn's EPSILON (2.2e-16), an absolute threshold, and that error "
        "rounds differently in another row order (here 1.5e-16 against "
        "2.6e-16), so one order splits the node and the other does not. The "
        "softened targets differ there by 3e-8 only (at T = 0.3 they are nearly "
        "one-hot), but the split separates rows whose teacher probabilities at "
        "T = 1 differ, so the leaves' averages of them move by 3e-3"
    ),
)
def test_tree_row_order_on_nearly_pure_nodes():
    # Found by a search over small random problems; the rows reversed.
    X = np.array([[1.0, 0.4], [0.5, 0.4], [0.7, -0.8], [0.5, 0.4], [0.7, -0.8]])
    sample_weight = np.array([2, 1, 1, 3, 2])
    teacher = LinearTeacher(
        np.array([[-4.9, -3.2, 0.1], [0.7, 1e-10, -2.9]]), np.array([-3.3, 1.2, 4.3])
    )
    reverse = np.arange(len(X))[::-1]
    student = DistilledDecisionTree(teacher, temperature=0.3, random_state=0)
    forward = student.fit(X, sample_weight=sample_weight).predict_proba(X)
    student.fit(X[reverse], sample_weight=sample_weight[reverse])
    assert_array_equal(student.predict_proba(X), forward)


# (c) An integer sample weight is the same as repeating the row.


@examples(40)
@given(problem=problems())
def test_integer_weights_equal_repeated_rows(problem):
    repeated = np.repeat(np.arange(len(problem.X)), problem.sample_weight)
    # Compared on the rows both fits see: a row of weight 0 is not among the
    # repeated rows, and may fall on either side of a threshold next to it.
    # The tree too is compared on training rows only: where several splits
    # tie, which one wins may differ, routing unseen rows differently (see
    # test_tree_weights_equal_repeated_rows_on_unseen_rows).
    kept = problem.sample_weight > 0
    X_eval = problem.X[kept]
    weighted = make_students(problem)
    for student in weighted.values():
        student.fit(problem.X, problem.y, sample_weight=problem.sample_weight)
    for name, student in make_students(problem).items():
        if name not in weighted:
            continue
        if name == "tree" and problem.temperature < 1:
            # Below T = 1 the softened targets are nearly one-hot, and whether
            # a nearly pure node splits compares its error with an absolute
            # threshold that rounds differently in another row order or
            # weighting (test_tree_row_order_on_nearly_pure_nodes, a known
            # limitation; hypothesis found 8e-4 at T = 0.1). Tested at T >= 1.
            continue
        student.fit(problem.X[repeated], problem.y[repeated])
        expected = fitted_distributions(weighted[name], X_eval, problem.temperature)
        got = fitted_distributions(student, X_eval, problem.temperature)
        atol = TREE_ATOL if name == "tree" else lbfgs_atol(problem, name)
        assert_allclose(got, expected, rtol=0, atol=atol)


@pytest.mark.xfail(
    strict=True,
    reason=(
        "known limitation: weighted and repeated rows can grow different trees "
        "where splits tie. A node of "
        "identical repeated rows is not pure for the regression tree on Q (its "
        "squared error rounds to ~1e-16, above scikit-learn's EPSILON), so the "
        "splitter runs there and draws features from the tree's random state; "
        "the weighted fit has one row there and draws nothing. Later tied "
        "splits are then broken differently and unseen rows routed elsewhere "
        "(docs/design.rst: weighted and repeated rows give the same tree)"
    ),
)
def test_tree_weights_equal_repeated_rows_on_unseen_rows():
    # The smallest case hypothesis-style search found: rows 2 and 3 (after
    # the first split) tie between x0 and x1; the training rows agree.
    X = np.array([[-0.2, -2.9], [0.2, -2.6], [1.5, 0.4], [-1.6, -0.8]])
    teacher = LinearTeacher(np.array([[1.0, -0.3, 0.7], [-1.4, 0.9, 1.6]]), np.zeros(3))
    sample_weight = np.array([3, 3, 2, 3])
    repeated = np.repeat(np.arange(len(X)), sample_weight)
    weighted = DistilledDecisionTree(teacher, random_state=0)
    weighted.fit(X, sample_weight=sample_weight)
    student = DistilledDecisionTree(teacher, random_state=0).fit(X[repeated])
    assert_array_equal(student.predict_proba(X), weighted.predict_proba(X))
    X_unseen = np.array([[-0.3, 0.1]])
    assert_array_equal(
        student.predict_proba(X_unseen), weighted.predict_proba(X_unseen)
    )


def test_wrapper_zero_weight_rows_are_removed_rows():
    # A class that only a row of weight 0 keeps must not reach the student.
    X = np.random.default_rng(0).normal(size=(30, 2))
    X[:, 1] = np.clip(X[:, 1], -1.4, 1.4)
    X[0] = [0.0, 2.0]  # the one row where class 2 has mass, of weight 0

    def teacher(X):
        logits = np.column_stack([X[:, 0], -X[:, 0], np.full(len(X), -40.0)])
        logits[X[:, 1] > 1.5, 2] = 0.0
        return logits

    sample_weight = np.ones(len(X), dtype=int)
    sample_weight[0] = 0
    real_rows = {"augment": None}  # fewer rows would draw other synthetic rows
    weighted = DistilledClassifier(LogisticRegression(), teacher, **real_rows)
    weighted.fit(X, sample_weight=sample_weight)
    removed = DistilledClassifier(LogisticRegression(), teacher, **real_rows)
    removed.fit(X[1:])
    assert_allclose(
        weighted.predict_proba(X[1:]), removed.predict_proba(X[1:]), atol=1e-6
    )


def _check_teacher():
    # As in test_common.py: deterministic and weight-aware, trained in fit.
    return LogisticRegression(max_iter=1000)


# On the real rows: with synthetic rows the equivalence holds in expectation
# only (test_common.py gives the reason).
SCIKIT_LEARN_CHECK_STUDENTS = [
    DistilledLogisticRegression(_check_teacher(), augment=None),
    DistilledDecisionTree(_check_teacher(), random_state=0, augment=None),
    DistilledDecisionTree(_check_teacher(), alpha=0.5, random_state=0, augment=None),
    DistilledClassifier(LogisticRegression(), _check_teacher(), augment=None),
]


@pytest.mark.parametrize(
    "student", SCIKIT_LEARN_CHECK_STUDENTS, ids=lambda s: type(s).__name__
)
def test_scikit_learn_sample_weight_equivalence(student):
    name = type(student).__name__
    check_sample_weight_equivalence_on_dense_data(name, clone(student))
    if get_tags(student).input_tags.sparse:
        check_sample_weight_equivalence_on_sparse_data(name, clone(student))


# (d) random_state makes every fit reproducible.


def spread_problem(seed, n_rows, n_features, n_classes):
    """Normal rows (no two alike), test rows and a small non-linear teacher."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n_rows, n_features))
    X_test = rng.normal(size=(20, n_features))
    teacher = random_mlp(n_features, n_classes, seed=seed, hidden=8)
    return X, X_test, teacher


@st.composite
def seeded_problems(draw):
    """:func:`spread_problem` of drawn size: rows spread out, so that another
    seed of the augmenter or of the tree changes the fit."""
    return spread_problem(
        draw(st.integers(0, 10_000)),
        draw(st.integers(20, 60)),
        draw(st.integers(2, 5)),
        draw(st.integers(2, 4)),
    )


def _fit_twice_and_once_more(make, X, X_test):
    """Probabilities of two fits of one student, and of a fit of its clone."""
    student = make()
    first = student.fit(X).predict_proba(X_test)
    second = student.fit(X).predict_proba(X_test)
    third = clone(make()).fit(X).predict_proba(X_test)
    return first, second, third


@examples(20)
@given(problem=seeded_problems(), seed=st.integers(0, 1000))
def test_tree_random_state_makes_fits_reproducible(problem, seed):
    X, X_test, teacher = problem

    def make(random_state):
        return lambda: DistilledDecisionTree(
            teacher, max_features=0.5, random_state=random_state
        )

    first, *again = _fit_twice_and_once_more(make(seed), X, X_test)
    for proba in again:
        assert_array_equal(proba, first)
    # Other seeds try features in another order; on small spread-out data
    # some of them must grow another tree, or random_state is ignored.
    others = [make(seed + k)().fit(X).predict_proba(X_test) for k in range(1, 6)]
    assert any(not np.array_equal(proba, first) for proba in others)


STUDENT_FACTORIES = {
    "linear": lambda teacher, augment: DistilledLogisticRegression(
        teacher, augment=augment, max_iter=1000
    ),
    "tree": lambda teacher, augment: DistilledDecisionTree(
        teacher, augment=augment, random_state=0
    ),
    "wrapper": lambda teacher, augment: DistilledClassifier(
        LogisticRegression(max_iter=1000), teacher, augment=augment
    ),
}


@pytest.mark.parametrize("augmenter", [GaussianNoise, Munge, Mixup])
@pytest.mark.parametrize("student", STUDENT_FACTORIES)
@examples(3)
@given(problem=seeded_problems(), seed=st.integers(0, 1000))
def test_augmenter_random_state_makes_fits_reproducible(
    student, augmenter, problem, seed
):
    X, X_test, teacher = problem

    def make(random_state):
        augment = augmenter(n_copies=2, random_state=random_state)
        return lambda: STUDENT_FACTORIES[student](teacher, augment)

    first, *again = _fit_twice_and_once_more(make(seed), X, X_test)
    for proba in again:
        assert_array_equal(proba, first)
    other = make(seed + 1)().fit(X).predict_proba(X_test)
    assert not np.array_equal(other, first)


NAMED_AUGMENT_STUDENTS = {
    "linear": DistilledLogisticRegression,
    "tree": DistilledDecisionTree,
    "wrapper": lambda teacher, **kw: DistilledClassifier(
        LogisticRegression(), teacher, **kw
    ),
}


@pytest.mark.parametrize("student", NAMED_AUGMENT_STUDENTS)
@pytest.mark.parametrize("name", ["noise", "munge", "mixup"])
def test_augment_name_follows_the_students_random_state(name, student):
    X, X_test, teacher = spread_problem(0, 40, 3, 3)

    def make(seed):
        factory = NAMED_AUGMENT_STUDENTS[student]
        return lambda: factory(teacher, random_state=seed, augment=name)

    first, *again = _fit_twice_and_once_more(make(0), X, X_test)
    for proba in again:
        assert_array_equal(proba, first)
    other = make(1)().fit(X).predict_proba(X_test)
    assert not np.array_equal(other, first)
