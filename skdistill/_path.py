"""The regularisation path of a linear student: one teacher pass, every ``C``."""

import copy
from numbers import Integral

import numpy as np
import scipy.optimize
from sklearn.base import clone
from sklearn.utils import Bunch

from skdistill._base import INPUT_ATTRIBUTES, is_dask_collection
from skdistill.linear import DistilledLogisticRegression

__all__ = ["regularization_path"]

# A default grid spans this many decades: from the emptiest student up (L1
# and elastic net), or 10**-4 to 10**4 as LogisticRegressionCV does (L2).
_L1_DECADES = 4


def regularization_path(
    estimator, X, y=None, *, Cs=10, sample_weight=None, teacher_logits=None
):
    """Fit a linear student at every ``C`` of a grid, warm started, teacher run once.

    The teacher labels X (and the synthetic rows of ``augment``) once; the
    students are then fitted from the smallest ``C`` to the largest, each
    starting from the previous solution, as scikit-learn's
    :class:`~sklearn.linear_model.LogisticRegressionCV` does. With an L1 part
    in the penalty the path goes from the empty student to dense ones, so
    ``n_nonzero`` against fidelity picks "the best student with at most k
    features". Each student equals ``clone(estimator).set_params(C=C).fit``
    on the same data, up to the solver's tolerance.

    Parameters
    ----------
    estimator : DistilledLogisticRegression
        The student to fit along the path; its ``C`` is ignored.
    X : {array-like, sparse matrix} of shape (n_samples, n_features)
        Transfer data, as for ``fit``.
    y : array-like of shape (n_samples,), default=None
        True labels, as for ``fit``.
    Cs : int or array-like of float, default=10
        The grid of ``C``, or its number of values. An int gives ``Cs``
        values spaced evenly in log scale: for ``penalty="l1"`` or
        ``"elasticnet"``, from the smallest ``C`` at which a coefficient is
        non-zero (exact, from the gradient at the intercept-only student)
        up 4 decades; for ``"l2"``, from 1e-4 to 1e4.
    sample_weight : array-like of shape (n_samples,), default=None
        Row weights, as for ``fit``.
    teacher_logits : array-like of shape (n_samples, n_classes), default=None
        Precomputed teacher logits for X, as for ``fit``.

    Returns
    -------
    path : sklearn.utils.Bunch
        ``Cs`` (ndarray, increasing), ``students`` (list of fitted
        :class:`DistilledLogisticRegression`, one per ``C``) and
        ``n_nonzero`` (ndarray of int: the features each student uses, those
        with a non-zero coefficient for some class).

    See Also
    --------
    sklearn.svm.l1_min_c : A lower bound on the smallest useful ``C`` of a
        hard-label L1 model.
    skdistill.FidelityCurveDisplay : Plots the path against fidelity.

    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.preprocessing import scale
    >>> from skdistill import DistilledLogisticRegression, regularization_path
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> X = scale(X)
    >>> teacher = LogisticRegression(max_iter=1000).fit(X, y)
    >>> path = regularization_path(
    ...     DistilledLogisticRegression(teacher, penalty="l1"), X, Cs=5
    ... )
    >>> path.n_nonzero.tolist()[0], len(path.students)
    (0, 5)
    """
    if not isinstance(estimator, DistilledLogisticRegression):
        raise TypeError(
            "regularization_path: estimator must be a DistilledLogisticRegression, "
            f"got {type(estimator).__name__}; for other students, fit one per "
            "value of the parameter with teacher_logits= from a first fit."
        )
    if any(map(is_dask_collection, (X, y, sample_weight, teacher_logits))):
        raise TypeError(
            "regularization_path: X is a Dask collection; the path is in memory "
            "only. Fit one DistilledLogisticRegression per C on the cluster, or "
            "take a sample of X in memory."
        )
    student = clone(estimator)
    student._validate_params()
    student._check_student()
    if student.penalty is None:
        raise ValueError(
            "regularization_path: the estimator has penalty=None, so C changes "
            "nothing; set penalty='l1', 'elasticnet' or 'l2'."
        )
    X, targets, sample_weight, teacher, augmenter = student._transfer_set(
        X, y, sample_weight, teacher_logits
    )
    problem = student._problem(X, targets, sample_weight)
    # With an L1 part the student is empty up to a bound on C, exactly; the
    # solver would leave round-off there. Above it, start from the empty one.
    sparse = student._l1_ratio() > 0
    empty = intercept_only(student, problem) if sparse else None
    bound = min_c(student, problem, empty) if sparse else 0.0
    Cs = _grid(Cs, bound)
    fitted = {
        **student._stage.fitted(targets),
        **{
            name: getattr(student, name)
            for name in INPUT_ATTRIBUTES
            if hasattr(student, name)
        },
    }
    students, coef = [], empty
    for C in Cs:
        student.set_params(C=float(C))
        l2, l1 = student._penalties(problem.real_weight)
        if C <= bound:
            student._set_coef(empty, 0)
        else:
            coef0 = problem.start(l2) if coef is None else coef
            student._minimize(problem.loss_grad, coef0, problem.args(l2), l1=l1)
        coef = student._coef()
        # Each student its own parameters (clone) and arrays; the teacher is
        # shared, as between any clones.
        alone = clone(student)
        alone._set_coef(coef.copy(), int(student.n_iter_[0]))
        for name, value in fitted.items():
            setattr(alone, name, copy.copy(value))
        alone.teacher_, alone.augment_ = teacher, augmenter
        students.append(alone)
    n_nonzero = np.array([np.any(s.coef_ != 0, axis=0).sum() for s in students])
    return Bunch(Cs=Cs, students=students, n_nonzero=n_nonzero)


def _grid(Cs, bound):
    """The increasing grid of C: given, or ``Cs`` values from the useful range.

    ``bound`` is the largest C of the empty student, 0 without an L1 part.
    """
    if isinstance(Cs, bool):
        raise ValueError(
            f"regularization_path: Cs={Cs} is a bool; pass the number of values "
            "(Cs=10) or a list of C."
        )
    if isinstance(Cs, Integral):
        if Cs < 1:
            raise ValueError(
                f"regularization_path: Cs={Cs} must be a positive number of "
                "values or a list of C; pass Cs=10, say."
            )
        if bound == 0:
            return np.logspace(-4, 4, Cs)
        return bound * np.logspace(0, _L1_DECADES, Cs)
    grid = np.asarray(Cs)
    if grid.dtype.kind not in "iuf" or grid.ndim != 1:
        raise ValueError(
            f"regularization_path: Cs={Cs!r} must be an int or a 1-d list of "
            "numbers; pass np.logspace(-3, 3, 10), say, or an int."
        )
    grid = np.unique(grid.astype(np.float64))  # sorted, each C once
    if grid.size == 0 or not np.all(np.isfinite(grid)) or grid[0] <= 0:
        raise ValueError(
            f"regularization_path: Cs={Cs!r} must hold finite positive values; "
            "pass np.logspace(-3, 3, 10), say, or an int."
        )
    return grid


def min_c(student, problem, empty):
    """The largest ``C`` at which the student's coefficients are all zero.

    Zero weights are optimal when no weight's gradient at the best
    intercept-only model exceeds the L1 strength ``l1_ratio / (C sum(w))``
    (an L2 part has no gradient at zero): ``C = l1_ratio / (sum(w) max|g|)``.
    ``empty`` is that intercept-only model, from :func:`intercept_only`.
    """
    n_features = problem.shape[1] - student.fit_intercept
    grad = problem.loss_grad(empty.ravel(), *problem.args(0.0))[1]
    largest = np.abs(grad.reshape(problem.shape)[:, :n_features]).max()
    if largest == 0:
        raise ValueError(
            "regularization_path: every coefficient's gradient is zero at the "
            "intercept-only model (constant features or targets), so no C gives "
            "a non-empty student; check X and the teacher's outputs."
        )
    # The L1 strength at C = 1.
    l1_at_one = student._l1_ratio() / problem.real_weight
    return l1_at_one / largest


def intercept_only(student, problem):
    """``[0 | b]`` with the best intercepts ``b``: the empty student."""
    coef = np.zeros(problem.shape)
    if not student.fit_intercept:
        return coef
    args = problem.args(0.0)

    def intercept_loss(b):
        coef[:, -1] = b
        loss, grad = problem.loss_grad(coef.ravel(), *args)
        return loss, grad.reshape(problem.shape)[:, -1]

    result = scipy.optimize.minimize(
        intercept_loss,
        problem.start(0.0)[:, -1],
        jac=True,
        method="L-BFGS-B",
        options={"gtol": 1e-12},
    )
    coef[:, -1] = result.x
    return coef
