"""The task-agnostic fit path of every student: validate -> teacher -> targets.

A student subclasses a task's base class (``BaseDistilledClassifier`` in
:mod:`skdistill._classification`, ``BaseDistilledRegressor`` in
:mod:`skdistill._regression`), which subclasses :class:`BaseDistiller` and
sets ``_stage``, the task's target stage. The student implements only
``_fit_targets(X, targets, sample_weight)`` and its predictions.

``BaseDistiller`` validates the input, resolves the teacher, runs it on X and
on the synthetic rows, and hands the outputs to the stage, which turns them
into the targets (softened and mixed class distributions, or mixed values)
and knows nothing of validation or teachers. A stage is an object with:

- ``task``: ``"classification"`` or ``"regression"``, what ``as_teacher``
  checks the teacher against;
- ``given``: the name of the fit parameter of precomputed teacher outputs;
- ``validate_y(y, owner)``;
- ``predict(teacher, X, remember)``: the teacher's raw outputs;
- ``check(outputs, n_samples, owner, source)``: outputs checked and made
  float64;
- ``labels(outputs, y, teacher, owner, source)``: the hard labels, encoded
  against the outputs (classes and label columns; values of the right width);
- ``targets(outputs, labels, estimator)``: the target object the student
  fits, for the real rows followed by any synthetic ones;
- ``fitted(targets)``: the attributes the fit sets besides ``teacher_``.
"""

import copy
import functools
import inspect
import sys
from numbers import Real

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, clone
from sklearn.utils.validation import check_is_fitted, validate_data

from skdistill._errors import TeacherError, failure
from skdistill._progress import current_pass, teacher_pass
from skdistill._sklearn import (
    HasMethods,
    Interval,
    InvalidParameterError,
    StrOptions,
    _check_sample_weight,
    _num_samples,
)
from skdistill.augment import GaussianNoise, resolve_augment
from skdistill.teachers import TorchTeacher, as_teacher, is_shared_teacher
from skdistill.teachers._resolve import _describe_teacher

__all__ = [
    "BaseDistiller",
    "checked_sample_weight",
    "is_dask_collection",
    "teacher_outputs",
]


def teacher_outputs(stage, teacher, X, n_samples, owner, *, remember=True, source=None):
    """Run the teacher on X; return its outputs, checked by ``stage``.

    An error the teacher raises is re-raised naming the student and the
    teacher, with the original chained; errors skdistill raised itself
    already do. Inside a shown teacher pass (a student's ``verbose``), the
    rows of X count as done when the teacher returns, less any it reported
    itself (a :class:`~skdistill.TorchTeacher` reports each batch): other
    teachers show as one block per call.
    """
    job = current_pass()
    done = job.n if job is not None else 0
    try:
        outputs = stage.predict(teacher, X, remember)
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
    if job is not None:
        job.update(max(0, done + n_samples - job.n))
    return stage.check(outputs, n_samples, owner, source or "the teacher's output")


def checked_sample_weight(sample_weight, X, owner):
    """``sample_weight`` as float64, one per row of X; a clear error if bad."""
    try:
        return _check_sample_weight(
            sample_weight, X, dtype=np.float64, ensure_non_negative=True
        )
    except ValueError as exc:
        raise ValueError(
            f"{owner}: bad sample_weight: {exc} Pass finite, non-negative "
            "weights, one per row of X, not all zero."
        ) from exc


def _is_conversion_error(exc):
    """Whether validating X failed because a value is not a number."""
    text = str(exc)
    return "could not convert" in text or "argument must be a string or a" in text


def _width(row_shape):
    """What a teacher returns per row, in words: "3 columns", "one value"."""
    if not row_shape:
        return "one value per row"
    if len(row_shape) == 1:
        return f"{row_shape[0]} columns"
    return f"shape {row_shape} per row"


# Attributes validate_data sets when fit starts.
INPUT_ATTRIBUTES = ("n_features_in_", "feature_names_in_")


class _TeacherModule:
    """Stands for ``teacher_.module`` in the pickle of a student."""


# Methods of one row in, one row out, that take a Dask collection too.
_ROW_METHODS = (
    "predict",
    "predict_proba",
    "predict_log_proba",
    "decision_function",
    "apply",
)


def is_dask_collection(obj):
    """Whether ``obj`` is a Dask collection (False when Dask is not imported).

    A Dask collection cannot exist before Dask is imported, so this never
    imports it; :mod:`skdistill._dask` is imported only once one is seen.
    """
    if "dask" not in sys.modules:
        return False
    import dask

    return dask.is_dask_collection(obj)


def _maps_dask_rows(method):
    """``method``, returning a Dask array when X is a Dask collection."""

    @functools.wraps(method)
    def wrapper(self, X, *args, **kwargs):
        if not is_dask_collection(X):
            return method(self, X, *args, **kwargs)
        if args or kwargs:
            raise TypeError(
                f"{type(self).__name__}: {method.__name__} on a Dask collection "
                "takes X alone, but other arguments were passed; compute X "
                "first (X.compute()) to pass them."
            )
        from skdistill._dask import map_rows

        check_is_fitted(self)
        return map_rows(self, method.__name__, X)

    return wrapper


def _float_columns(X):
    """Whether every column of X holds floats (numpy or pandas dtypes)."""
    dtypes = getattr(X, "dtypes", None)
    if not hasattr(dtypes, "__iter__"):  # an array, a Series, a list
        dtype = getattr(X, "dtype", None)
        return (np.asarray(X).dtype if dtype is None else dtype).kind == "f"
    return all(getattr(dtype, "kind", "O") == "f" for dtype in dtypes)


class BaseDistiller(BaseEstimator):
    """Base class of the students: the fit path from teacher to targets.

    A task's base class sets ``_stage`` and defines the public ``fit``, which
    calls :meth:`_fit_distilled`; a student sets ``_validate_kwargs`` (how
    ``validate_data`` checks X) and implements ``_fit_targets`` and its
    predictions.
    """

    _parameter_constraints = {
        "teacher": "no_validation",
        "alpha": [Interval(Real, 0, 1, closed="both")],
        "augment": [
            None,
            StrOptions({"auto", "noise", "munge", "mixup"}),
            HasMethods("sample"),
        ],
    }

    # augment="auto": noise copies per real row for this student (the
    # measured rule, docs/quality.rst "Defaults"), and at most this many
    # synthetic rows in all, so that the teacher's pass and the student's
    # fit stay short.
    _auto_copies = 0
    AUTO_ROWS = 40_000

    _validate_kwargs = {"accept_sparse": "csr", "dtype": [np.float64, np.float32]}

    def __init_subclass__(cls, **kwargs):
        # Each prediction method a student defines also takes a Dask
        # collection, mapped over its partitions (as set_output wraps
        # transform in scikit-learn).
        super().__init_subclass__(**kwargs)
        for name in _ROW_METHODS:
            method = cls.__dict__.get(name)
            if inspect.isfunction(method):
                setattr(cls, name, _maps_dask_rows(method))
            elif inspect.isfunction(getattr(method, "fn", None)):  # available_if
                method.fn = _maps_dask_rows(method.fn)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = bool(
            self._validate_kwargs.get("accept_sparse")
        ) and self.augment in (None, "auto")
        return tags

    def _fit_distilled(self, X, y, sample_weight, given):
        """The fit: ``given`` holds precomputed teacher outputs, or is None."""
        # validate_data records the features of X at once; a fit that fails
        # puts back those of the last successful fit.
        previous = {k: v for k, v in vars(self).items() if k in INPUT_ATTRIBUTES}
        try:
            return self._fit(X, y, sample_weight, given)
        except BaseException:
            for name in INPUT_ATTRIBUTES:
                self.__dict__.pop(name, None)
            self.__dict__.update(previous)
            raise

    def _fit(self, X, y, sample_weight, given):
        self._check_student()
        if any(map(is_dask_collection, (X, y, sample_weight, given))):
            return self._fit_dask(X, y, sample_weight, given)
        X, targets, sample_weight, teacher, augmenter = self._transfer_set(
            X, y, sample_weight, given
        )
        self._fit_targets(X, targets, sample_weight)
        # Set last, so that a fit that fails leaves no half-updated student.
        self.teacher_, self.augment_ = teacher, augmenter
        for name, value in self._stage.fitted(targets).items():
            setattr(self, name, value)
        return self

    def _transfer_set(self, X, y, sample_weight, given):
        """Validate, run the teacher, augment: ``(X, targets, w, teacher, augmenter)``.

        Everything of a fit but the student's own; the regularisation path
        runs it once for many students.
        """
        owner = type(self).__name__
        stage = self._stage
        X_raw = X
        if y is None:
            X = self._validate_X(X)
        else:
            self._check_y_length(X, y)
            X, y = self._validate_X(X, y)
            y = stage.validate_y(y, owner)
        n_samples = _num_samples(X)
        if sample_weight is not None:
            sample_weight = checked_sample_weight(sample_weight, X, owner)
        augmenter = self._augmenter(X_raw, y, given)

        if given is None or self.teacher is not None:
            teacher = as_teacher(
                self.teacher, X_raw, y, sample_weight, owner=owner, task=stage.task
            )
        else:
            teacher = None
        n_run = (n_samples if given is None else 0) + self._synthetic_rows(
            augmenter, n_samples
        )
        with teacher_pass(
            n_run, f"{owner}: teacher", enabled=bool(self.verbose) and n_run > 0
        ):
            if given is None:
                source = "the teacher's output"
                outputs = teacher_outputs(stage, teacher, X_raw, n_samples, owner)
            else:
                source = stage.given
                outputs = stage.check(given, n_samples, owner, source)
            labels = stage.labels(outputs, y, teacher, owner, source)
            if augmenter is not None:
                X, outputs, sample_weight = self._augment(
                    augmenter, teacher, X, X_raw, outputs, sample_weight
                )
        targets = stage.targets(outputs, labels, self)
        targets.check_informative(owner)
        return X, targets, sample_weight, teacher, augmenter

    def _augmenter(self, X, y, given):
        """The augmenter, checked before the teacher's long run (and y with alpha)."""
        owner = type(self).__name__
        if self.alpha > 0 and y is None:
            raise ValueError(
                f"{owner}: alpha={self.alpha} mixes in y, the true labels or values, "
                "but y is None; pass y, or set alpha=0 to learn from the teacher alone."
            )
        if isinstance(self.augment, str) and self.augment == "auto":
            return self._auto_augmenter(X, given)
        augmenter = resolve_augment(
            self.augment, owner, random_state=getattr(self, "random_state", None)
        )
        if hasattr(augmenter, "_validate_params"):
            augmenter._validate_params()
        return augmenter

    def _auto_augmenter(self, X, given):
        """What ``augment="auto"`` stands for in this fit: noise copies or None.

        Gaussian noise rows (:class:`~skdistill.augment.GaussianNoise`,
        seeded by ``random_state``) where they are sound and cheap: a teacher
        to label them, some weight on the teacher (``alpha < 1``), X in memory,
        dense, of floats (integer, boolean and categorical columns are codes,
        counts or flags that noise would turn into values they never take)
        and finite, and the student's copies per row (``_auto_copies``) within
        ``AUTO_ROWS`` synthetic rows in all. X is the caller's, before
        validation casts it.
        """
        if self.alpha == 1 or self._auto_copies == 0:
            return None
        if (given is not None and self.teacher is None) or is_dask_collection(X):
            return None
        if sp.issparse(X) or not _float_columns(X):
            return None
        # The cap first: X past AUTO_ROWS rows is not read again.
        n_copies = min(self._auto_copies, self.AUTO_ROWS // max(_num_samples(X), 1))
        if n_copies < 1:
            return None
        try:
            values = np.asarray(X, dtype=np.float64)
        except (TypeError, ValueError):  # pd.NA
            return None
        if values.ndim != 2 or not np.isfinite(values).all():
            return None
        random_state = getattr(self, "random_state", None)
        return GaussianNoise(n_copies=n_copies, random_state=random_state)

    def _synthetic_rows(self, augmenter, n_samples):
        """Synthetic rows the teacher labels in fit, where known beforehand.

        The total of the teacher pass that ``verbose`` shows; an augmenter
        with ``sample`` alone says how many rows it made once it has made
        them (:meth:`_augment` adds them then).
        """
        if augmenter is None or not hasattr(augmenter, "iter_samples"):
            return 0
        return augmenter.n_copies * n_samples

    def _fit_dask(self, X, y, sample_weight, given):
        """Fit on Dask collections; a student that can overrides this."""
        from skdistill._dask import refuse_dask

        refuse_dask(self, X, y, sample_weight, given)

    def _augment(self, augmenter, teacher, X, X_raw, outputs, sample_weight):
        """Add synthetic rows, labelled by the teacher alone, to X, outputs, w.

        The synthetic rows follow the real ones; each weighs what its source
        row weighs and has no hard label (the stage's targets know the real
        rows come first). They do not enter the teacher's row cache. The rows
        are made and labelled one copy of X at a time and written into arrays
        allocated once, so the temporaries stay the size of X.
        """
        values = self._augmentable(teacher, X)
        if hasattr(augmenter, "iter_samples"):
            chunks = augmenter.iter_samples(values)
            n_new = self._synthetic_rows(augmenter, len(outputs))
        else:  # any object with sample(X) -> (X_new, source)
            chunks = [augmenter.sample(values)]
            n_new = len(chunks[0][1])
        job = current_pass()
        if job is not None:
            job.expect(n_new)
        columns = getattr(X_raw, "columns", None)
        frame = hasattr(X, "iloc")
        n, row_shape = len(outputs), outputs.shape[1:]
        X_all = None if frame else np.empty((n + n_new, values.shape[1]), values.dtype)
        z_all = np.empty((n + n_new, *row_shape))
        weights = np.ones(n) if sample_weight is None else sample_weight
        w_all = np.empty(n + n_new)
        parts = [X]
        start = n
        for X_new, source in chunks:
            if columns is not None:
                import pandas as pd

                X_new = pd.DataFrame(X_new, columns=columns)
            stop = start + len(source)
            z_all[start:stop] = self._synthetic_outputs(
                teacher, X_new, len(source), row_shape
            )
            w_all[start:stop] = weights[source]
            if frame:
                parts.append(X_new)
            else:
                X_all[start:stop] = X_new
            start = stop
        z_all[:n], w_all[:n] = outputs, weights
        if frame:
            import pandas as pd

            X_all = pd.concat(parts, ignore_index=True)
        else:
            X_all[:n] = values
        return X_all, z_all, w_all

    def _augmentable(self, teacher, X):
        """X as a dense float array for the augmenter; clear errors if it cannot be."""
        owner = type(self).__name__
        if teacher is None:
            raise ValueError(
                f"{owner}: augment={self.augment!r} needs a teacher to label the "
                "synthetic rows, but teacher is None; pass the teacher "
                f"({self._stage.given} only cover the real rows)."
            )
        try:
            # C order: the augmenter's spreads then round alike whatever
            # the layout of X (a DataFrame's is Fortran order).
            values = None if sp.issparse(X) else np.ascontiguousarray(X)
            if values is not None and values.dtype.kind != "f":
                values = values.astype(np.float64)
        except (TypeError, ValueError):
            values = None
        if values is None or values.ndim != 2:
            raise TypeError(
                f"{owner}: augment={self.augment!r} needs dense numeric X of shape "
                "(n_samples, n_features); sparse X, non-numeric X and missing "
                "values (pd.NA) are not supported with augmentation. Densify X "
                "(X.toarray()), impute the missing values, or set augment=None."
            )
        return values

    def _synthetic_outputs(self, teacher, X_new, n_rows, row_shape):
        owner = type(self).__name__
        source = "the teacher's output on the synthetic rows"
        outputs = teacher_outputs(
            self._stage, teacher, X_new, n_rows, owner, remember=False, source=source
        )
        if outputs.shape[1:] != row_shape:
            raise ValueError(
                f"{owner}: {source} has {_width(outputs.shape[1:])} but "
                f"{_width(row_shape)} on the real rows; a teacher's output shape "
                "must not change between calls."
            )
        return outputs

    def set_params(self, **params):
        """Set the parameters of this student.

        Parameters of a trained teacher (``teacher__alpha``) are refused: it
        is shared by every clone of the student and used as it is, so setting
        them would change the caller's model for all of them and retrain
        nothing.

        Parameters
        ----------
        **params : dict
            Student parameters, and those of an unfitted teacher.

        Returns
        -------
        self : object
        """
        nested = sorted(name for name in params if name.startswith("teacher__"))
        teacher = params.get("teacher", self.teacher)
        if nested and is_shared_teacher(teacher):
            owner = type(self).__name__
            raise ValueError(
                f"{owner}: cannot set {nested}: the teacher "
                f"{_describe_teacher(teacher)} is trained and shared by every clone "
                f"of {owner} (the folds and candidates of a search), so this would "
                "change it for all of them and retrain nothing. To tune a "
                "scikit-learn teacher, pass it unfitted (it is then trained inside "
                "fit); to compare trained teachers, search over teacher= with each "
                "one wrapped in sklearn.frozen.FrozenEstimator."
            )
        augmenting = sorted(name for name in params if name.startswith("augment__"))
        augment = params.get("augment", self.augment)
        if augmenting and (augment is None or isinstance(augment, str)):
            owner = type(self).__name__
            raise ValueError(
                f"{owner}: cannot set {augmenting}: augment={augment!r} is not an "
                "augmenter object with parameters. Pass one to tune it, e.g. "
                f"{owner}(..., augment=GaussianNoise(random_state=0)) and a grid "
                "over augment__scale, or search over augment= itself."
            )
        return super().set_params(**params)

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
