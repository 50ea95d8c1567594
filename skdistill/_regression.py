"""The regression task: its target stage and the base of its students.

A regression student fits the real-valued targets ``(1 - alpha) * f(x) +
alpha * y`` (the teacher's predictions ``f``, mixed with the true values on
the labelled rows). For squared error this is exactly the mixed loss

    alpha * ||y - s(x)||^2 + (1 - alpha) * ||f(x) - s(x)||^2

up to a term free of the student, so it needs no replication and no
temperature: :class:`RegressionTargets` holds the teacher's predictions on
every transfer row and the true values of the real rows, and mixes them.
:class:`RegressionStage` makes them from the teacher's output and y;
:class:`BaseDistilledRegressor` is the base of the regression students.
"""

import warnings

import numpy as np
from sklearn.base import RegressorMixin
from sklearn.metrics import r2_score
from sklearn.utils.validation import check_array

from skdistill._base import BaseDistiller
from skdistill._sklearn import _fit_context

__all__ = [
    "BaseDistilledRegressor",
    "RegressionStage",
    "RegressionTargets",
    "check_values",
]


def _n_outputs(values):
    return 1 if values.ndim == 1 else values.shape[1]


def _like(values, reference):
    """``values`` with ``reference``'s layout: (n,) or (n, 1) for one output."""
    if values.ndim == 2 and reference.ndim == 1 and values.shape[1] == 1:
        return values[:, 0]
    if values.ndim == 1 and reference.ndim == 2:
        return values[:, np.newaxis]
    return values


def check_values(values, n_samples, owner, source):
    """Validate a regression teacher's predictions; return them as float64.

    Parameters
    ----------
    values : array-like of shape (n_samples,) or (n_samples, n_outputs)
    n_samples : int
        Rows of X.
    owner : str
        The student's class, for messages.
    source : str
        What ``values`` are, for messages ("the teacher's output").

    Returns
    -------
    values : ndarray of shape (n_samples,) or (n_samples, n_outputs), float64
    """
    try:
        values = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"{owner}: {source} is not a numeric array ({exc}); a regression "
            "teacher returns numbers, one row of predictions per row of X."
        ) from exc
    if values.ndim not in (1, 2) or (values.ndim == 2 and values.shape[1] == 0):
        raise ValueError(
            f"{owner}: {source} has shape {values.shape}; a regression teacher "
            "returns one prediction per row of X, shape (n_samples,), or one row "
            "of predictions, shape (n_samples, n_outputs)."
        )
    if len(values) != n_samples:
        raise ValueError(
            f"{owner}: {source} has {len(values)} rows but X has {n_samples}; a "
            "regression teacher returns one row of predictions per row of X."
        )
    if values.size and not np.isfinite(values).all():
        bad = ~np.isfinite(values.reshape(len(values), -1)).all(axis=1)
        rows = np.flatnonzero(bad)
        raise ValueError(
            f"{owner}: {source} contains NaN or infinity in {rows.size} row(s) "
            f"(first: row {rows[0]}: {np.atleast_1d(values[rows[0]])[:10].tolist()}); "
            "check the teacher on those rows, or leave them out of X."
        )
    return values


class RegressionTargets:
    """What a regression student is fitted to.

    Parameters
    ----------
    values : ndarray of shape (n_samples,) or (n_samples, n_outputs)
        The teacher's predictions on every transfer row, the real rows first.
    y : ndarray of shape (n_real,) or (n_real, n_outputs), or None
        True values of the real rows, in the layout of ``values``.
    alpha : float
        Weight of the true values on the real rows.
    """

    def __init__(self, values, y, alpha):
        self.values = values
        self.y = y
        self.alpha = float(alpha)

    @property
    def hard_only(self):
        """Whether every row is labelled and only its true value counts."""
        return (
            self.alpha == 1 and self.y is not None and len(self.y) == len(self.values)
        )

    def mixed(self):
        """``(1 - a_i) f(x_i) + a_i y_i``, a new float64 array."""
        targets = np.array(self.values, dtype=np.float64)
        if self.y is not None and self.alpha:
            real = targets[: len(self.y)]
            real *= 1.0 - self.alpha
            real += self.alpha * self.y
        return targets

    def check_informative(self, owner):
        """Warn when the teacher predicts the same value on every row."""
        values = self.values
        if self.hard_only or len(values) < 2:
            return
        if np.all(values == values[0]):
            warnings.warn(
                f"{owner}: the teacher predicts the same value on every row "
                f"({np.atleast_1d(values[0])[:5].tolist()}), so its predictions "
                "carry no information about X; check that it is trained and that "
                "its output is the prediction itself.",
                UserWarning,
                stacklevel=5,
            )


class RegressionStage:
    """The regression target stage (see :mod:`skdistill._base`)."""

    task = "regression"
    given = "teacher_predictions"

    def validate_y(self, y, owner):
        try:
            y = check_array(y, ensure_2d=False, dtype=np.float64, input_name="y")
        except ValueError as exc:
            raise ValueError(
                f"{owner}: bad y: {exc} y holds the true values of the rows of X "
                "(finite numbers), or is None to learn from the teacher alone."
            ) from exc
        if y.ndim > 2:
            raise ValueError(
                f"{owner}: y has shape {y.shape}; pass one value per row of X, "
                "shape (n_samples,), or one row of values, (n_samples, n_outputs)."
            )
        return y

    def predict(self, teacher, X, remember):
        return teacher.predict_values(X, remember=remember)

    def check(self, outputs, n_samples, owner, source):
        return check_values(outputs, n_samples, owner, source)

    def labels(self, values, y, teacher, owner, source):
        """y, once its number of outputs is checked against the teacher's."""
        if y is not None and _n_outputs(y) != _n_outputs(values):
            raise ValueError(
                f"{owner}: {source} has {_n_outputs(values)} output(s) per row but "
                f"y has {_n_outputs(y)}; pass y with one column per output of the "
                "teacher."
            )
        return y

    def targets(self, values, y, estimator):
        # One output keeps the layout of y: (n,) unless y is (n, 1); a
        # teacher's single output column without y gives (n,).
        values = _like(values, np.empty(0) if y is None else y)
        return RegressionTargets(values, y, estimator.alpha)

    def fitted(self, targets):
        return {}

    def fidelity(self, student, X, values, sample_weight):
        """R² of the student's predictions against the teacher's."""
        predictions = np.asarray(student.predict(X), dtype=np.float64)
        if _n_outputs(predictions) != _n_outputs(values):
            raise ValueError(
                f"fidelity_score: the teacher predicts {_n_outputs(values)} "
                f"output(s) per row but {type(student).__name__} "
                f"{_n_outputs(predictions)}; a teacher's output shape must not "
                "change between calls. Refit the student with the teacher as it "
                "is now."
            )
        return float(
            r2_score(
                _like(values, predictions), predictions, sample_weight=sample_weight
            )
        )


class BaseDistilledRegressor(RegressorMixin, BaseDistiller):
    """Base class of the regression students.

    A student implements ``_fit_targets(X, targets, sample_weight)`` (fit the
    :class:`RegressionTargets` of the transfer rows) and ``predict``.
    """

    _stage = RegressionStage()

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # y is optional: without it the student learns from the teacher alone
        # (RegressorMixin says otherwise).
        tags.target_tags.required = False
        return tags

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y=None, *, sample_weight=None, teacher_predictions=None):
        """Fit the student to the teacher's predictions on X (mixed with y).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Transfer data: the rows the teacher labels and the student learns
            from.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs), default=None
            True values. Optional: needed when ``alpha > 0`` and to train an
            unfitted scikit-learn teacher.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative row weights; ones when None.
        teacher_predictions : array-like of shape (n_samples,) or \
(n_samples, n_outputs), default=None
            Precomputed teacher predictions for X; the teacher is then not
            run. Search objects slice it per fold like ``sample_weight``.

        Returns
        -------
        self : object
            The fitted student.
        """
        return self._fit_distilled(X, y, sample_weight, teacher_predictions)

    def score(self, X, y=None, sample_weight=None):
        """R² on ``(X, y)``; without y, R² against the teacher's predictions.

        With ``y=None`` this is :func:`~skdistill.fidelity_score`, so a
        ``GridSearchCV`` on unlabelled data ranks the candidates by fidelity.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to score on.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs), default=None
            True values; None scores against the teacher.
        sample_weight : array-like of shape (n_samples,), default=None
            Row weights.

        Returns
        -------
        score : float
        """
        if y is None:
            from skdistill.metrics import fidelity_score

            return fidelity_score(self, X, sample_weight=sample_weight)
        return super().score(X, y, sample_weight=sample_weight)
