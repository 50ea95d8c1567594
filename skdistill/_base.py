"""The shared fit path of every student: validate -> teacher -> targets -> student.

A student subclasses :class:`BaseDistiller` and implements only
``_fit_targets(X, targets, sample_weight)`` (fit the
:class:`~skdistill._classification.SoftTargets` of the transfer rows, which
the fit owns), ``predict_proba`` and ``predict_log_proba``. Everything else,
input validation, resolving the teacher, the teacher's pass over X and the
synthetic rows, the classes and the hard labels, happens here once.
"""

import copy
from numbers import Real

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import (
    check_is_fitted,
    column_or_1d,
    validate_data,
)

from skdistill._classification import (
    SoftTargets,
    check_logits,
    encode_labels,
    teacher_classes,
)
from skdistill._errors import TeacherError, failure
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
from skdistill.teachers import TorchTeacher, as_teacher, is_shared_teacher
from skdistill.teachers._resolve import _describe_teacher

__all__ = ["BaseDistiller"]


def _teacher_logits(teacher, X, n_samples, owner, *, remember=True, source=None):
    """Run the teacher on X; return its checked logits, float64 (n, K).

    An error the teacher raises is re-raised naming the student and the
    teacher, with the original chained; errors skdistill raised itself
    already do.
    """
    try:
        logits = teacher.predict_logits(X, remember=remember)
    except (InvalidParameterError, TeacherError):
        raise  # skdistill's own errors name the class and the fix already
    except Exception as exc:
        shape = getattr(X, "shape", None) or (len(X),)
        raise failure(
            exc,
            f"{owner}: the teacher {_describe_teacher(teacher)} failed on X of "
            f"shape {tuple(shape)}; check that it takes X as the student "
            "receives it (columns, dtype, and preprocess= for raw input).",
        ) from exc
    return check_logits(logits, n_samples, owner, source or "the teacher's output")


def _is_conversion_error(exc):
    """Whether validating X failed because a value is not a number."""
    text = str(exc)
    return "could not convert" in text or "argument must be a string or a" in text


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
            logits = check_logits(teacher_logits, n_samples, owner, source)
        classes = teacher_classes(teacher, logits.shape[1], owner, source)
        if y is None:
            y_index = np.full(n_samples, -1, dtype=np.intp)
        else:
            y_index = encode_labels(y, classes, teacher, owner)
        if augmenter is not None:
            X, logits, y_index, sample_weight = self._augment(
                augmenter, teacher, X, X_raw, logits, y_index, sample_weight
            )
        targets = SoftTargets(logits, y_index, self.alpha, self.temperature, classes)
        targets.check_informative(owner)
        self._fit_targets(X, targets, sample_weight)
        # Set last, so that a fit that fails leaves no half-updated student.
        self.teacher_ = teacher
        self.classes_ = classes
        return self

    def _augment(self, augmenter, teacher, X, X_raw, logits, y_index, sample_weight):
        """Add synthetic rows, labelled by the teacher alone, to X, logits, y, w.

        Each synthetic row weighs what its source row weighs and has no hard
        label (``y_index`` -1). The synthetic rows do not enter the
        teacher's row cache. The rows are made and labelled one copy of X at
        a time and written into arrays allocated once, so the temporaries
        stay the size of X.
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
            n_new = augmenter.n_copies * len(logits)
        else:  # any object with sample(X) -> (X_new, source)
            chunks = [augmenter.sample(values)]
            n_new = len(chunks[0][1])
        columns = getattr(X_raw, "columns", None)
        frame = hasattr(X, "iloc")
        n, n_classes = logits.shape
        X_all = None if frame else np.empty((n + n_new, X.shape[1]), values.dtype)
        z_all = np.empty((n + n_new, n_classes))
        weights = np.ones(n) if sample_weight is None else sample_weight
        w_all = np.empty(n + n_new)
        parts = [X]
        start = n
        for X_new, source in chunks:
            if columns is not None:
                import pandas as pd

                X_new = pd.DataFrame(X_new, columns=columns)
            stop = start + len(source)
            z_all[start:stop] = self._synthetic_logits(
                teacher, X_new, len(source), n_classes
            )
            w_all[start:stop] = weights[source]
            if frame:
                parts.append(X_new)
            else:
                X_all[start:stop] = X_new
            start = stop
        z_all[:n], w_all[:n] = logits, weights
        y_all = np.full(n + n_new, -1, dtype=np.intp)
        y_all[:n] = y_index
        if frame:
            import pandas as pd

            X_all = pd.concat(parts, ignore_index=True)
        else:
            X_all[:n] = X
        return X_all, z_all, y_all, w_all

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
        teacher = self.teacher
        if not is_shared_teacher(teacher):
            return super().__sklearn_clone__()
        # A trained teacher (a module, a teacher object, a fitted classifier,
        # a function) is used as-is, never copied or retrained: every clone
        # (the folds of a search) shares it and its row cache, as if it were
        # in FrozenEstimator. clone would deep-copy what is not an estimator.
        params = {
            name: clone(value, safe=False)
            for name, value in self.get_params(deep=False).items()
            if name != "teacher"
        }
        shared = type(self)(teacher=teacher, **params)
        for private in ("_metadata_request", "_sklearn_output_config"):
            if private in vars(self):  # as clone carries them
                setattr(shared, private, copy.deepcopy(vars(self)[private]))
        return shared

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

    def score(self, X, y=None, sample_weight=None):
        """Accuracy on ``(X, y)``; without labels, fidelity to the teacher.

        With ``y=None`` this is :func:`~skdistill.fidelity_score`: the share
        of rows on which the student predicts the teacher's top class. So a
        ``GridSearchCV`` on unlabelled data, without ``scoring=``, ranks the
        candidates by fidelity instead of scoring them all NaN.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to score on.
        y : array-like of shape (n_samples,), default=None
            True labels; None scores against the teacher.
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
