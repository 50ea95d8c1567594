"""The shared fit path of every student: validate -> teacher -> Q -> _fit_targets.

A student subclasses :class:`BaseDistiller` and implements only
``_fit_targets(X, Q, sample_weight, classes)`` (fit the target
distributions ``Q``, a float64 array the fit owns and the student may
overwrite; column ``k`` is class ``classes[k]``),
``predict_proba`` and ``predict_log_proba``. Everything else, input
validation, resolving the teacher, softening, mixing in hard labels and
``classes_``, happens here once.
"""

from numbers import Real

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import (
    check_is_fitted,
    column_or_1d,
    validate_data,
)

from skdistill._errors import failure
from skdistill._sklearn import (
    HasMethods,
    Interval,
    InvalidParameterError,
    StrOptions,
    _check_sample_weight,
    _fit_context,
    _num_samples,
)
from skdistill.augment import resolve_augment
from skdistill.targets import as_logits, mix_hard_labels, soften
from skdistill.teachers import (
    TorchTeacher,
    _describe_teacher,
    as_teacher,
    is_fitted_classifier,
)

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


def _teacher_logits(teacher, X, n_samples, owner, *, remember=True, source=None):
    """Run the teacher on X; return its checked logits, float64 (n, K).

    An error the teacher raises is re-raised naming the student and the
    teacher, with the original chained; errors skdistill raised itself
    already do.
    """
    try:
        logits = teacher.predict_logits(X, remember=remember)
    except Exception as exc:
        if isinstance(exc, InvalidParameterError) or str(exc).startswith(
            ("TorchTeacher:", f"{owner}:")
        ):
            raise  # skdistill's own errors name the class already
        shape = getattr(X, "shape", None) or (len(X),)
        raise failure(
            exc,
            f"{owner}: the teacher {_describe_teacher(teacher)} failed on X of "
            f"shape {tuple(shape)}; check that it takes X as the student "
            "receives it (columns, dtype, and preprocess= for raw input).",
        ) from exc
    return _check_logits(logits, n_samples, owner, source or "the teacher's output")


def _is_conversion_error(exc):
    """Whether validating X failed because a value is not a number."""
    text = str(exc)
    return "could not convert" in text or "argument must be a string or a" in text


def _teacher_classes(teacher, n_columns, owner, source):
    """The label of each logit column: the teacher's classes, else 0..K-1."""
    classes = getattr(teacher, "classes", None)
    if classes is None:
        return np.arange(n_columns)
    values = list(np.asarray(classes, dtype=object).ravel())
    if len(values) != n_columns:
        raise ValueError(
            f"{owner}: {source} has {n_columns} columns but the teacher's "
            f"classes has {len(values)} entries; pass TorchTeacher(model, "
            "classes=...) with one label per output column."
        )
    if len({isinstance(v, str) for v in values}) > 1:
        raise ValueError(
            f"{owner}: the teacher's classes {values} mix strings and other "
            "labels; pass labels of one type."
        )
    try:
        distinct = len(set(values)) == len(values)
    except TypeError as exc:
        raise ValueError(
            f"{owner}: the teacher's classes {values} are not hashable; pass "
            "strings or numbers."
        ) from exc
    if not distinct:
        raise ValueError(
            f"{owner}: the teacher's classes {values} contain duplicates; pass "
            "one distinct label per output column."
        )
    return np.asarray(classes).ravel()


def _encode_labels(y, classes, owner):
    """Column of each label of y among ``classes``."""
    index = {label: k for k, label in enumerate(classes.tolist())}
    codes = np.fromiter(
        (index.get(label, -1) for label in np.asarray(y).tolist()),
        dtype=np.intp,
        count=len(y),
    )
    unknown = codes < 0
    if unknown.any():
        labels = list(dict.fromkeys(np.asarray(y)[unknown].tolist()))
        raise ValueError(
            f"{owner}: y contains labels {labels[:10]} that are not among the "
            f"teacher's classes {classes.tolist()}; pass TorchTeacher(model, "
            "classes=...) naming the label of each output column, or relabel y."
        )
    return codes


# Attributes validate_data sets when fit starts.
_INPUT_ATTRIBUTES = ("n_features_in_", "feature_names_in_")


class _TeacherModule:
    """Stands for ``teacher_.module`` in the pickle of a student."""


class BaseDistiller(ClassifierMixin, BaseEstimator):
    """Base class of the students: the fit path from teacher to targets.

    Subclasses set ``_validate_kwargs`` (how ``validate_data`` checks X) and
    implement ``_fit_targets``, ``predict_proba`` and ``predict_log_proba``.
    """

    _parameter_constraints = {
        "teacher": "no_validation",
        "temperature": [Interval(Real, 0, None, closed="neither")],
        "alpha": [Interval(Real, 0, 1, closed="both")],
        "augment": [
            None,
            StrOptions({"noise", "munge", "mixup"}),
            HasMethods("sample"),
        ],
    }

    _validate_kwargs = {"accept_sparse": "csr", "dtype": [np.float64, np.float32]}

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # y is optional: without it the student learns from the teacher alone.
        tags.target_tags.required = False
        tags.input_tags.sparse = (
            bool(self._validate_kwargs.get("accept_sparse")) and self.augment is None
        )
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
        # validate_data records the features of X at once; a fit that fails
        # puts back those of the last successful fit.
        previous = {k: v for k, v in vars(self).items() if k in _INPUT_ATTRIBUTES}
        try:
            return self._fit(X, y, sample_weight, teacher_logits)
        except BaseException:
            for name in _INPUT_ATTRIBUTES:
                self.__dict__.pop(name, None)
            self.__dict__.update(previous)
            raise

    def _fit(self, X, y, sample_weight, teacher_logits):
        owner = type(self).__name__
        self._check_student()
        X_raw = X
        if y is None:
            X = self._validate_X(X)
        else:
            self._check_y_length(X, y)
            X, y = self._validate_X(X, y)
            y = column_or_1d(y, warn=True)
            try:
                check_classification_targets(y)
            except ValueError as exc:
                raise ValueError(
                    f"{owner}: {exc} y holds the class labels of X (among the "
                    "teacher's classes), or is None to learn from the teacher "
                    "alone."
                ) from exc
        n_samples = _num_samples(X)
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

        augmenter = resolve_augment(
            self.augment, owner, random_state=getattr(self, "random_state", None)
        )
        if hasattr(augmenter, "_validate_params"):
            augmenter._validate_params()  # before the teacher's long run

        if teacher_logits is None or self.teacher is not None:
            teacher = as_teacher(self.teacher, X_raw, y, sample_weight, owner=owner)
        else:
            teacher = None
        if teacher_logits is None:
            source = "the teacher's output"
            logits = _teacher_logits(teacher, X_raw, n_samples, owner)
        else:
            source = "teacher_logits"
            logits = _check_logits(teacher_logits, n_samples, owner, source)
        classes = _teacher_classes(teacher, logits.shape[1], owner, source)
        y_index = None if y is None else _encode_labels(y, classes, owner)

        P = soften(logits, self.temperature)
        del logits  # Q takes its place: X, Q and the student's own memory.
        Q = mix_hard_labels(P, y_index, self.alpha, copy=False)
        if augmenter is not None:
            X, Q, sample_weight = self._augment(
                augmenter, teacher, X, X_raw, Q, sample_weight
            )
        self._fit_targets(X, Q, sample_weight, classes)
        # Set last, so that a fit that fails leaves no half-updated student.
        self.teacher_ = teacher
        self.classes_ = classes
        return self

    def _augment(self, augmenter, teacher, X, X_raw, Q, sample_weight):
        """Add synthetic rows, labelled by the teacher alone, to X, Q and w.

        Each synthetic row weighs what its source row weighs. Hard labels
        stay on the real rows; the synthetic rows do not enter the teacher's
        row cache. The rows are made and labelled one copy of X at a time and
        written into arrays allocated once, so the temporaries stay the size
        of X.
        """
        owner = type(self).__name__
        if teacher is None:
            raise ValueError(
                f"{owner}: augment={self.augment!r} needs a teacher to label the "
                "synthetic rows, but teacher is None; pass the teacher "
                "(teacher_logits only cover the real rows)."
            )
        try:
            values = None if sp.issparse(X) else np.asarray(X)
            if values is not None and values.dtype.kind != "f":
                values = values.astype(np.float64)
        except (TypeError, ValueError):
            values = None
        if values is None or values.ndim != 2:
            raise TypeError(
                f"{owner}: augment={self.augment!r} needs dense numeric X of shape "
                "(n_samples, n_features); sparse or non-numeric X is not "
                "supported with augmentation. Densify X (X.toarray()) or set "
                "augment=None."
            )
        if hasattr(augmenter, "iter_samples"):
            chunks = augmenter.iter_samples(values)
            n_new = augmenter.n_copies * len(Q)
        else:  # any object with sample(X) -> (X_new, source)
            chunks = [augmenter.sample(values)]
            n_new = len(chunks[0][1])
        columns = getattr(X_raw, "columns", None)
        frame = hasattr(X, "iloc")
        n = len(Q)
        X_all = None if frame else np.empty((n + n_new, X.shape[1]), values.dtype)
        Q_all = np.empty((n + n_new, Q.shape[1]))
        weights = np.ones(n) if sample_weight is None else sample_weight
        w_all = np.empty(n + n_new)
        parts = [X]
        start = n
        for X_new, source in chunks:
            if columns is not None:
                import pandas as pd

                X_new = pd.DataFrame(X_new, columns=columns)
            logits = self._synthetic_logits(teacher, X_new, len(source), Q.shape[1])
            stop = start + len(source)
            Q_all[start:stop] = soften(logits, self.temperature)
            w_all[start:stop] = weights[source]
            if frame:
                parts.append(X_new)
            else:
                X_all[start:stop] = X_new
            start = stop
        Q_all[:n], w_all[:n] = Q, weights
        if frame:
            import pandas as pd

            X_all = pd.concat(parts, ignore_index=True)
        else:
            X_all[:n] = X
        return X_all, Q_all, w_all

    def _synthetic_logits(self, teacher, X_new, n_rows, n_classes):
        owner = type(self).__name__
        source = "the teacher's output on the synthetic rows"
        logits = _teacher_logits(
            teacher, X_new, n_rows, owner, remember=False, source=source
        )
        if logits.shape[1] != n_classes:
            raise ValueError(
                f"{owner}: {source} has {logits.shape[1]} columns but "
                f"{n_classes} on the real rows; a teacher's output shape must "
                "not change between calls."
            )
        return logits

    def _check_student(self):
        """Checks a student makes before the teacher runs; none by default."""

    def _validate_X(self, X, y=None, *, reset=True):
        """``validate_data`` with this student's rules; non-numeric X named."""
        args = (X,) if y is None else (X, y)
        try:
            return validate_data(self, *args, reset=reset, **self._validate_kwargs)
        except (TypeError, ValueError) as exc:
            if not _is_conversion_error(exc):
                raise
            owner = type(self).__name__
            raise type(exc)(
                f"{owner}: X holds values that are not numbers ({exc}); {owner} "
                "needs numeric X. Encode the columns first (a ColumnTransformer "
                "before the student in a Pipeline), or, for a teacher that reads "
                "raw input, use DistilledClassifier with a Pipeline student."
            ) from exc

    def _check_y_length(self, X, y):
        try:
            n_X, n_y = _num_samples(X), _num_samples(y)
        except TypeError:
            return  # validate_data names what is wrong with X or y
        if n_X != n_y:
            raise ValueError(
                f"{type(self).__name__}: y has {n_y} labels but X has {n_X} rows; "
                "pass one label per row of X, or y=None to learn from the "
                "teacher alone."
            )

    def _feature_names(self, feature_names=None):
        """``feature_names``, else ``feature_names_in_``, else x0, x1, ..."""
        if feature_names is None:
            feature_names = getattr(self, "feature_names_in_", None)
        if feature_names is None:
            return [f"x{i}" for i in range(self.n_features_in_)]
        if len(feature_names) != self.n_features_in_:
            raise ValueError(
                f"{type(self).__name__}: feature_names has {len(feature_names)} "
                f"entries but the model was fitted on {self.n_features_in_} "
                "features; pass one name per feature."
            )
        return [str(name) for name in feature_names]

    def __sklearn_clone__(self):
        clone = super().__sklearn_clone__()
        if is_fitted_classifier(self.teacher):
            # A fitted teacher is used as-is, never retrained: every clone (the
            # folds of a search) shares it, as if it were in FrozenEstimator.
            clone.teacher = self.teacher
        return clone

    def __getstate__(self):
        state = dict(super().__getstate__())
        teacher = state.get("teacher_")
        if isinstance(teacher, TorchTeacher) and teacher.module is state["teacher"]:
            # A bare nn.Module: pickle it once, inside teacher_, where it is
            # saved so that a GPU-trained module loads on a CPU-only machine.
            state["teacher"] = _TeacherModule
        return state

    def __setstate__(self, state):
        if state.get("teacher") is _TeacherModule:
            state["teacher"] = state["teacher_"].module
        super().__setstate__(state)

    def _validate_predict_X(self, X):
        check_is_fitted(self)
        return self._validate_X(X, reset=False)

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
