"""as_teacher: turn what a user passes as ``teacher`` into a teacher object."""

import warnings

from sklearn.base import clone, is_classifier
from sklearn.exceptions import NotFittedError
from sklearn.utils.validation import check_is_fitted, has_fit_parameter

from skdistill._errors import failure
from skdistill._torch import is_torch_module
from skdistill.teachers._adapters import CallableTeacher, SklearnTeacher, estimator_task
from skdistill.teachers._cache import shared_cache
from skdistill.teachers._torch_teacher import TorchTeacher

__all__ = [
    "as_teacher",
    "_describe_teacher",
    "is_duck_teacher",
    "is_fitted_classifier",
    "is_shared_teacher",
]

_TEACHER_TYPES = (TorchTeacher, SklearnTeacher, CallableTeacher)


def _describe_teacher(teacher):
    """A short name of a teacher for messages: its type and what it wraps.

    Parameters
    ----------
    teacher : object
        A teacher object, or what a user passed as ``teacher``.

    Returns
    -------
    str

    Examples
    --------
    >>> from sklearn.naive_bayes import GaussianNB
    >>> from skdistill.teachers import SklearnTeacher
    >>> from skdistill.teachers._resolve import _describe_teacher
    >>> _describe_teacher(SklearnTeacher(GaussianNB()))
    'SklearnTeacher(GaussianNB)'
    """
    inner = {
        TorchTeacher: "module",
        SklearnTeacher: "estimator",
        CallableTeacher: "func",
    }.get(type(teacher))
    if inner is None:
        return type(teacher).__name__
    wrapped = getattr(teacher, "_describes", None) or getattr(teacher, inner)
    name = getattr(wrapped, "__qualname__", None) or type(wrapped).__name__
    return f"{type(teacher).__name__}({name})"


def _is_fitted(estimator):
    try:
        check_is_fitted(estimator)
    except (NotFittedError, TypeError):
        return False
    return True


def is_fitted_classifier(teacher):
    """Whether ``teacher`` is a fitted scikit-learn classifier, used as-is.

    Parameters
    ----------
    teacher : object

    Returns
    -------
    bool

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.naive_bayes import GaussianNB
    >>> from skdistill.teachers import is_fitted_classifier
    >>> X, y = load_iris(return_X_y=True)
    >>> is_fitted_classifier(GaussianNB()), is_fitted_classifier(GaussianNB().fit(X, y))
    (False, True)
    """
    return (
        not isinstance(teacher, _TEACHER_TYPES)
        and not is_torch_module(teacher)
        and _is_classifier_like(teacher)
        and _is_fitted(teacher)
    )


def is_duck_teacher(teacher):
    """Whether ``teacher`` is an object with ``predict_logits(X)`` and ``classes``.

    Parameters
    ----------
    teacher : object

    Returns
    -------
    bool

    Examples
    --------
    >>> import numpy as np
    >>> from skdistill.teachers import is_duck_teacher
    >>> class Teacher:
    ...     classes = None
    ...     def predict_logits(self, X):
    ...         return np.zeros((len(X), 2))
    >>> is_duck_teacher(Teacher()), is_duck_teacher(np.mean)
    (True, False)
    """
    return (
        not isinstance(teacher, _TEACHER_TYPES)
        and callable(getattr(teacher, "predict_logits", None))
        and hasattr(teacher, "classes")
    )


def is_shared_teacher(teacher):
    """Whether clones of a student share ``teacher`` rather than copy it.

    Every teacher is shared (a module, a teacher object, a fitted
    classifier, a function), except an unfitted scikit-learn estimator,
    which ``clone`` copies as usual and ``fit`` trains.

    Parameters
    ----------
    teacher : object

    Returns
    -------
    bool

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.naive_bayes import GaussianNB
    >>> from skdistill.teachers import is_shared_teacher
    >>> X, y = load_iris(return_X_y=True)
    >>> is_shared_teacher(GaussianNB()), is_shared_teacher(GaussianNB().fit(X, y))
    (False, True)
    """
    if isinstance(teacher, _TEACHER_TYPES) or is_torch_module(teacher):
        return True
    return not (
        hasattr(teacher, "fit")
        and hasattr(teacher, "get_params")
        and not _is_fitted(teacher)
    )


def _is_classifier_like(teacher):
    return estimator_task(teacher) == "classification"


# Per task: the model's name, what the student distils, what to pass, and
# the students that distil it; for messages.
_TASKS = {
    "classification": (
        "classifier",
        "a classifier's class scores",
        "a fitted scikit-learn classifier, TorchTeacher(module, "
        "output='logits'), or a callable returning class scores",
        "DistilledLogisticRegression, DistilledDecisionTree or DistilledClassifier",
    ),
    "regression": (
        "regressor",
        "a regressor's predictions",
        "a fitted scikit-learn regressor, TorchTeacher(module, "
        "output='values'), or a callable returning predictions",
        "DistilledRegressor",
    ),
}


def _check_task(teacher, teacher_task, task, owner):
    """Refuse a teacher of the other task, naming student, teacher and fix."""
    if teacher_task == task:
        return
    found, _, _, students = _TASKS[teacher_task]
    model, distils, teachers, _ = _TASKS[task]
    raise ValueError(
        f"{owner}: the teacher {_describe_teacher(teacher)} is a {found}, but "
        f"{owner} distils {distils}. Distil a {found} with {students}, or pass "
        f"a {model} ({teachers})."
    )


def as_teacher(
    teacher,
    X=None,
    y=None,
    sample_weight=None,
    *,
    owner="as_teacher",
    task="classification",
):
    """Turn what a user passes as ``teacher`` into a teacher object.

    Parameters
    ----------
    teacher : TorchTeacher, torch.nn.Module, estimator, object or callable
        A :class:`TorchTeacher` (or other teacher object) is used as-is; a
        bare ``nn.Module`` is wrapped in a ``TorchTeacher`` with defaults
        (``output="values"`` for a regression student); an object with
        ``predict_logits(X)`` and ``classes`` is used through them; a fitted
        scikit-learn classifier or regressor (also inside
        ``sklearn.frozen.FrozenEstimator``) is used as-is; an unfitted one is
        cloned and fitted on ``(X, y, sample_weight)``; a callable returns
        logits (predictions, for a regression student). Each but the
        unfitted estimator keeps its row cache across calls, so every student
        taught by it shares one.
    X, y, sample_weight : array-like, default=None
        Training data, used only to fit an unfitted scikit-learn teacher.
    owner : str, default="as_teacher"
        Name used in error messages (the student's class).
    task : {"classification", "regression"}, default="classification"
        What the student learns; a teacher of the other task is refused
        with an error naming both.

    Returns
    -------
    TorchTeacher, SklearnTeacher or CallableTeacher

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.naive_bayes import GaussianNB
    >>> from skdistill.teachers import as_teacher
    >>> X, y = load_iris(return_X_y=True)
    >>> as_teacher(GaussianNB(), X, y).estimator.classes_
    array([0, 1, 2])
    """
    output = "values" if task == "regression" else "logits"
    if isinstance(teacher, _TEACHER_TYPES):
        _check_task(teacher, teacher.task, task, owner)
        return teacher
    if is_torch_module(teacher):
        wrapped = TorchTeacher(teacher, output=output)
        wrapped._cache = shared_cache(teacher)
        return wrapped
    if is_duck_teacher(teacher):
        _check_task(teacher, "classification", task, owner)
        wrapped = CallableTeacher(teacher.predict_logits, classes=teacher.classes)
        wrapped._describes = teacher
        return wrapped
    teacher_task = estimator_task(teacher)
    if teacher_task is not None:
        _check_task(teacher, teacher_task, task, owner)
        if _is_fitted(teacher):
            return SklearnTeacher(teacher)
        return SklearnTeacher(_fitted_clone(teacher, X, y, sample_weight, owner))
    if callable(teacher):
        return CallableTeacher(teacher, output=output)
    if teacher is None:
        model, _, teachers, _ = _TASKS[task]
        given = "teacher_predictions" if task == "regression" else "teacher_logits"
        raise ValueError(
            f"{owner}: teacher=None; pass the model to distil, a {model}: "
            f"{teachers}, or a torch nn.Module (or pass {given} to fit)."
        )
    raise TypeError(
        f"{owner}: teacher={teacher!r} is not a TorchTeacher, a torch nn.Module, "
        "a scikit-learn classifier or regressor, an object with "
        "predict_logits(X) and classes, or a callable returning logits (or "
        "predictions); pass one of those."
    )


def _fitted_clone(teacher, X, y, sample_weight, owner):
    """A clone of an unfitted scikit-learn teacher, fitted on (X, y, weights)."""
    if y is None:
        raise ValueError(
            f"{owner}: the teacher {teacher!r} is not fitted and y is None; "
            "fit the teacher first, or pass y so that it is trained inside "
            "fit. (A search clones the teachers of its grid, which unfits "
            "them: wrap each fitted one in sklearn.frozen.FrozenEstimator.)"
        )
    estimator = clone(teacher)
    kwargs = {}
    if sample_weight is not None:
        if has_fit_parameter(estimator, "sample_weight"):
            kwargs["sample_weight"] = sample_weight
        else:
            warnings.warn(
                f"{owner}: the teacher {type(teacher).__name__} does not "
                "accept sample_weight, so it is trained without the weights; "
                "fit it yourself and pass the fitted teacher to control this.",
                UserWarning,
                stacklevel=5,
            )
    try:
        estimator.fit(X, y, **kwargs)
    except Exception as exc:
        raise failure(
            exc,
            f"{owner}: training the unfitted teacher {type(teacher).__name__} "
            "on (X, y) inside fit failed; fit the teacher yourself and pass "
            "the fitted teacher"
            + (
                " (a classifier teacher needs at least 2 classes in y)."
                if is_classifier(estimator)
                else "."
            ),
        ) from exc
    return estimator
