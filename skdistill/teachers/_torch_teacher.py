"""TorchTeacher: run a trained PyTorch network in batches, return NumPy."""

import contextlib
import threading
from collections.abc import Mapping
from numbers import Integral

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator

from skdistill._errors import TeacherTypeError, TeacherValueError
from skdistill._progress import current_pass, progress
from skdistill._sklearn import Interval, StrOptions
from skdistill._torch import (
    float_limit,
    is_tensor,
    is_torch_module,
    load_module,
    resolve_device,
    same_device,
    save_module,
    torch,
    weights_checksum,
)
from skdistill.targets import soften
from skdistill.teachers._cache import (
    TeacherCache,
    cache_budget,
    cached_outputs,
    row_keys,
)
from skdistill.teachers._outputs import (
    check_task,
    outputs_as_logits,
    outputs_as_values,
)

__all__ = ["TorchTeacher"]

# Input dtype used to key rows in the cache; others (bfloat16) key as float32.
_NUMPY_DTYPES = {"torch.float64": np.float64, "torch.float16": np.float16}

# TorchTeacher(dtype=...) names -> torch attribute.
_AUTOCAST_DTYPES = {"bfloat16": "bfloat16", "float16": "float16", "half": "float16"}

# Guards the creation of each teacher's cache; the cache has its own lock.
_CREATE_LOCK = threading.Lock()


class TorchTeacher(BaseEstimator):
    """A trained PyTorch network used as a teacher: a classifier or a regressor.

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
        The trained model. A classifier maps a batch to class scores of shape
        ``(batch, n_classes)``, or ``(batch,)`` / ``(batch, 1)`` for a
        binary model; a regressor (``output="values"``) to predictions of
        shape ``(batch,)``, ``(batch, 1)`` or ``(batch, n_outputs)``. An
        output with a ``.logits`` attribute is understood.
    device : str or torch.device, default="auto"
        ``"auto"`` uses CUDA when available, else the CPU.
    batch_size : int, default=1024
        Rows per forward pass.
    output : {"logits", "proba", "log_proba", "values"}, default="logits"
        What the module returns: class scores, probabilities or
        log-probabilities of a classifier, or the predictions of a regressor
        (``"values"``, distilled by :class:`~skdistill.DistilledRegressor`;
        a bare module passed to that student is read so).
    classes : array-like of shape (n_classes,), default=None
        Label of each output column; ``0..K-1`` when None.
    preprocess : callable, default=None
        ``preprocess(batch) -> tensor | mapping of tensors`` turns a batch of
        raw inputs into model inputs; a mapping (a dict, or a tokenizer's
        ``BatchEncoding``) is passed as keyword arguments. Text held in a
        list, a 1-d NumPy array or a pandas Series reaches it as a list of
        strings, so ``preprocess=lambda batch: tokenizer(batch, padding=True,
        return_tensors="pt")`` works as written; other X arrives as a slice.
        When None, X is numeric (NumPy, pandas with nullable dtypes too,
        SciPy sparse densified per batch, or a tensor) and is cast to the
        dtype of the module's first floating parameter (a tensor only when
        it is floating, so integer token ids pass unchanged).
    cache : bool or int, default=True
        Remember the outputs of rows already run, keyed by row content, so a
        search over ``temperature`` runs each distinct row through the module
        once. True bounds the cache at 1 GiB
        (:data:`~skdistill.teachers.DEFAULT_CACHE_BYTES`); an int is the bound
        in bytes; False turns it off. A cached row costs its input bytes (in
        the module's dtype), its outputs and about 140 bytes; past the bound
        the least recently used rows are dropped. The cache is emptied when
        any parameter or buffer of the module changes value (a checksum of
        the weights is taken on every call), and it is not pickled.
    dtype : {"bfloat16", "float16"}, torch.dtype or None, default=None
        Run the forward pass under ``torch.autocast`` in this precision, on
        the CPU or the GPU alike: the float32 matrix products and
        convolutions run in 16-bit, the rest in the module's own precision
        (autocast leaves float64 modules as they are). Faster on hardware
        with 16-bit units (GPU tensor cores, recent CPUs); the logits differ
        from full precision by about 1% of their spread. None runs the module
        in its own precision.
    progress : bool, default=False
        Show the progress of each pass of :meth:`predict_logits` (and
        :meth:`predict_values`) over rows not in the cache: rows done, rows
        per second and time left, with a ``tqdm`` bar (on a terminal, or a
        widget in a notebook) when tqdm is installed (``pip install
        skdistill[progress]``), else as lines on stderr about once a second.
        Rows served from the cache are not run and not counted. Inside the
        fit of a student with ``verbose`` set, the rows are counted in the
        student's progress of its whole teacher pass instead, with or
        without this setting.

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
        "output": [StrOptions({"logits", "proba", "log_proba", "values"})],
        "classes": ["array-like", None],
        "preprocess": [callable, None],
        "cache": ["boolean", Interval(Integral, 0, None, closed="left")],
        "dtype": "no_validation",  # checked by _autocast_dtype, naming the fix
        "progress": ["boolean"],
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
        progress=False,
    ):
        self.module = module
        self.device = device
        self.batch_size = batch_size
        self.output = output
        self.classes = classes
        self.preprocess = preprocess
        self.cache = cache
        self.dtype = dtype
        self.progress = progress

    def __sklearn_clone__(self):
        return self

    @property
    def task(self):
        """``"regression"`` for ``output="values"``, else ``"classification"``."""
        return "regression" if self.output == "values" else "classification"

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
        raise TeacherValueError(
            f"TorchTeacher: cannot set {sorted(params)}; a TorchTeacher is frozen "
            "and shared by every clone of a student. Create a new "
            "TorchTeacher(module, ...) with the settings you want instead."
        )

    def clear_cache(self):
        """Forget the outputs of the rows run so far.

        The cache empties itself when the weights change; call this to free
        its memory, or after changing what ``preprocess`` computes without
        replacing it.

        Returns
        -------
        self : TorchTeacher
        """
        self._row_cache().clear()
        return self

    def __getstate__(self):
        state = dict(super().__getstate__())
        for private in ("_cache", "_placed", "_run_batch_size"):
            state.pop(private, None)
        if is_torch_module(self.module):
            state["module"] = save_module(self.module)
        return state

    def __setstate__(self, state):
        if isinstance(state.get("module"), bytes):
            state["module"] = load_module(state["module"])
        super().__setstate__(state)

    def _row_cache(self):
        cache = self.__dict__.get("_cache")
        if cache is None:
            with _CREATE_LOCK:
                cache = self.__dict__.setdefault("_cache", TeacherCache())
        return cache

    def _device_and_dtype(self):
        """Move the module once; return its device and input dtype."""
        device = resolve_device(self.device, owner="TorchTeacher")
        placed = getattr(self, "_placed", None)
        if placed is None or placed[0] is not self.module or placed[1] != device:
            self.module.to(device)
            self._placed = (self.module, device)
        dtype = next(
            (p.dtype for p in self.module.parameters() if p.is_floating_point()),
            torch().float32,
        )
        return device, dtype

    def _autocast_dtype(self):
        """The torch dtype of ``dtype`` (None: no autocast); clear error if bad."""
        if self.dtype is None:
            return None
        name = self.dtype if isinstance(self.dtype, str) else str(self.dtype)
        dtype = _AUTOCAST_DTYPES.get(name.removeprefix("torch."))
        if dtype is None:
            raise TeacherValueError(
                f"TorchTeacher: dtype={self.dtype!r} is not a precision autocast "
                "runs in; pass 'bfloat16' or 'float16' (or torch.bfloat16, "
                "torch.float16), or None for the module's own precision."
            )
        return getattr(torch(), dtype)

    def _state_fingerprint(self, device):
        """Changes when the settings, the device or any weight value change."""
        return (
            self.output,
            str(self.dtype),
            self.preprocess,  # held, so its id cannot be reused
            str(device),
            weights_checksum(self.module),
        )

    def predict_logits(self, X, *, remember=True):
        """Run the module on X and return its logits.

        Parameters
        ----------
        X : array-like, sparse matrix, tensor or sequence of shape (n_samples, ...)
            Model inputs; anything ``preprocess`` understands when it is set.
        remember : bool, default=True
            Use the row cache (when ``cache`` is on); False runs X through the
            model and keeps nothing, as for synthetic rows seen once.

        Returns
        -------
        logits : ndarray of shape (n_samples, n_classes), dtype float64
            Probability outputs are turned into logits (their log, clipped).
        """
        check_task(
            self,
            "classification",
            "predict_logits",
            "pass output='logits' (or 'proba', 'log_proba') for a classifier, or "
            "distil this regressor with DistilledRegressor",
        )
        return outputs_as_logits(
            self._outputs(X, remember),
            self.output,
            "TorchTeacher",
            proba_fix="TorchTeacher(module, output='proba') for a module that "
            "ends in a softmax (or output='log_proba' for a log-softmax)",
        )

    def predict_values(self, X, *, remember=True):
        """Run a regression module (``output="values"``) on X; return its predictions.

        Parameters
        ----------
        X : array-like, sparse matrix, tensor or sequence of shape (n_samples, ...)
            Model inputs, as for :meth:`predict_logits`.
        remember : bool, default=True
            Use the row cache (when ``cache`` is on).

        Returns
        -------
        values : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            float64, as the module returns them.
        """
        check_task(
            self,
            "regression",
            "predict_values",
            "pass output='values' for a network that predicts numbers",
        )
        return outputs_as_values(self._outputs(X, remember), "TorchTeacher")

    def _outputs(self, X, remember):
        """The module's raw outputs on X as NumPy, from the cache when it can."""
        self._validate_params()
        self._autocast_dtype()
        if not is_torch_module(self.module):
            raise TeacherTypeError(
                f"TorchTeacher: module={self.module!r} is not a torch.nn.Module; "
                "pass the trained network (or use the function itself as the "
                "teacher if it is a callable returning logits)."
            )
        if self.preprocess is not None:
            X = _text_as_list(X)
        elif hasattr(X, "iloc"):
            X = _frame_as_array(X)
        cache = self._row_cache()
        with cache.lock:
            device, dtype = self._device_and_dtype()
            keyed = None
            budget = cache_budget(self.cache)
            if budget and remember and not is_tensor(X):
                key_dtype = _NUMPY_DTYPES.get(str(dtype), np.float32)
                keyed = row_keys(X, None if self.preprocess is not None else key_dtype)

            job = current_pass()
            n_total = _n_rows(X) if job is not None else 0

            def run(rows):
                n_rows = _n_rows(rows)
                if job is not None:
                    # Rows served from the cache (or repeated) are done now:
                    # the rate and time left are those of the rows forwarded.
                    job.update(n_total - n_rows)
                return self._forward(rows, n_rows, device, dtype)

            if keyed is None:
                return run(X)
            return cached_outputs(
                cache,
                self._state_fingerprint(device),
                budget,
                X,
                keyed,
                run,
                owner="TorchTeacher",
            )

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

    @contextlib.contextmanager
    def _labeller(self, device):
        """``label(X) -> logits`` on tensors already on ``device``, or None.

        For a student that trains on ``device``: each batch of rows it draws
        there goes through the module and back into training without
        leaving it. None when the module runs elsewhere, or when its inputs
        need ``preprocess``; the caller then labels rows on the CPU. The
        module is in eval mode during each call, under the cache's lock. The
        outputs are not halved on CUDA out-of-memory (the caller's rows are
        one block of the student's batches). The logits are
        float32 tensors of shape (n, K), with no graph, read as
        :meth:`predict_logits` reads the module's outputs (whose checks ran
        on the real rows); the caller checks that they are finite.
        """
        t = torch()
        placed, dtype = self._device_and_dtype()
        if (
            self.preprocess is not None
            or self.task != "classification"
            or not same_device(placed, device)
        ):
            yield None
            return
        autocast = self._autocast_dtype()
        tiny = t.finfo(t.float32).tiny
        lock = self._row_cache().lock

        def label(X):
            precision = (
                t.autocast(device.type, dtype=autocast)
                if autocast is not None
                else contextlib.nullcontext()
            )
            outputs = []
            # As _outputs does: one caller at a time puts the module in eval
            # mode (a teacher is shared by clones, in threads too).
            with lock:
                modes = [(m, m.training) for m in self.module.modules()]
                self.module.eval()
                try:
                    with t.no_grad(), precision:
                        for batch in X.split(self.batch_size):
                            out = self.module(batch.to(dtype))
                            outputs.append(getattr(out, "logits", out).float())
                finally:
                    for module, training in modes:
                        module.training = training
            out = t.cat(outputs)
            if out.ndim == 2 and out.shape[1] == 1:
                out = out[:, 0]
            kind = self.output
            if out.ndim == 1:  # binary: one logit or probability per row
                if kind == "logits":
                    return t.stack([t.zeros_like(out), out], dim=1)
                p = out.exp() if kind == "log_proba" else out
                out, kind = t.stack([1 - p, p], dim=1), "proba"
            if kind == "proba":
                return out.clamp(min=tiny).log()
            if kind == "log_proba":
                return out.clamp(min=float(np.log(tiny)))
            return out

        yield label

    def _forward(self, X, n_rows, device, dtype):
        """Run all rows of X through the module, halving the batch on OOM."""
        t = torch()
        if sp.issparse(X):
            X = X.tocsr()
        batch_size = min(
            getattr(self, "_run_batch_size", self.batch_size), self.batch_size
        )
        outputs = []
        modes = [(m, m.training) for m in self.module.modules()]
        autocast = self._autocast_dtype()
        precision = (
            t.autocast(device.type, dtype=autocast)
            if autocast is not None
            else contextlib.nullcontext()
        )
        self.module.eval()
        shown = current_pass()
        report = (
            contextlib.nullcontext(shown)
            if shown is not None
            else progress(n_rows, "TorchTeacher", enabled=self.progress and n_rows > 0)
        )
        try:
            with t.inference_mode(), precision, report as job:
                start = 0
                while start < n_rows:
                    stop = min(start + batch_size, n_rows)
                    try:
                        out = self._run_batch(X, start, stop, device, dtype)
                    except t.cuda.OutOfMemoryError:
                        if batch_size == 1:
                            raise
                        batch_size = max(1, batch_size // 2)
                        self._run_batch_size = batch_size
                        t.cuda.empty_cache()
                        continue
                    if outputs and out.shape[1:] != outputs[0].shape[1:]:
                        raise TeacherValueError(
                            f"TorchTeacher: the module returned {out.shape[1:]} "
                            f"outputs per row for rows {start}-{stop - 1} but "
                            f"{outputs[0].shape[1:]} for earlier rows; a "
                            "teacher's output shape must not change between "
                            "calls."
                        )
                    outputs.append(out)
                    job.update(stop - start)
                    start = stop
        finally:
            for module, training in modes:
                module.training = training
        if not outputs:
            return np.empty((0, 0))
        return np.concatenate(outputs)

    def _run_batch(self, X, start, stop, device, dtype):
        t = torch()
        if self.preprocess is not None:
            batch = X.iloc[start:stop] if hasattr(X, "iloc") else X[start:stop]
            inputs = self.preprocess(batch)
        elif is_tensor(X):
            inputs = X[start:stop]
            if inputs.is_floating_point():
                inputs = inputs.to(dtype)
        else:
            batch = X[start:stop]
            batch = batch.toarray() if sp.issparse(batch) else np.asarray(batch)
            _check_range(batch, dtype)
            # A copy: a module with an in-place first op must not write into X.
            inputs = t.tensor(batch, dtype=dtype)
        if isinstance(inputs, Mapping):  # a dict, a tokenizer's BatchEncoding
            out = self.module(**{k: _to_device(v, device) for k, v in inputs.items()})
        else:
            out = self.module(_to_device(inputs, device))
        if hasattr(out, "logits"):
            out = out.logits
        if not is_tensor(out):
            raise TeacherTypeError(
                f"TorchTeacher: the module returned {type(out).__name__}; it must "
                "return a tensor of class scores or predictions (or an object with "
                "a .logits tensor)."
            )
        if out.is_floating_point() and out.dtype != t.float64:
            out = out.float()
        if out.ndim == 0:  # a forward ending in .squeeze(), on one row
            out = out.reshape(1)
        return out.cpu().numpy()


def _n_rows(X):
    return X.shape[0] if hasattr(X, "shape") else len(X)


def _text_as_list(X):
    """Text held in a 1-d array or a pandas Series, as a list of strings.

    Tokenizers take a list of strings, not an array or a Series.
    """
    if getattr(X, "ndim", None) == 1 and (
        isinstance(X, np.ndarray) or hasattr(X, "iloc")
    ):
        items = np.asarray(X, dtype=object).tolist()
        if all(isinstance(item, str) for item in items):
            return items
    return X


def _frame_as_array(X):
    """A pandas DataFrame as a NumPy array, as scikit-learn converts one.

    Columns of nullable dtypes (``Int64``, ``Float64``, ``boolean``, as
    ``convert_dtypes()`` makes them) become float64, missing values NaN;
    other frames become their ``to_numpy()``.
    """
    from sklearn.utils.validation import check_array

    try:
        return check_array(X, dtype="numeric", ensure_all_finite=False, ensure_2d=False)
    except (TypeError, ValueError):
        return X.to_numpy()


def _check_range(batch, dtype):
    """Refuse inputs that the cast to the module's dtype would make infinite."""
    limit = float_limit(dtype)
    if batch.dtype.kind == "f" and batch.size and np.isfinite(limit):
        largest = float(np.max(np.abs(batch)))
        if largest > limit:
            raise TeacherValueError(
                f"TorchTeacher: X holds values up to {largest:.3g} in magnitude, "
                f"beyond what the module's {str(dtype).removeprefix('torch.')} "
                f"inputs hold ({limit:.3g}); the cast would make them infinite. "
                "Scale X (StandardScaler, say), as the module was trained on."
            )


def _to_device(value, device):
    return value.to(device, non_blocking=True) if is_tensor(value) else value
