"""The regularisation path of the linear student."""

import numpy as np
import pytest
import scipy.sparse as sp
from conftest import load_scaled, random_mlp
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.svm import l1_min_c

from skdistill import DistilledLogisticRegression, TorchTeacher, regularization_path
from skdistill.augment import GaussianNoise


def _real_rows(teacher, **params):
    """The student on the real rows alone (``augment=None``), the fit these
    oracles are of."""
    return DistilledLogisticRegression(teacher, **{"augment": None, **params})


TIGHT = {"tol": 1e-10, "max_iter": 10000}


class CountingTeacher:
    """A callable teacher that counts the rows it labels."""

    def __init__(self, model):
        self.model = model
        self.rows = 0

    def __call__(self, X):
        self.rows += len(X)
        return self.model.decision_function(X)


@pytest.mark.parametrize(
    ("penalty", "l1_ratio"), [("l1", None), ("elasticnet", 0.5), ("l2", None)]
)
@pytest.mark.parametrize("sparse", [False, True])
def test_every_student_equals_its_own_fit(penalty, l1_ratio, sparse):
    X, y = load_scaled("wine")
    X = sp.csr_matrix(X) if sparse else X
    teacher = TorchTeacher(random_mlp(X.shape[1], 3), device="cpu")
    student = _real_rows(teacher, penalty=penalty, l1_ratio=l1_ratio, **TIGHT)
    path = regularization_path(student, X, Cs=[0.3, 0.01, 0.03, 0.1, 0.03])
    assert_array_equal(path.Cs, [0.01, 0.03, 0.1, 0.3])
    for C, fitted, n_nonzero in zip(path.Cs, path.students, path.n_nonzero):
        alone = clone(student).set_params(C=C).fit(X)
        assert fitted.C == C
        assert fitted.teacher_ is alone.teacher_
        # Same support; within 1e-5 (multinomial L1 optima are flat along
        # shifts of a feature's coefficients: measured 1.8e-6 apart).
        assert_array_equal(fitted.coef_ == 0, alone.coef_ == 0)
        assert_allclose(fitted.coef_, alone.coef_, rtol=0, atol=1e-5)
        assert_allclose(fitted.intercept_, alone.intercept_, rtol=0, atol=1e-5)
        assert n_nonzero == np.count_nonzero(np.abs(alone.coef_).sum(axis=0))
    if penalty != "l2":
        assert path.n_nonzero[0] < path.n_nonzero[-1]


def test_the_teacher_labels_every_row_once():
    X, y = load_scaled("breast_cancer")
    teacher = CountingTeacher(LogisticRegression(max_iter=1000).fit(X, y))
    augment = GaussianNoise(n_copies=3, random_state=0)
    student = _real_rows(teacher, penalty="l1", augment=augment)
    path = regularization_path(student, X, Cs=6)
    assert teacher.rows == 4 * len(X)  # the real rows and 3 copies, once
    assert len(path.students) == 6
    alone = clone(student).set_params(C=path.Cs[3]).fit(X)
    assert_array_equal(path.students[3].predict(X), alone.predict(X))


def test_default_grid_starts_at_the_empty_student():
    X, y = load_scaled("wine")
    teacher = TorchTeacher(random_mlp(X.shape[1], 3), device="cpu")
    student = _real_rows(teacher, penalty="l1", **TIGHT)
    path = regularization_path(student, X, Cs=5)
    assert_allclose(path.Cs / path.Cs[0], np.logspace(0, 4, 5))
    assert path.n_nonzero[0] == 0 and path.n_nonzero[1] > 0
    # The bound is sharp: just below it the student is empty, just above not.
    below = clone(student).set_params(C=path.Cs[0] * 0.99).fit(X)
    above = clone(student).set_params(C=path.Cs[0] * 1.01).fit(X)
    assert not below.coef_.any() and above.coef_.any()


def test_hard_label_bound_is_exact():
    # Binary, no intercept, alpha=1: the hard-label L1 model. Its gradient
    # at zero is -sum_i (y_i - 1/2) x_i / n against an L1 strength 1 / (C n),
    # so the bound is 2 / max|sum_i Y_i x_i| (Y = +-1); saga, the slow exact
    # route, is empty just below it and not just above.
    X, y = load_scaled("breast_cancer")
    student = _real_rows(
        LogisticRegression(),
        alpha=1.0,
        penalty="l1",
        fit_intercept=False,
        max_iter=1000,
    )
    bound = regularization_path(student, X, y, Cs=3).Cs[0]
    assert bound == pytest.approx(2 / np.abs((2 * y - 1) @ X).max(), rel=1e-12)
    for factor, empty in [(0.99, True), (1.01, False)]:
        saga = LogisticRegression(
            C=bound * factor,
            l1_ratio=1.0,
            solver="saga",
            fit_intercept=False,
            tol=1e-10,
            max_iter=10_000,
            random_state=0,
        ).fit(X, y)
        assert (not saga.coef_.any()) is empty
    # scikit-learn's own l1_min_c is a looser bound, 4 times lower.
    assert l1_min_c(X, y, fit_intercept=False) == pytest.approx(bound / 4)


def test_l2_grid_is_logistic_regression_cvs():
    X, y = load_scaled("wine")
    path = regularization_path(_real_rows(LogisticRegression()), X, y, Cs=4)
    assert_allclose(path.Cs, np.logspace(-4, 4, 4))


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"Cs": 0}, ValueError, r"Cs=0 must be a positive number"),
        ({"Cs": [1.0, -1.0]}, ValueError, r"must hold finite positive values"),
        ({"Cs": []}, ValueError, r"must hold finite positive values"),
        ({"Cs": True}, ValueError, r"Cs=True is a bool"),
        ({"Cs": ["0.1", "1"]}, ValueError, r"must be an int or a 1-d list"),
        ({"Cs": [[0.1, 1.0]]}, ValueError, r"must be an int or a 1-d list"),
    ],
)
def test_bad_grids_say_how_to_fix(kwargs, error, match):
    X, y = load_scaled("wine")
    student = _real_rows(LogisticRegression(), penalty="l1")
    with pytest.raises(error, match=match):
        regularization_path(student, X, y, **kwargs)


def test_other_students_and_no_penalty_are_refused():
    from skdistill import DistilledDecisionTree

    X, y = load_scaled("wine")
    with pytest.raises(TypeError, match=r"must be a DistilledLogisticRegression"):
        regularization_path(DistilledDecisionTree(LogisticRegression()), X, y)
    with pytest.raises(ValueError, match=r"penalty=None, so C changes nothing"):
        regularization_path(_real_rows(LogisticRegression(), penalty=None), X, y)


def test_the_estimator_is_left_unfitted():
    X, y = load_scaled("wine")
    student = _real_rows(LogisticRegression(), penalty="l1")
    regularization_path(student, X, y, Cs=2)
    assert not hasattr(student, "coef_") and student.C == 1.0


def test_the_estimators_c_changes_nothing():
    X, y = load_scaled("wine")
    teacher = LogisticRegression(max_iter=1000).fit(X, y)
    grids = [
        regularization_path(_real_rows(teacher, penalty="l1", C=C), X, Cs=3).Cs
        for C in (1.0, np.inf)
    ]
    assert_array_equal(grids[0], grids[1])


def test_students_share_no_parameters_or_arrays():
    X, y = load_scaled("breast_cancer")
    teacher = LogisticRegression(max_iter=1000).fit(X, y)
    augment = GaussianNoise(n_copies=2, random_state=0)
    student = _real_rows(teacher, penalty="l1", augment=augment)
    first, second = regularization_path(student, X, Cs=[1e-6, 1e-5]).students
    assert not first.coef_.any() and not second.coef_.any()  # both empty
    first.set_params(augment__scale=0.1)
    first.coef_[0, 0] = 1.0
    assert second.augment.scale == 0.4 and second.coef_[0, 0] == 0.0
    assert first.teacher_ is second.teacher_
    assert augment.scale == 0.4


def test_an_elasticnet_without_l1_ratio_is_refused_before_the_teacher_runs():
    X, y = load_scaled("wine")
    teacher = CountingTeacher(LogisticRegression(max_iter=1000).fit(X, y))
    student = _real_rows(teacher, penalty="elasticnet")
    with pytest.raises(ValueError, match=r"l1_ratio=None"):
        regularization_path(student, X)
    with pytest.raises(ValueError, match=r"l1_ratio=None"):
        student.fit(X)
    assert teacher.rows == 0
