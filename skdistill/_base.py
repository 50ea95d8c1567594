"""The shared fit path of every student: validate -> teacher -> Q -> _fit_targets.

A student subclasses :class:`BaseDistiller` and implements only
``_fit_targets(X, Q, sample_weight)`` (fit the target distributions ``Q``),
``predict_proba`` and ``predict_log_proba``. Everything else, input
validation, resolving the teacher, softening, mixing in hard labels and
``classes_``, happens here once.
"""

from numbers import Real

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import (
    _check_sample_weight,
    check_is_fitted,
    column_or_1d,
    validate_data,
)

from skdistill._sklearn import Interval, _fit_context
from skdistill.targets import as_logits, mix_hard_labels, soften
from skdistill.teachers import as_teacher

__all__ = ["BaseDistiller"]


def _check_logits(logits, n_samples, owner, source):
    """Validate a teacher's logit matrix; return it as float64 (n, K)."""
    try:
        logits = as_logits(logits)
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"{owner}: {source} is not a numeric array ({exc}); a teacher must "
            "return numbers, one row of class scores per row of X."
        ) from exc
    if logits.ndim != 2:
        raise ValueError(
            f"{owner}: {source} has shape {logits.shape}; a teacher must return "
            "one row of class scores per row of X, shape (n_samples, n_classes), "
            "or (n_samples,) for a single binary logit."
        )
    if logits.shape[0] != n_samples:
        raise ValueError(
            f"{owner}: {source} has {logits.shape[0]} rows but X has {n_samples}; "
            "a teacher must return one row of class scores per row of X."
        )
    bad = ~np.isfinite(logits)
    if bad.any():
        rows = np.flatnonzero(bad.any(axis=1))
        raise ValueError(
            f"{owner}: {source} contains NaN or infinite values in {rows.size} "
            f"row(s) (first: row {rows[0]}); check the teacher on those rows, "
            "and use TorchTeacher(output='proba') or output='log_proba' if the "
            "model returns probabilities rather than logits."
        )
    if logits.shape[1] < 2:
        raise ValueError(
            f"{owner}: {source} has {logits.shape[1]} column(s); a teacher needs "
            "at least 2 classes (one column means a binary logit)."
        )
    return logits


class BaseDistiller(ClassifierMixin, BaseEstimator):
    """Base class of the students: the fit path from teacher to targets.

    Subclasses set ``_validate_kwargs`` (how ``validate_data`` checks X) and
    implement ``_fit_targets``, ``predict_proba`` and ``predict_log_proba``.
    """

    _parameter_constraints = {
        "teacher": "no_validation",
        "temperature": [Interval(Real, 0, None, closed="neither")],
        "alpha": [Interval(Real, 0, 1, closed="both")],
    }

    _validate_kwargs = {"accept_sparse": "csr", "dtype": [np.float64, np.float32]}

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # y is optional: without it the student learns from the teacher alone.
        tags.target_tags.required = False
        tags.input_tags.sparse = bool(self._validate_kwargs.get("accept_sparse"))
        return tags

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y=None, *, sample_weight=None, teacher_logits=None):
        """Fit the student to the teacher's softened predictions on X.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Transfer data: the rows the teacher labels and the student learns
            from.
        y : array-like of shape (n_samples,), default=None
            True labels. Optional: needed when ``alpha > 0`` and to train an
            unfitted scikit-learn teacher.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative row weights; ones when None.
        teacher_logits : array-like of shape (n_samples, n_classes), default=None
            Precomputed teacher logits for X; the teacher is then not run.
            Search objects slice it per fold like ``sample_weight``.

        Returns
        -------
        self : object
            The fitted student.
        """
        owner = type(self).__name__
        X_raw = X
        if y is None:
            X = validate_data(self, X, **self._validate_kwargs)
        else:
            X, y = validate_data(self, X, y, **self._validate_kwargs)
            check_classification_targets(y)
        n_samples = X.shape[0]
        if sample_weight is not None:
            try:
                sample_weight = _check_sample_weight(
                    sample_weight, X, dtype=np.float64, ensure_non_negative=True
                )
            except ValueError as exc:
                raise ValueError(
                    f"{owner}: bad sample_weight: {exc} Pass finite, non-negative "
                    "weights, one per row of X, not all zero."
                ) from exc
        if self.alpha > 0 and y is None:
            raise ValueError(
                f"{owner}: alpha={self.alpha} mixes in the hard labels, but y is "
                "None; pass y, or set alpha=0 to learn from the teacher alone."
            )

        if teacher_logits is None or self.teacher is not None:
            self.teacher_ = as_teacher(
                self.teacher, X_raw, y, sample_weight, owner=owner
            )
        else:
            self.teacher_ = None
        if teacher_logits is None:
            logits = self.teacher_.predict_logits(X_raw)
            source = "the teacher's output"
        else:
            logits = teacher_logits
            source = "teacher_logits"
        logits = _check_logits(logits, n_samples, owner, source)
        self.classes_ = self._teacher_classes(logits.shape[1], source)

        y_index = None
        if y is not None:
            y_index = self._encode(y)
        P = soften(logits, self.temperature)
        Q = mix_hard_labels(P, y_index, self.alpha)
        self._fit_targets(X, Q, sample_weight)
        return self

    def _teacher_classes(self, n_columns, source):
        classes = getattr(self.teacher_, "classes", None)
        if classes is None:
            return np.arange(n_columns)
        classes = column_or_1d(classes)
        if len(classes) != n_columns:
            raise ValueError(
                f"{type(self).__name__}: {source} has {n_columns} columns but "
                f"the teacher's classes has {len(classes)} entries; pass "
                "TorchTeacher(model, classes=...) with one label per output "
                "column."
            )
        if len(np.unique(classes)) != len(classes):
            raise ValueError(
                f"{type(self).__name__}: the teacher's classes {classes.tolist()} "
                "contain duplicates; pass one distinct label per output column."
            )
        return classes

    def _encode(self, y):
        """Column of each label of y among ``classes_``."""
        classes = self.classes_
        order = np.argsort(classes, kind="stable")
        sorted_classes = classes[order]
        try:
            pos = np.searchsorted(sorted_classes, y)
        except TypeError as exc:
            raise ValueError(
                f"{type(self).__name__}: the labels in y ({np.asarray(y).dtype}) "
                f"cannot be compared with the teacher's classes {classes.tolist()}; "
                "pass y with the same label type as the teacher's classes."
            ) from exc
        pos = np.minimum(pos, len(classes) - 1)
        unknown = sorted_classes[pos] != y
        if np.any(unknown):
            labels = np.unique(np.asarray(y)[unknown])
            raise ValueError(
                f"{type(self).__name__}: y contains labels {labels.tolist()[:10]} "
                f"that are not among the teacher's classes {classes.tolist()}; pass "
                "TorchTeacher(model, classes=...) naming the label of each "
                "output column, or relabel y."
            )
        return order[pos]

    def _validate_predict_X(self, X):
        check_is_fitted(self)
        return validate_data(self, X, reset=False, **self._validate_kwargs)

    def predict(self, X):
        """Predict the class of each row of X.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
        """
        proba = self.predict_proba(X)
        return self.classes_[np.argmax(proba, axis=1)]
