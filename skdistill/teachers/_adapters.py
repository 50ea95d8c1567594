"""Teachers that wrap a fitted scikit-learn model or a function.

Both remember the outputs of the rows they have run, as :class:`TorchTeacher`
does, so a search runs each distinct row through the model once. The cache
belongs to the wrapped object (the estimator, the function, or the object a
method is bound to), so every clone of a student shares it.
"""

import types
from numbers import Integral

import numpy as np
from sklearn.base import BaseEstimator, is_classifier, is_regressor

from skdistill._sklearn import Interval, StrOptions
from skdistill._torch import is_tensor, is_torch_module, weights_checksum
from skdistill.targets import as_logits
from skdistill.teachers._cache import (
    cache_budget,
    cached_outputs,
    row_keys,
    shared_cache,
)
from skdistill.teachers._outputs import (
    check_task,
    outputs_as_logits,
    outputs_as_values,
)

__all__ = ["CallableTeacher", "SklearnTeacher", "estimator_task"]

# How deep the fingerprint of an estimator looks into nested estimators and
# containers of them (a pipeline's steps, a search's best_estimator_, a
# forest's estimators_).
_STATE_DEPTH = 4


def estimator_task(estimator):
    """What a scikit-learn-style model predicts: its task, or None.

    ``"regression"`` for a regressor (by its tags, or a model with ``predict``
    and neither ``predict_proba`` nor ``decision_function``),
    ``"classification"`` for a classifier, None for an object with neither
    ``fit`` nor a way to predict.

    Parameters
    ----------
    estimator : object

    Returns
    -------
    {"classification", "regression"} or None

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression, Ridge
    >>> from skdistill.teachers import estimator_task
    >>> estimator_task(Ridge()), estimator_task(LogisticRegression())
    ('regression', 'classification')
    """
    if not hasattr(estimator, "fit"):
        return None
    # A skorch regressor has predict_proba too: tags decide first.
    if is_regressor(estimator):
        return "regression"
    if (
        is_classifier(estimator)
        or hasattr(estimator, "predict_proba")
        or hasattr(estimator, "decision_function")
    ):
        return "classification"
    return "regression" if hasattr(estimator, "predict") else None


class _StateToken:
    """The fitted state of an estimator, compared by the identity of its parts.

    scikit-learn's ``fit`` binds new objects to the fitted attributes, so a
    refitted estimator has other parts. The token holds the parts, so none
    of them can be freed and its ``id`` reused by a new object while the
    token lives: a comparison can never mistake a new state for the old one.
    torch modules inside (a skorch net's ``module_``) are compared by a
    checksum of their weights, since training changes them in place.
    """

    def __init__(self, estimator):
        self.parts = []
        self.checksums = []
        self._collect(estimator, _STATE_DEPTH)

    def _collect(self, obj, depth):
        if is_torch_module(obj):
            self.parts.append(obj)
            self.checksums.append(weights_checksum(obj))
            return
        if depth == 0:
            self.parts.append(obj)
            return
        if isinstance(obj, (list, tuple)):
            for item in obj:
                self._collect(item, depth - 1)
            return
        if isinstance(obj, dict):
            for key, item in obj.items():
                self.parts.append(key)
                self._collect(item, depth - 1)
            return
        self.parts.append(obj)
        if hasattr(obj, "get_params"):
            for name, value in sorted(vars(obj).items()):
                self.parts.append(name)
                self._collect(value, depth - 1)

    def __eq__(self, other):
        return (
            isinstance(other, _StateToken)
            and len(self.parts) == len(other.parts)
            and all(a is b for a, b in zip(self.parts, other.parts))
            and self.checksums == other.checksums
        )

    __hash__ = None


def _one_row_at_least(out):
    """A 0-d output (``np.squeeze`` of one row's prediction) as one row."""
    return out.reshape(1) if out.ndim == 0 else out


def _cached(teacher, owner_object, fingerprint, X, remember, run):
    """``run(X)``, with the rows already seen served from the cache."""
    budget = cache_budget(teacher.cache)
    keyed = row_keys(X, None) if budget and remember and not is_tensor(X) else None
    if keyed is None:
        return run(X)
    return cached_outputs(
        shared_cache(owner_object),
        fingerprint,
        budget,
        X,
        keyed,
        run,
        owner=type(teacher).__name__,
    )


class SklearnTeacher(BaseEstimator):
    """A fitted scikit-learn classifier or regressor used as a teacher.

    A classifier's logits are the log of ``predict_proba`` (clipped at
    :data:`skdistill.targets.PROBA_FLOOR`), or ``decision_function`` when the
    classifier has no ``predict_proba``; column ``k`` is ``classes_[k]``. A
    regressor's predictions are its ``predict``.

    The outputs of rows already run are remembered, as by
    :class:`~skdistill.TorchTeacher`, in a cache that belongs to the
    estimator (every student taught by it shares it). The cache is emptied
    when the estimator is refitted (its fitted attributes are new objects)
    or, for a torch network inside it (skorch), when its weights change;
    call :meth:`clear_cache` after changing a fitted attribute in place.

    Parameters
    ----------
    estimator : fitted classifier or regressor
        A fitted scikit-learn model (a ``FrozenEstimator`` too).
    cache : bool or int, default=True
        As for :class:`~skdistill.TorchTeacher`: True bounds the cache at
        1 GiB, an int is the bound in bytes, False turns it off.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skdistill.teachers import SklearnTeacher
    >>> X, y = load_iris(return_X_y=True)
    >>> teacher = SklearnTeacher(LogisticRegression(max_iter=1000).fit(X, y))
    >>> teacher.predict_logits(X[:2]).shape, teacher.classes
    ((2, 3), array([0, 1, 2]))
    """

    _parameter_constraints = {
        "estimator": "no_validation",
        "cache": ["boolean", Interval(Integral, 0, None, closed="left")],
    }

    def __init__(self, estimator, *, cache=True):
        self.estimator = estimator
        self.cache = cache

    def __sklearn_clone__(self):
        return self  # shared, like the fitted estimator it wraps

    @property
    def task(self):
        """``"classification"`` or ``"regression"``, by the estimator."""
        return estimator_task(self.estimator) or "classification"

    @property
    def classes(self):
        """The classifier's ``classes_``; None for a regressor."""
        if self.task == "regression":
            return None
        return self.estimator.classes_

    def predict_logits(self, X, *, remember=True):
        """Return the classifier's logits on X.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        remember : bool, default=True
            Use the row cache; False runs X and keeps nothing.

        Returns
        -------
        logits : ndarray of shape (n_samples, n_classes), dtype float64
        """
        self._validate_params()
        check_task(
            self,
            "classification",
            "predict_logits",
            "distil this regressor with DistilledRegressor",
        )
        proba = hasattr(self.estimator, "predict_proba")
        method = "predict_proba" if proba else "decision_function"
        outputs = self._outputs(method, X, remember)
        return as_logits(outputs, "proba" if proba else "logits")

    def predict_values(self, X, *, remember=True):
        """Return the regressor's predictions on X.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        remember : bool, default=True
            Use the row cache; False runs X and keeps nothing.

        Returns
        -------
        values : ndarray of shape (n_samples,) or (n_samples, n_outputs)
        """
        self._validate_params()
        check_task(
            self,
            "regression",
            "predict_values",
            "distil this classifier with a classification student",
        )
        return outputs_as_values(
            self._outputs("predict", X, remember), "SklearnTeacher"
        )

    def _outputs(self, method, X, remember):
        def run(rows):
            return _one_row_at_least(np.asarray(getattr(self.estimator, method)(rows)))

        fingerprint = (method, _StateToken(self.estimator))
        return _cached(self, self.estimator, fingerprint, X, remember, run)

    def clear_cache(self):
        """Forget the outputs of the rows run so far.

        Returns
        -------
        self : SklearnTeacher
        """
        shared_cache(self.estimator).clear()
        return self


def _cache_owner(func):
    """The object a function's cache belongs to: what a method is bound to."""
    return func.__self__ if isinstance(func, types.MethodType) else func


class CallableTeacher(BaseEstimator):
    """A function ``X -> logits`` (or ``X -> predictions``) used as a teacher.

    The function is assumed to return the same output for the same row; the
    outputs of rows already run are remembered in a cache that belongs to
    the function (to the object, for a bound method), so every student taught
    by it shares it. Call :meth:`clear_cache`, or pass ``cache=False``, for a
    function whose results change.

    Parameters
    ----------
    func : callable
        Returns logits of shape ``(n_samples, n_classes)``, or
        ``(n_samples,)`` for a single binary logit (or probabilities, with
        ``output="proba"``). Column ``k`` is class ``classes[k]``. A
        function returning class labels (``model.predict``) is refused:
        pass the model itself.
    classes : array-like of shape (n_classes,), default=None
        Label of each column; ``0..K-1`` when None.
    output : {"logits", "proba", "log_proba", "values"}, default="logits"
        What ``func`` returns; ``"values"`` makes a regression teacher, whose
        predictions have shape ``(n_samples,)`` or ``(n_samples, n_outputs)``
        (a function passed to :class:`~skdistill.DistilledRegressor` is read
        so).
    cache : bool or int, default=True
        As for :class:`~skdistill.TorchTeacher`: True bounds the cache at
        1 GiB, an int is the bound in bytes, False turns it off.

    Examples
    --------
    >>> import numpy as np
    >>> from skdistill.teachers import CallableTeacher
    >>> CallableTeacher(lambda X: X @ np.ones((2, 3))).predict_logits(np.eye(2))
    array([[1., 1., 1.],
           [1., 1., 1.]])
    """

    _parameter_constraints = {
        "func": [callable],
        "classes": ["array-like", None],
        "output": [StrOptions({"logits", "proba", "log_proba", "values"})],
        "cache": ["boolean", Interval(Integral, 0, None, closed="left")],
    }

    def __init__(self, func, *, classes=None, output="logits", cache=True):
        self.func = func
        self.classes = classes
        self.output = output
        self.cache = cache

    def __sklearn_clone__(self):
        return self  # shared, like the function it wraps

    @property
    def task(self):
        """``"regression"`` for ``output="values"``, else ``"classification"``."""
        return "regression" if self.output == "values" else "classification"

    def predict_logits(self, X, *, remember=True):
        """Return ``func(X)`` as a float64 logit matrix.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        remember : bool, default=True
            Use the row cache; False runs X and keeps nothing.

        Returns
        -------
        logits : ndarray of shape (n_samples, n_classes), dtype float64
        """
        check_task(
            self,
            "classification",
            "predict_logits",
            "pass output='logits' for a function returning class scores, or "
            "distil this regressor with DistilledRegressor",
        )
        return outputs_as_logits(
            self._outputs(X, remember),
            self.output,
            "CallableTeacher",
            proba_fix="CallableTeacher(func, output='proba'), or pass the fitted "
            "estimator itself as the teacher",
            labels_fix="pass the fitted estimator itself as the teacher (not its "
            "predict method), or a function returning class scores",
        )

    def predict_values(self, X, *, remember=True):
        """Return ``func(X)``, a regressor's predictions, as float64.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        remember : bool, default=True
            Use the row cache; False runs X and keeps nothing.

        Returns
        -------
        values : ndarray of shape (n_samples,) or (n_samples, n_outputs)
        """
        check_task(
            self,
            "regression",
            "predict_values",
            "pass CallableTeacher(func, output='values') for a function returning "
            "predictions",
        )
        return outputs_as_values(self._outputs(X, remember), "CallableTeacher")

    def _outputs(self, X, remember):
        self._validate_params()

        def run(rows):
            out = self.func(rows)
            if is_tensor(out):
                out = out.detach().cpu().numpy()
            return _one_row_at_least(np.asarray(out))

        func = getattr(self.func, "__func__", self.func)
        owner = _cache_owner(self.func)
        # A method of a model (``model.predict``): the model's fitted state
        # too, so a refit model is run again rather than served stale.
        model = owner is not self.func and (
            hasattr(owner, "get_params") or is_torch_module(owner)
        )
        fingerprint = (func, self.output, _StateToken(owner) if model else None)
        return _cached(self, owner, fingerprint, X, remember, run)

    def clear_cache(self):
        """Forget the outputs of the rows run so far.

        Returns
        -------
        self : CallableTeacher
        """
        shared_cache(_cache_owner(self.func)).clear()
        return self
