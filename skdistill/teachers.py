"""Teachers: run a trained model and return its logits as NumPy.

A teacher is anything with ``predict_logits(X) -> ndarray (n_samples,
n_classes)`` and a ``classes`` property (the label of each output column, or
None for ``0..K-1``). :func:`as_teacher` turns what a user passes into one:

- :class:`TorchTeacher` runs a PyTorch ``nn.Module`` in batches on the GPU
  when there is one, and remembers the logits of rows it has seen;
- :class:`SklearnTeacher` wraps a fitted scikit-learn classifier;
- :class:`CallableTeacher` wraps a function ``X -> logits``.

torch is imported only when a torch teacher is used, so students distilled
from scikit-learn teachers never pay for it.
"""

import contextlib
import io
import sys
import threading
import warnings
import weakref
from numbers import Integral

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, clone
from sklearn.exceptions import NotFittedError
from sklearn.utils.validation import check_is_fitted, has_fit_parameter

from skdistill._errors import failure
from skdistill._sklearn import Interval, StrOptions
from skdistill.targets import as_logits, soften

__all__ = [
    "CallableTeacher",
    "SklearnTeacher",
    "TorchTeacher",
    "as_teacher",
    "is_fitted_classifier",
    "resolve_device",
]

# How far a probability output may stray from [0, 1] and a row sum from 1
# (16-bit autocast softmax sums are off by about 1e-3).
_PROBA_TOLERANCE = 1e-2


def _torch():
    import torch

    return torch


def _is_torch_module(obj):
    torch = sys.modules.get("torch")
    return torch is not None and isinstance(obj, torch.nn.Module)


def _is_tensor(obj):
    torch = sys.modules.get("torch")
    return torch is not None and isinstance(obj, torch.Tensor)


def resolve_device(device="auto"):
    """Return the ``torch.device`` a teacher runs on.

    Parameters
    ----------
    device : str or torch.device, default="auto"
        ``"auto"`` picks CUDA when it is available, else the CPU; any other
        value is passed to ``torch.device``.

    Returns
    -------
    torch.device

    Examples
    --------
    >>> from skdistill.teachers import resolve_device
    >>> resolve_device("cpu")
    device(type='cpu')
    """
    torch = _torch()
    if isinstance(device, str) and device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        resolved = torch.device(device)
    except (RuntimeError, TypeError, ValueError) as exc:
        raise ValueError(
            f"TorchTeacher: device={device!r} is not a device torch knows; "
            "use 'auto', 'cpu', 'cuda' or 'cuda:N'."
        ) from exc
    if resolved.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(
            f"TorchTeacher: device={device!r} but CUDA is not available on this "
            "machine; use device='auto' (CUDA when present, else CPU) or 'cpu'."
        )
    return resolved


class _RowCache:
    """Teacher outputs keyed by the content of each input row.

    Keys are exact row contents (bytes or strings), never object identity, so
    a row is served from the cache only when the model would see the very
    same input.
    """

    def __init__(self):
        self._index = {}
        self._values = None
        self._size = 0

    def __len__(self):
        return self._size

    def positions(self, keys):
        index = self._index
        return np.fromiter(
            (index.get(k, -1) for k in keys), dtype=np.intp, count=len(keys)
        )

    def add(self, keys, values):
        start = self._size
        stop = start + len(keys)
        if self._values is None:
            shape = (max(stop, 1024),) + values.shape[1:]
            self._values = np.empty(shape, values.dtype)
        elif self._values.shape[1:] != values.shape[1:]:
            raise ValueError(
                f"TorchTeacher: the module returned {values.shape[1:]} outputs per "
                f"row but {self._values.shape[1:]} for earlier rows; a teacher's "
                "output shape must not change between calls."
            )
        elif stop > len(self._values):
            grown = np.empty(
                (max(stop, 2 * len(self._values)),) + values.shape[1:],
                self._values.dtype,
            )
            grown[:start] = self._values[:start]
            self._values = grown
        self._values[start:stop] = values
        self._index.update(zip(keys, range(start, stop)))
        self._size = stop

    def take(self, positions):
        return self._values[positions]


class _TeacherCache:
    """The row caches of one module, valid for one state of its weights."""

    def __init__(self):
        self.lock = threading.RLock()
        self.fingerprint = None
        self.stores = {}

    def store(self, fingerprint, namespace):
        if fingerprint != self.fingerprint:
            self.fingerprint = fingerprint
            self.stores = {}
        return self.stores.setdefault(namespace, _RowCache())


def _row_keys(X, dtype):
    """``(namespace, keys)`` with one hashable key per row of X, or None.

    Numeric rows are keyed by their bytes in ``dtype`` (what the model sees);
    sparse rows by their canonical CSR indices and values; strings by
    themselves. The namespace separates keys of different layouts. Inputs
    that are none of these (ragged lists, objects, empty X) are not cached.
    """
    if sp.issparse(X):
        X = sp.csr_array(X, dtype=dtype, copy=True)
        X.sum_duplicates()
        X.eliminate_zeros()
        ptr, ind, data = X.indptr, X.indices.astype(np.int64), X.data
        keys = [
            ind[a:b].tobytes() + data[a:b].tobytes()
            for a, b in zip(ptr[:-1].tolist(), ptr[1:].tolist())
        ]
        return ("csr", X.shape[1], np.dtype(dtype).str), keys
    if isinstance(X, (list, tuple)) and all(isinstance(r, (str, bytes)) for r in X):
        return ("str",), list(X)
    try:
        arr = np.asarray(X)
    except (TypeError, ValueError):
        return None
    if arr.ndim == 0 or arr.shape[0] == 0:
        return None
    if arr.dtype.kind in "USO" and arr.ndim == 1:
        keys = arr.tolist()
        if all(isinstance(k, (str, bytes)) for k in keys):
            return ("str",), keys
        return None
    if arr.dtype.kind not in "biuf":
        return None
    arr = np.ascontiguousarray(arr, dtype=dtype if dtype is not None else arr.dtype)
    rows = arr.reshape(arr.shape[0], -1)
    void = rows.view(np.dtype((np.void, rows.shape[1] * rows.itemsize)))
    return ("dense", arr.shape[1:], arr.dtype.str), void.ravel().tolist()


def _take_rows(X, rows):
    if hasattr(X, "iloc"):
        return X.iloc[rows]
    if isinstance(X, (list, tuple)):
        return [X[i] for i in rows]
    if sp.issparse(X):
        return X.tocsr()[rows]
    return X[rows]


# Input dtype used to key rows in the cache; others (bfloat16) key as float32.
_NUMPY_DTYPES = {"torch.float64": np.float64, "torch.float16": np.float16}

# TorchTeacher(dtype=...) names -> torch attribute.
_AUTOCAST_DTYPES = {"bfloat16": "bfloat16", "float16": "float16", "half": "float16"}

# Guards the creation of each teacher's cache; the cache has its own lock.
_CREATE_LOCK = threading.Lock()


class TorchTeacher(BaseEstimator):
    """A trained PyTorch classifier used as a teacher.

    The module is moved once to ``device`` and run in eval mode under
    ``torch.inference_mode()``, in batches; its outputs come back to the CPU
    as NumPy. On CUDA out-of-memory the batch is halved and inference goes on.

    A ``TorchTeacher`` is a frozen, shared object: ``clone`` returns the same
    teacher, so a grid search never copies the model, and it remembers the
    outputs of the rows it has run (keyed by row content), so a search over
    ``temperature`` runs each distinct row through the model once.

    Parameters
    ----------
    module : torch.nn.Module
        The trained model. It maps a batch to class scores of shape
        ``(batch, n_classes)``, or ``(batch,)`` / ``(batch, 1)`` for a
        binary model; an output with a ``.logits`` attribute is understood.
    device : str or torch.device, default="auto"
        ``"auto"`` uses CUDA when available, else the CPU.
    batch_size : int, default=1024
        Rows per forward pass.
    output : {"logits", "proba", "log_proba"}, default="logits"
        What the module returns.
    classes : array-like of shape (n_classes,), default=None
        Label of each output column; ``0..K-1`` when None.
    preprocess : callable, default=None
        ``preprocess(batch) -> tensor | dict of tensors`` turns a batch of
        raw inputs (a slice of X: rows of an array, or a list of strings) into
        model inputs; a dict is passed as keyword arguments. When None, X is
        numeric (NumPy, pandas, SciPy sparse densified per batch, or a
        tensor) and is cast to the dtype of the module's first floating
        parameter (a tensor only when it is floating, so integer token ids
        pass unchanged).
    cache : bool, default=True
        Remember the outputs of rows already run, keyed by row content. The
        cache is emptied when a parameter or buffer of the module is
        replaced, moved or updated by an autograd-tracked operation (see
        :meth:`clear_cache` for other changes); it is not pickled.
    dtype : {"bfloat16", "float16"}, torch.dtype or None, default=None
        Run the forward pass under ``torch.autocast`` in this precision, on
        the CPU or the GPU alike: the float32 matrix products and
        convolutions run in 16-bit, the rest in the module's own precision
        (autocast leaves float64 modules as they are). Faster on hardware
        with 16-bit units (GPU tensor cores, recent CPUs); the logits differ
        from full precision by about 1% of their spread. None runs the module
        in its own precision.

    See Also
    --------
    skdistill.DistilledLogisticRegression : A student taught by this teacher.

    Examples
    --------
    >>> import numpy as np
    >>> import torch
    >>> from skdistill import TorchTeacher
    >>> _ = torch.manual_seed(0)
    >>> teacher = TorchTeacher(torch.nn.Linear(4, 3), device="cpu")
    >>> teacher.predict_logits(np.ones((5, 4))).shape
    (5, 3)
    >>> teacher.predict_proba(np.ones((2, 4))).sum(axis=1)
    array([1., 1.])
    """

    _parameter_constraints = {
        "module": "no_validation",
        "device": "no_validation",
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "output": [StrOptions({"logits", "proba", "log_proba"})],
        "classes": ["array-like", None],
        "preprocess": [callable, None],
        "cache": ["boolean"],
        "dtype": "no_validation",  # checked by _autocast_dtype, naming the fix
    }

    def __init__(
        self,
        module,
        *,
        device="auto",
        batch_size=1024,
        output="logits",
        classes=None,
        preprocess=None,
        cache=True,
        dtype=None,
    ):
        self.module = module
        self.device = device
        self.batch_size = batch_size
        self.output = output
        self.classes = classes
        self.preprocess = preprocess
        self.cache = cache
        self.dtype = dtype

    def __sklearn_clone__(self):
        return self

    def set_params(self, **params):
        """Refuse: a ``TorchTeacher`` is frozen.

        Every clone of a student shares its teacher, so setting a parameter
        would change it for all of them; create a new ``TorchTeacher``
        instead (the module is not copied).

        Parameters
        ----------
        **params : dict
            Ignored.

        Raises
        ------
        ValueError
            Always.
        """
        raise ValueError(
            f"TorchTeacher: cannot set {sorted(params)}; a TorchTeacher is frozen "
            "and shared by every clone of a student. Create a new "
            "TorchTeacher(module, ...) with the settings you want instead."
        )

    def clear_cache(self):
        """Forget the outputs of the rows run so far.

        The cache notices replaced or moved weights and in-place updates
        made through autograd-tracked operations (optimiser steps,
        ``load_state_dict``); call this after changing weights in any other
        way, such as through ``param.data``.

        Returns
        -------
        self : TorchTeacher
        """
        with self._row_cache().lock:
            self._row_cache().stores = {}
        return self

    def __getstate__(self):
        state = dict(super().__getstate__())
        for private in ("_cache", "_placed", "_run_batch_size"):
            state.pop(private, None)
        if _is_torch_module(self.module):
            buffer = io.BytesIO()
            _torch().save(self.module, buffer)
            state["module"] = buffer.getvalue()
        return state

    def __setstate__(self, state):
        module = state.get("module")
        if isinstance(module, bytes):
            torch = _torch()
            map_location = "cuda" if torch.cuda.is_available() else "cpu"
            state["module"] = torch.load(
                io.BytesIO(module), map_location=map_location, weights_only=False
            )
        super().__setstate__(state)

    def _row_cache(self):
        cache = self.__dict__.get("_cache")
        if cache is None:
            with _CREATE_LOCK:
                cache = self.__dict__.setdefault("_cache", _TeacherCache())
        return cache

    def _device_and_dtype(self):
        """Move the module once; return its device and input dtype."""
        device = resolve_device(self.device)
        placed = getattr(self, "_placed", None)
        if placed is None or placed[0] is not self.module or placed[1] != device:
            self.module.to(device)
            self._placed = (self.module, device)
        dtype = next(
            (p.dtype for p in self.module.parameters() if p.is_floating_point()),
            _torch().float32,
        )
        return device, dtype

    def _autocast_dtype(self):
        """The torch dtype of ``dtype`` (None: no autocast); clear error if bad."""
        if self.dtype is None:
            return None
        torch = _torch()
        name = self.dtype if isinstance(self.dtype, str) else str(self.dtype)
        dtype = _AUTOCAST_DTYPES.get(name.removeprefix("torch."))
        if dtype is None:
            raise ValueError(
                f"TorchTeacher: dtype={self.dtype!r} is not a precision autocast "
                "runs in; pass 'bfloat16' or 'float16' (or torch.bfloat16, "
                "torch.float16), or None for the module's own precision."
            )
        return getattr(torch, dtype)

    def _state_fingerprint(self):
        """Changes when a parameter or buffer is replaced, moved or updated."""
        tensors = list(self.module.parameters()) + list(self.module.buffers())
        return (
            self.output,
            str(self.dtype),
            id(self.preprocess),
            tuple((id(t), t.data_ptr(), t.dtype, t._version) for t in tensors),
        )

    def predict_logits(self, X, *, remember=True):
        """Run the module on X and return its logits.

        Parameters
        ----------
        X : array-like, sparse matrix, tensor or sequence of shape (n_samples, ...)
            Model inputs; anything ``preprocess`` understands when it is set.
        remember : bool, default=True
            Use the row cache (when ``cache=True``); False runs X through the
            model and keeps nothing, as for synthetic rows seen once.

        Returns
        -------
        logits : ndarray of shape (n_samples, n_classes), dtype float64
            Probability outputs are turned into logits (their log, clipped).
        """
        self._validate_params()
        self._autocast_dtype()
        if not _is_torch_module(self.module):
            raise TypeError(
                f"TorchTeacher: module={self.module!r} is not a torch.nn.Module; "
                "pass the trained network (or use the function itself as the "
                "teacher if it is a callable returning logits)."
            )
        n_rows = X.shape[0] if hasattr(X, "shape") else len(X)
        cache = self._row_cache()
        with cache.lock:
            device, dtype = self._device_and_dtype()
            keyed = None
            if self.cache and remember and not _is_tensor(X):
                key_dtype = _NUMPY_DTYPES.get(str(dtype), np.float32)
                keyed = _row_keys(X, None if self.preprocess is not None else key_dtype)
            if keyed is None:
                return self._as_logits(self._forward(X, n_rows, device, dtype))

            namespace, keys = keyed
            store = cache.store(self._state_fingerprint(), namespace)
            positions = store.positions(keys)
            missing = np.flatnonzero(positions < 0)
            if missing.size:
                new = {}
                first_rows = []
                for i in missing.tolist():
                    key = keys[i]
                    if key not in new:
                        new[key] = len(new)
                        first_rows.append(i)
                    positions[i] = len(store) + new[key]
                outputs = self._forward(
                    _take_rows(X, first_rows), len(first_rows), device, dtype
                )
                store.add(list(new), outputs)
            return self._as_logits(store.take(positions))

    def _as_logits(self, outputs):
        """The module's outputs as logits, once they are checked to be what
        ``output`` says: a model that ends in raw scores, run with
        ``output="proba"``, would otherwise be distilled from nonsense."""
        if self.output != "logits" and outputs.size:
            values = np.asarray(outputs, dtype=np.float64)
            if self.output == "log_proba":
                values = np.exp(values)
            bad = (values < -_PROBA_TOLERANCE) | (values > 1 + _PROBA_TOLERANCE)
            if values.ndim == 2 and values.shape[1] > 1:
                bad = bad.any(axis=1) | (
                    np.abs(values.sum(axis=1) - 1) > _PROBA_TOLERANCE
                )
            rows = np.flatnonzero(bad.reshape(len(values), -1).any(axis=1))
            if rows.size:
                kind = {"proba": "probabilities", "log_proba": "log-probabilities"}
                raise ValueError(
                    f"TorchTeacher: output={self.output!r}, but the module's "
                    f"outputs are not {kind[self.output]} in {rows.size} row(s) "
                    f"(first: row {rows[0]}: {np.round(values[rows[0]], 4).tolist()}); "
                    "use output='logits' for a module that returns raw class "
                    "scores."
                )
        return as_logits(outputs, self.output)

    def predict_proba(self, X):
        """Return the teacher's class probabilities (softmax of its logits).

        Parameters
        ----------
        X : array-like of shape (n_samples, ...)
            Model inputs, as for :meth:`predict_logits`.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
        """
        return soften(self.predict_logits(X), 1.0)

    def _forward(self, X, n_rows, device, dtype):
        """Run all rows of X through the module, halving the batch on OOM."""
        torch = _torch()
        if hasattr(X, "iloc") and self.preprocess is None:
            X = X.to_numpy()
        if sp.issparse(X):
            X = X.tocsr()
        batch_size = min(
            getattr(self, "_run_batch_size", self.batch_size), self.batch_size
        )
        outputs = []
        modes = [(m, m.training) for m in self.module.modules()]
        autocast = self._autocast_dtype()
        precision = (
            torch.autocast(device.type, dtype=autocast)
            if autocast is not None
            else contextlib.nullcontext()
        )
        self.module.eval()
        try:
            with torch.inference_mode(), precision:
                start = 0
                while start < n_rows:
                    stop = min(start + batch_size, n_rows)
                    try:
                        out = self._run_batch(X, start, stop, device, dtype)
                    except torch.cuda.OutOfMemoryError:
                        if batch_size == 1:
                            raise
                        batch_size = max(1, batch_size // 2)
                        self._run_batch_size = batch_size
                        torch.cuda.empty_cache()
                        continue
                    if outputs and out.shape[1:] != outputs[0].shape[1:]:
                        raise ValueError(
                            f"TorchTeacher: the module returned {out.shape[1:]} "
                            f"outputs per row for rows {start}-{stop - 1} but "
                            f"{outputs[0].shape[1:]} for earlier rows; a "
                            "teacher's output shape must not change between "
                            "calls."
                        )
                    outputs.append(out)
                    start = stop
        finally:
            for module, training in modes:
                module.training = training
        if not outputs:
            return np.empty((0, 0))
        return np.concatenate(outputs)

    def _run_batch(self, X, start, stop, device, dtype):
        torch = _torch()
        if self.preprocess is not None:
            batch = X.iloc[start:stop] if hasattr(X, "iloc") else X[start:stop]
            inputs = self.preprocess(batch)
        elif _is_tensor(X):
            inputs = X[start:stop]
            if inputs.is_floating_point():
                inputs = inputs.to(dtype)
        else:
            batch = X[start:stop]
            batch = batch.toarray() if sp.issparse(batch) else np.asarray(batch)
            inputs = torch.from_numpy(np.ascontiguousarray(batch)).to(dtype)
        if isinstance(inputs, dict):
            out = self.module(**{k: _to_device(v, device) for k, v in inputs.items()})
        else:
            out = self.module(_to_device(inputs, device))
        if hasattr(out, "logits"):
            out = out.logits
        if not _is_tensor(out):
            raise TypeError(
                f"TorchTeacher: the module returned {type(out).__name__}; it must "
                "return a tensor of class scores (or an object with a .logits "
                "tensor)."
            )
        if out.is_floating_point() and out.dtype != torch.float64:
            out = out.float()
        return out.cpu().numpy()


def _to_device(value, device):
    return value.to(device, non_blocking=True) if _is_tensor(value) else value


class SklearnTeacher(BaseEstimator):
    """A fitted scikit-learn classifier used as a teacher.

    Logits are the log of ``predict_proba`` (clipped at
    :data:`skdistill.targets.PROBA_FLOOR`), or ``decision_function`` when the
    classifier has no ``predict_proba``. Column ``k`` is ``classes_[k]``.

    Parameters
    ----------
    estimator : fitted classifier
        A fitted scikit-learn classifier (a ``FrozenEstimator`` too).

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

    def __init__(self, estimator):
        self.estimator = estimator

    @property
    def classes(self):
        return self.estimator.classes_

    def predict_logits(self, X, *, remember=True):
        """Return the classifier's logits on X.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        remember : bool, default=True
            Ignored: nothing is cached.

        Returns
        -------
        logits : ndarray of shape (n_samples, n_classes), dtype float64
        """
        if hasattr(self.estimator, "predict_proba"):
            return as_logits(self.estimator.predict_proba(X), "proba")
        return as_logits(self.estimator.decision_function(X), "logits")


class CallableTeacher(BaseEstimator):
    """A function ``X -> logits`` used as a teacher.

    Parameters
    ----------
    func : callable
        Returns logits of shape ``(n_samples, n_classes)``, or
        ``(n_samples,)`` for a single binary logit. Column ``k`` is class
        ``classes[k]``.
    classes : array-like of shape (n_classes,), default=None
        Label of each column; ``0..K-1`` when None.

    Examples
    --------
    >>> import numpy as np
    >>> from skdistill.teachers import CallableTeacher
    >>> CallableTeacher(lambda X: X @ np.ones((2, 3))).predict_logits(np.eye(2))
    array([[1., 1., 1.],
           [1., 1., 1.]])
    """

    def __init__(self, func, *, classes=None):
        self.func = func
        self.classes = classes

    def predict_logits(self, X, *, remember=True):
        """Return ``func(X)`` as a float64 logit matrix.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        remember : bool, default=True
            Ignored: nothing is cached.

        Returns
        -------
        logits : ndarray of shape (n_samples, n_classes), dtype float64
        """
        out = self.func(X)
        if _is_tensor(out):
            out = out.detach().cpu().numpy()
        return as_logits(out, "logits")


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
    >>> from skdistill.teachers import SklearnTeacher, _describe_teacher
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
    wrapped = getattr(teacher, inner)
    name = getattr(wrapped, "__qualname__", None) or type(wrapped).__name__
    return f"{type(teacher).__name__}({name})"


# One row cache per bare module, living as long as the module, so every clone
# of a student in a search shares it. The cache holds no reference to the
# module, so the module can still be freed.
_MODULE_CACHES = weakref.WeakKeyDictionary()


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
        and not _is_torch_module(teacher)
        and _is_classifier_like(teacher)
        and _is_fitted(teacher)
    )


def _is_classifier_like(teacher):
    return hasattr(teacher, "fit") and (
        hasattr(teacher, "predict_proba") or hasattr(teacher, "decision_function")
    )


def as_teacher(teacher, X=None, y=None, sample_weight=None, *, owner="as_teacher"):
    """Turn what a user passes as ``teacher`` into a teacher object.

    Parameters
    ----------
    teacher : TorchTeacher, torch.nn.Module, classifier or callable
        A :class:`TorchTeacher` (or other teacher object) is used as-is; a
        bare ``nn.Module`` is wrapped in a ``TorchTeacher`` with defaults; a
        fitted scikit-learn classifier (also inside
        ``sklearn.frozen.FrozenEstimator``) is used as-is; an unfitted one is
        cloned and fitted on ``(X, y, sample_weight)``; a callable returns
        logits.
    X, y, sample_weight : array-like, default=None
        Training data, used only to fit an unfitted scikit-learn teacher.
    owner : str, default="as_teacher"
        Name used in error messages (the student's class).

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
    if isinstance(teacher, _TEACHER_TYPES):
        return teacher
    if _is_torch_module(teacher):
        wrapped = TorchTeacher(teacher)
        with _CREATE_LOCK:
            wrapped._cache = _MODULE_CACHES.setdefault(teacher, _TeacherCache())
        return wrapped
    if _is_classifier_like(teacher):
        if _is_fitted(teacher):
            return SklearnTeacher(teacher)
        if y is None:
            raise ValueError(
                f"{owner}: the teacher {teacher!r} is not fitted and y is None; "
                "fit the teacher first, or pass y so that it is trained inside "
                "fit."
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
                    stacklevel=4,
                )
        try:
            estimator.fit(X, y, **kwargs)
        except Exception as exc:
            raise failure(
                exc,
                f"{owner}: training the unfitted teacher {type(teacher).__name__} "
                "on (X, y) inside fit failed; fit the teacher yourself and pass "
                "the fitted teacher (a teacher needs at least 2 classes in y).",
            ) from exc
        return SklearnTeacher(estimator)
    if callable(teacher):
        return CallableTeacher(teacher)
    if teacher is None:
        raise ValueError(
            f"{owner}: teacher=None; pass the model to distil: a TorchTeacher, "
            "a torch nn.Module, a scikit-learn classifier or a callable "
            "returning logits (or pass teacher_logits to fit)."
        )
    raise TypeError(
        f"{owner}: teacher={teacher!r} is not a TorchTeacher, a torch nn.Module, "
        "a scikit-learn classifier with predict_proba or decision_function, or "
        "a callable returning logits; pass one of those."
    )
