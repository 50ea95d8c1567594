"""The row cache: teacher outputs keyed by the content of each input row.

Keys are exact row contents (bytes or strings), never object identity, so a
row is served from the cache only when the model would see the very same
input. A cache is bounded in bytes and drops the least recently used rows
first; it is valid for one state of the teacher (its *fingerprint*) and is
emptied when that changes.
"""

import threading
import weakref

import numpy as np
import scipy.sparse as sp

from skdistill._errors import TeacherValueError

__all__ = [
    "DEFAULT_CACHE_BYTES",
    "TeacherCache",
    "cache_budget",
    "cached_outputs",
    "row_keys",
    "shared_cache",
    "take_rows",
]

#: Bytes a teacher's row cache may hold with ``cache=True``: 1 GiB.
DEFAULT_CACHE_BYTES = 1 << 30

# What one cached row costs besides its key and output bytes: the key
# object, its dict entry and its slot (measured with tracemalloc: 140 bytes).
_ROW_OVERHEAD = 140

# When the cache is full, rows are dropped until this share of the budget is
# free besides what the new rows need, so eviction runs rarely.
_EVICT_SLACK = 0.1


def cache_budget(cache):
    """Bytes a ``cache=`` setting allows: True -> the default, False -> 0."""
    if cache is True:
        return DEFAULT_CACHE_BYTES
    if cache is False or cache is None:
        return 0
    return int(cache)


class _RowStore:
    """Outputs of rows of one input layout, least recently used dropped first."""

    def __init__(self):
        self._index = {}  # key -> slot
        self._keys = []  # slot -> key, None when free
        self._values = None  # (capacity, ...) outputs
        self._sizes = np.zeros(0)  # slot -> bytes it costs
        self._used = np.zeros(0, dtype=np.int64)  # slot -> tick of last use
        self._free = []
        self._tick = 0
        self.nbytes = 0

    def __len__(self):
        return len(self._index)

    def lookup(self, keys):
        """Slot of each key, -1 where absent; found rows count as used now."""
        index = self._index
        slots = np.fromiter(
            (index.get(k, -1) for k in keys), dtype=np.intp, count=len(keys)
        )
        self._tick += 1
        found = slots[slots >= 0]
        if found.size:
            self._used[found] = self._tick
        return slots

    def take(self, slots):
        return self._values[slots]

    @property
    def row_shape(self):
        """Shape of one stored output, None while empty."""
        return None if self._values is None else self._values.shape[1:]

    def add(self, keys, values, budget):
        """Store ``values[i]`` under ``keys[i]``, within ``budget`` bytes."""
        row_bytes = values[0].nbytes + _ROW_OVERHEAD if len(values) else 0
        sizes = np.array([len(k) + row_bytes for k in keys], dtype=np.float64)
        # Rows beyond the budget on their own are not kept: the last ones win.
        fits = np.cumsum(sizes[::-1])[::-1] <= budget
        keys = [k for k, keep in zip(keys, fits) if keep]
        values, sizes = values[fits], sizes[fits]
        if not keys:
            return
        need = sizes.sum()
        if self.nbytes + need > budget:
            self._evict(self.nbytes + need - budget + _EVICT_SLACK * budget)
        slots = self._slots(len(keys), values)
        self._values[slots] = values
        self._sizes[slots] = sizes
        self._used[slots] = self._tick
        for key, slot in zip(keys, slots.tolist()):
            self._keys[slot] = key
            self._index[key] = slot
        self.nbytes += need

    def _evict(self, amount):
        """Drop the least recently used rows until ``amount`` bytes are free."""
        occupied = np.fromiter(self._index.values(), dtype=np.intp)
        order = occupied[np.argsort(self._used[occupied], kind="stable")]
        freed = np.cumsum(self._sizes[order])
        drop = order[: np.searchsorted(freed, amount) + 1]
        for slot in drop.tolist():
            del self._index[self._keys[slot]]
            self._keys[slot] = None
        self._free.extend(drop.tolist())
        self.nbytes -= float(self._sizes[drop].sum())

    def _slots(self, count, values):
        """``count`` free slots, growing the arrays when needed."""
        reused = self._free[:count]
        del self._free[:count]
        missing = count - len(reused)
        if missing:
            start = len(self._keys)
            capacity = 0 if self._values is None else len(self._values)
            if start + missing > capacity:
                self._grow(max(start + missing, 2 * capacity, 1024), values)
            self._keys.extend([None] * missing)
            reused.extend(range(start, start + missing))
        return np.asarray(reused, dtype=np.intp)

    def _grow(self, capacity, values):
        grown = np.empty((capacity,) + values.shape[1:], values.dtype)
        sizes = np.zeros(capacity)
        used = np.zeros(capacity, dtype=np.int64)
        if self._values is not None:
            n = len(self._values)
            grown[:n], sizes[:n], used[:n] = self._values, self._sizes, self._used
        self._values, self._sizes, self._used = grown, sizes, used


class TeacherCache:
    """The row stores of one teacher, valid for one state of its weights."""

    def __init__(self):
        self.lock = threading.RLock()
        self.fingerprint = None
        self.stores = {}

    def store(self, fingerprint, namespace):
        if fingerprint != self.fingerprint:
            self.fingerprint = fingerprint
            self.stores = {}
        return self.stores.setdefault(namespace, _RowStore())

    def clear(self):
        with self.lock:
            self.stores = {}

    @property
    def nbytes(self):
        """Bytes the cached rows take (keys, outputs and bookkeeping)."""
        return int(sum(store.nbytes for store in self.stores.values()))


# One cache per object a teacher wraps (a bare module, a fitted estimator, a
# function), living as long as that object, so every clone of a student in a
# search shares it. The cache holds no reference to the object.
_SHARED = weakref.WeakKeyDictionary()
_SHARED_LOCK = threading.Lock()


def shared_cache(obj):
    """The cache of ``obj``, made on first use; a private one if it has none.

    Objects that take no weak reference get a new cache each time.
    """
    with _SHARED_LOCK:
        try:
            return _SHARED.setdefault(obj, TeacherCache())
        except TypeError:
            return TeacherCache()


def _frame_values(X, exact):
    """A pandas DataFrame of numbers as one array to key its rows by, else None.

    With ``exact``, a frame of NumPy dtypes becomes a record array, each
    column in its own dtype, so int64 values beyond 2**53 (timestamps, ids)
    keep distinct keys; otherwise, and for nullable dtypes, float64 with NaN
    for missing values.
    """
    import pandas as pd

    if not all(
        pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype)
        for dtype in X.dtypes
    ):
        return None
    if exact and all(isinstance(dtype, np.dtype) for dtype in X.dtypes):
        return X.to_records(index=False)
    return X.to_numpy(dtype=np.float64, na_value=np.nan)


def row_keys(X, dtype):
    """``(namespace, keys)`` with one hashable key per row of X, or None.

    Numeric rows are keyed by their bytes in ``dtype`` (what the model sees;
    None keeps X's own dtype); sparse rows by their canonical CSR indices
    and values; strings by themselves; a DataFrame of numbers by its values
    and column names. The namespace separates keys of different layouts.
    Inputs that are none of these (ragged lists, objects, empty X) are not
    cached.
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
        return ("csr", X.shape[1], np.dtype(X.dtype).str), keys
    if isinstance(X, (list, tuple)) and all(isinstance(r, (str, bytes)) for r in X):
        return ("str",), list(X)
    namespace = ()
    if hasattr(X, "iloc") and getattr(X, "ndim", None) == 2:
        namespace = (tuple(map(str, X.columns)),)
        X = _frame_values(X, exact=dtype is None)
        if X is None:
            return None
        if X.dtype.names is not None:
            records = X.view(np.dtype((np.void, X.dtype.itemsize)))
            return ("records", str(X.dtype.descr), *namespace), records.tolist()
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
    with np.errstate(over="ignore"):  # the teacher names values out of range
        arr = np.ascontiguousarray(arr, dtype=dtype if dtype is not None else arr.dtype)
    rows = arr.reshape(arr.shape[0], -1)
    void = rows.view(np.dtype((np.void, rows.shape[1] * rows.itemsize)))
    layout = ("dense", arr.shape[1:], arr.dtype.str, *namespace)
    return layout, void.ravel().tolist()


def take_rows(X, rows):
    """Rows ``rows`` of X, in the type of X."""
    if hasattr(X, "iloc"):
        return X.iloc[rows]
    if isinstance(X, (list, tuple)):
        return [X[i] for i in rows]
    if sp.issparse(X):
        return X.tocsr()[rows]
    if not hasattr(X, "__getitem__"):  # array-likes without indexing
        X = np.asarray(X)
    return X[rows]


def cached_outputs(cache, fingerprint, budget, X, keyed, run, *, owner):
    """The outputs of every row of X, running only rows not in the cache.

    Parameters
    ----------
    cache : TeacherCache
    fingerprint : hashable
        The teacher's state; a new one empties the cache.
    budget : int
        Bytes the rows of this layout may take.
    X : rows
        The input, indexable by :func:`take_rows`.
    keyed : (namespace, keys)
        From :func:`row_keys`.
    run : callable
        ``run(rows_of_X) -> ndarray`` of outputs, one row per input row.
    owner : str
        Name used in error messages (the teacher's class).

    Returns
    -------
    outputs : ndarray of shape (n_samples, ...)
        A new array: later calls never change it.
    """
    namespace, keys = keyed
    with cache.lock:
        store = cache.store(fingerprint, namespace)
        slots = store.lookup(keys)
        missing = np.flatnonzero(slots < 0)
        if not missing.size:
            return store.take(slots)
        new = {}  # distinct missing key -> its row among the new outputs
        first_rows = []
        which = np.empty(missing.size, dtype=np.intp)
        for j, i in enumerate(missing.tolist()):
            key = keys[i]
            position = new.get(key)
            if position is None:
                position = new[key] = len(first_rows)
                first_rows.append(i)
            which[j] = position
        computed = run(take_rows(X, first_rows))
        if len(computed) != len(first_rows):
            raise TeacherValueError(
                f"{owner}: the teacher returned {len(computed)} rows for "
                f"{len(first_rows)} rows of input; a teacher must return one row "
                "of outputs per row of X."
            )
        if store.row_shape not in (None, computed.shape[1:]):
            raise TeacherValueError(
                f"{owner}: the teacher returned {computed.shape[1:]} outputs per "
                f"row but {store.row_shape} for earlier rows; a teacher's output "
                "shape must not change between calls."
            )
        found = slots >= 0
        outputs = np.empty((len(keys),) + computed.shape[1:], computed.dtype)
        if found.any():
            outputs[found] = store.take(slots[found])
        outputs[missing] = computed[which]
        store.add(list(new), computed, budget)
        return outputs
