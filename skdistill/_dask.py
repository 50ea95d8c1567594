"""Transfer sets as Dask collections: partitions, the teacher on the workers.

Dask is optional: this module is imported only once a Dask collection has
been seen (:func:`skdistill._base.is_dask_collection`), so Dask is already
imported then. The rows of
a Dask array (one chunk across the columns) or a Dask DataFrame are handled
partition by partition, each partition as one task on whatever scheduler is
active (a ``distributed.Client``, or the threaded scheduler). What a task
needs besides its partition (the teacher, a fitted student) enters the graph
once, as one key, so each worker receives it once, not once per task.

- :class:`DaskRows` holds the partitions of X, y and ``sample_weight``;
- :func:`teacher_pass` makes each partition's transfer rows (with its
  synthetic rows, seeded per partition) and runs the teacher on them, on the
  worker, returning their targets to keep on the cluster;
- :func:`map_rows` maps a fitted student's prediction method over the
  partitions (as dask-ml's ``ParallelPostFit`` does), returning a Dask array;
- :func:`dask_fidelity` computes :func:`~skdistill.fidelity_score` from sums
  over the partitions.
"""

import copy

import numpy as np
import scipy.sparse as sp

from skdistill._base import checked_sample_weight, is_dask_collection, teacher_outputs

__all__ = [
    "DaskRows",
    "block_values",
    "dask_fidelity",
    "dask_teacher",
    "map_rows",
    "partition_seeds",
    "seeded",
    "refuse_dask",
    "teacher_pass",
]


def refuse_dask(estimator, X, y, sample_weight, given):
    """Raise when a Dask collection reaches a student that cannot fit on one."""
    owner = type(estimator).__name__
    if not is_dask_collection(X):
        _refuse_in_memory_X(estimator, y, sample_weight, given)
    if estimator._stage.task == "classification":
        instead = (
            "or distil into DistilledLogisticRegression, which fits on Dask "
            "collections partition by partition"
        )
    else:
        instead = "(no regression student fits on Dask collections yet)"
    raise TypeError(
        f"{owner}: X is a Dask collection, and {owner} fits in memory: its fit "
        "needs all the rows at once (a tree's split, a wrapped estimator's or "
        "a network's steps). Fit it on a sample that fits in memory, which "
        "the teacher then labels: `X.sample(frac=0.01).compute()` for a Dask "
        "DataFrame, `X[::100].compute()` for a Dask array (and y, "
        f"sample_weight alike), {instead}. Every fitted student predicts on "
        "Dask collections."
    )


def _refuse_in_memory_X(estimator, y, sample_weight, given):
    """Raise: y, sample_weight or the given outputs are Dask, X is not."""
    others = " and ".join(
        name
        for name, value in (
            ("y", y),
            ("sample_weight", sample_weight),
            (estimator._stage.given, given),
        )
        if is_dask_collection(value)
    )
    raise TypeError(
        f"{type(estimator).__name__}: {others} is a Dask collection but X is "
        f"not; pass {others} in memory (.compute()), or X as a Dask collection "
        "too (dask.array.from_array(X, chunks=...))."
    )


def dask_teacher(estimator, X, y, sample_weight, given):
    """The teacher and augmenter of a fit on Dask collections.

    The teacher must be trained already: it runs on the partitions, and is
    not trained on them; precomputed outputs are not taken.
    """
    from skdistill.teachers import as_teacher, estimator_task, is_shared_teacher

    owner = type(estimator).__name__
    if not is_dask_collection(X):
        _refuse_in_memory_X(estimator, y, sample_weight, given)
    if given is not None:
        raise ValueError(
            f"{owner}: {estimator._stage.given} cannot be passed with Dask "
            "collections; pass the teacher instead, which then runs on each "
            "partition, on the workers."
        )
    augmenter = estimator._augmenter(X, y, given)
    if augmenter is not None and "random_state" not in augmenter.get_params():
        raise ValueError(
            f"{owner}: augment={augmenter!r} has no random_state; on Dask "
            "collections each step makes a partition's synthetic rows again "
            "from its seed, so the augmenter must take one (GaussianNoise, "
            "Munge, Mixup, or an augmenter with a random_state parameter)."
        )
    teacher = estimator.teacher
    if estimator_task(teacher) is not None and not is_shared_teacher(teacher):
        raise ValueError(
            f"{owner}: the teacher {teacher!r} is not fitted, and a teacher is "
            "not trained on Dask collections; fit it first (on a sample that "
            "fits in memory, or with a Dask-aware library such as dask-ml) and "
            "pass the fitted teacher."
        )
    return as_teacher(teacher, owner=owner, task=estimator._stage.task), augmenter


def _without_teacher(estimator):
    """A shallow copy of a fitted student without its teacher, to ship."""
    light = copy.copy(estimator)
    light.__dict__["teacher"] = None
    light.__dict__.pop("teacher_", None)
    return light


def _known_chunks(array):
    """A Dask array with its partitions' lengths known, the caller's untouched."""
    if not any(np.isnan(n) for n in array.chunks[0]):
        return array
    array = array.copy()  # compute_chunk_sizes sets them on the object
    array.compute_chunk_sizes()
    return array


def _delayed_parts(collection):
    """The partitions of a Dask array (rows) or DataFrame/Series, as Delayed."""
    if hasattr(collection, "divisions"):  # DataFrame or Series
        return list(collection.to_delayed())
    if collection.ndim == 2:
        collection = collection.rechunk({1: -1})
    return list(collection.to_delayed().ravel())


def _lengths(collection):
    """Rows of each partition; computed for a DataFrame (a cheap pass)."""
    import dask

    if hasattr(collection, "divisions"):
        return tuple(
            int(n)
            for n in dask.compute(
                *[dask.delayed(len)(p) for p in _delayed_parts(collection)]
            )
        )
    return tuple(int(n) for n in _known_chunks(collection).chunks[0])


class DaskRows:
    """X, y and ``sample_weight`` as matching partitions.

    Parameters
    ----------
    X : dask.array.Array or dask.dataframe.DataFrame
        2-d; a Dask array is rechunked to one chunk across the columns.
    y, sample_weight : Dask collection, array-like or None
        One entry per row of X. A Dask collection with other partitions is
        rechunked to those of X; an in-memory one is sliced to them.
    owner : str
        Name for messages.

    Attributes
    ----------
    X, y, weights : lists of Delayed (y and weights: of None when not given)
    lengths : tuple of int
        Rows of each partition.
    n_samples : int
        Rows in all.
    owner : str
    n_features : int
    feature_names : ndarray of str or None
        The columns of a DataFrame whose column names are all strings.
    """

    def __init__(self, X, y, sample_weight, owner):
        import dask.array as da

        self.owner = owner
        if not is_dask_collection(X):
            _refuse_in_memory_X(owner, y, sample_weight)
        if getattr(X, "ndim", 2) != 2:
            raise ValueError(
                f"{owner}: X is a {X.ndim}-d Dask array; pass a 2-d collection of "
                "shape (n_samples, n_features)."
            )
        if not hasattr(X, "divisions"):
            X = _known_chunks(X)
        self.lengths = _lengths(X)
        self.n_samples = sum(self.lengths)
        if hasattr(X, "columns"):
            columns = list(X.columns)
            self.n_features = len(columns)
            self.feature_names = (
                np.asarray(columns, dtype=object)
                if columns and all(isinstance(c, str) for c in columns)
                else None
            )
        else:
            self.n_features = int(X.shape[1])
            self.feature_names = None
        self.X = _delayed_parts(X)
        self.y = self._aligned(y, "y", da)
        self.weights = self._aligned(sample_weight, "sample_weight", da)

    def _aligned(self, values, name, da):
        """``values`` in the partitions of X, as Delayed (Nones when None)."""
        if values is None:
            return [None] * len(self.X)
        if is_dask_collection(values):
            if hasattr(values, "divisions"):
                values = values.to_dask_array(lengths=True)
            values = _known_chunks(values)
            n = values.shape[0]
            if n != self.n_samples:
                raise ValueError(
                    f"{self.owner}: {name} has {n} entries but X has "
                    f"{self.n_samples} rows; pass one per row of X."
                )
            chunks = (self.lengths, *values.chunks[1:])
            if values.ndim > 1:
                chunks = (self.lengths, *(-1,) * (values.ndim - 1))
            return list(values.rechunk(chunks).to_delayed().ravel())
        if np.ndim(values) == 0:  # one weight for every row
            return [np.full(n, float(values)) for n in self.lengths]
        values = np.asarray(values)
        if len(values) != self.n_samples:
            raise ValueError(
                f"{self.owner}: {name} has {len(values)} entries but X has "
                f"{self.n_samples} rows; pass one per row of X."
            )
        bounds = np.cumsum((0, *self.lengths))
        return [values[a:b] for a, b in zip(bounds[:-1], bounds[1:])]


def block_values(X, n_features, owner):
    """A partition of X as a float array (or CSR matrix), checked as fit checks X."""
    from sklearn.utils import check_array

    try:
        values = check_array(
            X,
            accept_sparse="csr",
            dtype=[np.float64, np.float32],
            ensure_min_samples=0,
        )
    except (TypeError, ValueError) as exc:
        raise type(exc)(
            f"{owner}: a partition of X cannot be read as a finite numeric "
            f"matrix ({exc}); clean X (fill or drop missing values, encode "
            "categories) before the fit."
        ) from exc
    if values.shape[1] != n_features:
        raise ValueError(
            f"{owner}: a partition of X has {values.shape[1]} columns but X has "
            f"{n_features}; every partition needs the same columns."
        )
    return values


def teacher_pass(
    part, y, weights, seed, *, teacher, stage, params, augmenter, n_features, owner
):
    """One partition's transfer rows and their targets, made on the worker.

    The real rows, then (with ``augmenter``) its synthetic rows made from
    this partition alone with the seed ``seed``, all labelled by the teacher
    (``remember=False``: nothing is cached on the workers). The synthetic
    rows are returned as well. ``params`` holds the student's ``alpha`` and
    ``temperature`` (the student itself is not shipped: its teacher would
    travel twice).

    Returns
    -------
    block : dict
        ``X`` (float64, the transfer rows), ``targets`` (the stage's target
        object for them), ``weights`` (ones when none were given).
    """
    values = block_values(part, n_features, owner)
    n = values.shape[0]
    if y is not None:
        y = stage.validate_y(np.asarray(y), owner)
    weights = _block_weights(weights, values, owner)
    outputs = teacher_outputs(stage, teacher, part, n, owner, remember=False)
    labels = stage.labels(outputs, y, teacher, owner, "the teacher's output")
    X_all, outputs_all, weights_all = values, outputs, weights
    if augmenter is not None and n:
        if sp.issparse(values):
            raise TypeError(
                f"{owner}: augment={augmenter!r} makes dense synthetic rows, but "
                "the partitions of X are sparse; fit without augment, or densify "
                "X (X.map_blocks(lambda b: b.toarray()))."
            )

        X_new, source = seeded(augmenter, seed).sample(values)
        new = teacher_outputs(
            stage,
            teacher,
            X_new,
            len(source),
            owner,
            remember=False,
            source="the teacher's output on the synthetic rows",
        )
        X_all = np.concatenate([values, X_new])
        outputs_all = np.concatenate([outputs, new])
        weights_all = np.concatenate([weights, weights[source]])
    return {
        "X": X_all,
        "targets": stage.targets(outputs_all, labels, params),
        "weights": weights_all,
    }


def seeded(augmenter, seed):
    """A copy of ``augmenter`` seeded with a partition's seed."""
    from sklearn.base import clone

    return clone(augmenter).set_params(random_state=seed)


def _block_weights(weights, values, owner):
    """A partition's ``sample_weight``, checked as fit checks it (ones if None)."""
    if weights is None:
        return np.ones(values.shape[0])
    return checked_sample_weight(weights, values, owner)


def partition_seeds(random_state, n_partitions):
    """One seed per partition, drawn from ``random_state`` (reproducible)."""
    from sklearn.utils import check_random_state

    rng = check_random_state(random_state)
    return rng.randint(np.iinfo(np.int32).max, size=n_partitions).tolist()


def _apply(estimator, method, part):
    """``estimator.method(part)`` as an array: one partition's task."""
    return np.asarray(getattr(estimator, method)(part))


def _head(part):
    """The first row of a partition (its output's shape is the method's)."""
    return part[:1]


def map_rows(estimator, method, X):
    """``estimator.method`` on each partition of X, as a Dask array.

    The fitted estimator, without its teacher, enters the graph once. The
    output's shape per row is that of the method on the first row of X,
    computed here. The partitions' lengths are computed first when unknown
    (for a DataFrame, and on a copy of an array): a pass over X's source,
    cheap when X is persisted.
    """
    import dask
    import dask.array as da

    if not hasattr(X, "divisions"):
        X = _known_chunks(X)
    lengths = _lengths(X)
    parts = _delayed_parts(X)
    if not any(lengths):
        raise ValueError(
            f"{type(estimator).__name__}: X has 0 rows; {method} needs at least one."
        )
    first = next(i for i, n in enumerate(lengths) if n)
    head = dask.delayed(_head)(parts[first]).compute()
    sample = _apply(estimator, method, head)
    shared = dask.delayed(_without_teacher(estimator), pure=True)
    outputs = [
        da.from_delayed(
            dask.delayed(_apply, pure=True)(shared, method, part),
            shape=(n, *sample.shape[1:]),
            dtype=sample.dtype,
        )
        for n, part in zip(lengths, parts)
    ]
    return da.concatenate(outputs)


def _fidelity_sums(student, teacher, stage, part, weights, n_features):
    """Sums over one partition from which the fidelity score is made."""
    owner = "fidelity_score"
    values = block_values(part, n_features, owner)
    n = values.shape[0]
    w = _block_weights(weights, values, owner)
    outputs = teacher_outputs(stage, teacher, part, n, owner, remember=False)
    predicted = np.asarray(student.predict(part))
    if stage.task == "classification":
        if outputs.shape[1] != len(student.classes_):
            stage.fidelity(student, part, outputs, w)  # raises, naming the fix
        agree = student.classes_[np.argmax(outputs, axis=1)] == predicted
        return np.array([w.sum(), w @ agree])
    f = outputs.reshape(n, -1)
    s = predicted.astype(np.float64).reshape(n, -1)
    weight = w.sum()
    mean = w @ f / weight if weight else np.zeros(f.shape[1])
    # Per output: weight, mean, sum w (f - mean)^2, sum w (f - s)^2; centred
    # per partition and merged on the client (Chan et al.), so a large mean
    # does not cancel the spread away.
    return np.stack(
        [np.full(f.shape[1], weight), mean, w @ (f - mean) ** 2, w @ (f - s) ** 2]
    )


def dask_fidelity(student, teacher, X, sample_weight):
    """Fidelity of a fitted student to its teacher on a Dask collection.

    Top-1 agreement for a classifier, R² against the teacher's predictions
    (the mean over outputs, 1 where the teacher is constant and the student
    equals it, else 0 there, as ``r2_score`` makes it) for a regressor: what
    ``fidelity_score`` computes in memory, from sums over the partitions.
    """
    import dask

    rows = DaskRows(X, None, sample_weight, "fidelity_score")
    shared = dask.delayed(_without_teacher(student), pure=True)
    shared_teacher = dask.delayed(teacher, pure=True)
    sums = dask.compute(
        *[
            dask.delayed(_fidelity_sums, pure=True)(
                shared, shared_teacher, student._stage, part, w, rows.n_features
            )
            for part, w in zip(rows.X, rows.weights)
        ]
    )
    if student._stage.task == "classification":
        total = np.sum(sums, axis=0)
        return float(total[1] / total[0])
    weights = np.array([part[0] for part in sums])
    total = weights.sum(axis=0)
    mean = (weights * np.array([part[1] for part in sums])).sum(axis=0) / total
    spread = sum(
        part[2] + part[0] * (part[1] - mean) ** 2 for part in sums if part[0].any()
    )
    residual = sum(part[3] for part in sums)
    scores = np.where(
        spread > 0,
        1.0 - residual / np.where(spread > 0, spread, 1.0),
        np.where(residual == 0, 1.0, 0.0),
    )
    return float(np.mean(scores))
