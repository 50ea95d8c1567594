"""DistilledLogisticRegression on a Dask collection: L-BFGS over the partitions.

The client holds the coefficients and nothing of the size of the data. One
pass on the workers runs the teacher on each partition's transfer rows (its
real rows and the synthetic ones made from it) and keeps the targets there
(softened teacher distributions, labels, weights), together with the sums
the starting point and the uniform-target check need. Each L-BFGS step
then sends the coefficients to every partition, where the loss and its
gradient are computed by :mod:`skdistill._linear_loss` (the in-memory
student's own functions) and summed on the client. X itself is never kept:
each step reads its partitions again from X's graph (from the workers'
memory when X was persisted, from its files otherwise), and regenerates the
synthetic rows from the partition's seed.
"""

from types import SimpleNamespace

import numpy as np

from skdistill._classification import warn_if_uninformative
from skdistill._dask import (
    DaskRows,
    block_values,
    partition_seeds,
    seeded,
    teacher_pass,
)
from skdistill._linear_loss import (
    binary_loss_grad,
    multinomial_loss_grad,
    solve_start,
    start_solvable,
    start_targets,
)

__all__ = ["fit_dask"]


def _transfer_X(part, seed, augmenter, n_features, owner):
    """A partition's transfer rows again: its rows, then its synthetic rows."""
    values = block_values(part, n_features, owner)
    if augmenter is None or not values.shape[0]:
        return values
    return np.concatenate([values, seeded(augmenter, seed).sample(values)[0]])


def _prepare(part, y, weights, seed, *, settings):
    """The teacher pass of one partition: what stays on the worker, and sums."""
    s = settings
    if not part.shape[0]:  # an empty partition (after a filter, say)
        empty = {"soft": None, "y_index": np.empty(0, np.int32), "weights": np.empty(0)}
        return empty, {"weight": 0.0, "real_weight": 0.0, "n_rows": 0}
    block = teacher_pass(
        part,
        y,
        weights,
        seed,
        teacher=s["teacher"],
        stage=s["stage"],
        params=s["params"],
        augmenter=s["augmenter"],
        n_features=s["n_features"],
        owner=s["owner"],
    )
    X, targets, w = block["X"], block["targets"], block["weights"]
    a, y_index = targets.row_alpha(), targets.y_index
    binary = targets.n_classes == 2
    P = None
    if not targets.hard_only:
        P = targets.soft()
        if binary:
            P = np.ascontiguousarray(P[:, 1])
    # What the L-BFGS steps read, kept compact: 8 bytes per class (one for
    # two classes), 4 for the label, 8 for the weight, per transfer row.
    kept = {"soft": P, "y_index": y_index.astype(np.int32), "weights": w}
    sums = {
        "weight": w.sum(),
        "real_weight": w[: targets.n_real].sum(),
        "n_rows": len(w),
        "n_classes": targets.n_classes,
        "classes": targets.classes,
        "hard_only": targets.hard_only,
        "spread": (targets._spread(targets.temperature), targets._spread(1.0)),
    }
    t = start_targets(targets.logits, y_index, a)
    sums["t"] = w @ t
    if start_solvable(X, t.shape[1]):  # as in memory: the ridge start's moments
        Xw = X * w[:, None]
        sums.update(x=w @ X, xx=X.T @ Xw, xt=Xw.T @ t)
    return kept, sums


def _loss_grad(coef, part, seed, kept, *, settings, weight_sum):
    """Loss and gradient of one partition, without the penalty."""
    s = settings
    if not len(kept["weights"]):
        return 0.0, np.zeros_like(coef)
    X = _transfer_X(part, seed, s["augmenter"], s["n_features"], s["owner"])
    if X.shape[0] != len(kept["weights"]):
        raise ValueError(
            f"{s['owner']}: a partition of X gave {X.shape[0]} transfer rows in "
            f"an L-BFGS step but {len(kept['weights'])} in the teacher's pass; X "
            "is read again at each step, so its graph must give the same rows "
            "every time (persist X, or seed any sampling in it)."
        )
    y_index = kept["y_index"].astype(np.intp)
    a = np.where(y_index >= 0, s["params"].alpha, 0.0)
    if s["binary"]:
        loss_grad, hard = binary_loss_grad, (y_index == 1).astype(np.float64)
    else:
        loss_grad, hard = multinomial_loss_grad, y_index
    return loss_grad(
        coef,
        X,
        kept["soft"],
        hard,
        a,
        s["temperature"],
        kept["weights"] / weight_sum,
        0.0,
        s["fit_intercept"],
    )


def fit_dask(student, X, y, sample_weight, teacher, augmenter):
    """Fit ``student`` (a DistilledLogisticRegression) on Dask collections.

    Parameters
    ----------
    student : DistilledLogisticRegression
    X : dask.array.Array or dask.dataframe.DataFrame
    y, sample_weight : Dask collection, array-like or None
    teacher : teacher object
        Resolved and fitted.
    augmenter : augmenter or None

    Returns
    -------
    dict
        The attributes the fit sets besides the coefficients: ``classes_``,
        ``n_features_in_`` and, for string column names,
        ``feature_names_in_``.
    """
    import dask

    owner = type(student).__name__
    rows = DaskRows(X, y, sample_weight, owner)
    if rows.n_samples == 0:
        raise ValueError(
            f"{owner}: X has 0 rows; a fit needs at least one row (the Dask "
            "collection is empty)."
        )
    # The augmenter's seed (the student's for a named augmentation, its own
    # for an augmenter object, as in memory): one per partition, for its
    # pass and every step.
    seed = None if augmenter is None else augmenter.random_state
    seeds = partition_seeds(seed, len(rows.X))
    settings = {
        "teacher": teacher,
        "stage": student._stage,
        "params": SimpleNamespace(alpha=student.alpha, temperature=student.temperature),
        "augmenter": augmenter,
        "n_features": rows.n_features,
        "owner": owner,
        "temperature": float(student.temperature),
        "fit_intercept": student.fit_intercept,
    }
    # The settings (the teacher among them) enter the graph as one key each
    # time they are used: each worker receives them once per pass.
    shared = dask.delayed(settings, pure=True)
    prepared = dask.persist(
        *[
            dask.delayed(_prepare, pure=True, nout=2)(
                part, y_b, w_b, seed, settings=shared
            )
            for part, y_b, w_b, seed in zip(rows.X, rows.y, rows.weights, seeds)
        ]
    )
    sums = dask.compute(*[dask.delayed(_second)(p) for p in prepared])
    kept = [dask.delayed(_first)(p) for p in prepared]

    weight_sum = float(sum(part["weight"] for part in sums))
    if weight_sum <= 0:
        raise ValueError(
            f"{owner}: sample_weight sums to {weight_sum}; pass non-negative "
            "weights, not all zero."
        )
    first = next(part for part in sums if part["n_rows"])
    classes, n_classes = first["classes"], first["n_classes"]
    T = float(student.temperature)
    spreads = {T: _combined_spread(sums, 0), 1.0: _combined_spread(sums, 1)}
    warn_if_uninformative(
        spreads.__getitem__,
        all(part["hard_only"] for part in sums if part["n_rows"]),
        T,
        owner,
        stacklevel=7,
    )
    binary = n_classes == 2
    n_out = 1 if binary else n_classes
    d = rows.n_features
    shape = (n_out, d + student.fit_intercept)
    l2, l1 = student._penalties(float(sum(part["real_weight"] for part in sums)))

    coef0 = student._warm_start_coef(shape)
    if coef0 is None:
        coef0 = _start(sums, weight_sum, n_out, d, l2, student.fit_intercept)
    settings = {**settings, "binary": binary}
    settings.pop("teacher")
    (shared,) = dask.persist(dask.delayed(settings, pure=True))

    def loss_grad(coef):
        parts = dask.compute(
            *[
                dask.delayed(_loss_grad, pure=True)(
                    coef, part, seed, k, settings=shared, weight_sum=weight_sum
                )
                for part, seed, k in zip(rows.X, seeds, kept)
            ]
        )
        loss = float(sum(p[0] for p in parts))
        grad = np.sum([p[1] for p in parts], axis=0)
        W = coef.reshape(shape)[:, :d]
        penalty_grad = np.zeros(shape)
        penalty_grad[:, :d] = l2 * W
        return loss + 0.5 * l2 * float(np.vdot(W, W)), grad + penalty_grad.ravel()

    student._minimize(loss_grad, coef0, (), l1=l1)
    fitted = {"classes_": classes, "n_features_in_": d}
    if rows.feature_names is not None:
        fitted["feature_names_in_"] = rows.feature_names
    return fitted


def _first(pair):
    return pair[0]


def _second(pair):
    return pair[1]


def _combined_spread(sums, which):
    """Largest distance from uniform and smallest top probability, all parts."""
    spreads = [part["spread"][which] for part in sums if part["n_rows"]]
    return max(s[0] for s in spreads), min(s[1] for s in spreads)


def _start(sums, weight_sum, n_out, d, l2, fit_intercept):
    """The in-memory student's ridge start, from the partitions' sums."""
    parts = [part for part in sums if part["n_rows"]]
    t_mean = sum(part["t"] for part in parts) / weight_sum
    x_mean = np.zeros(d)
    A = B = None
    if all("xx" in part for part in parts):  # dense partitions, d small enough
        A = sum(part["xx"] for part in parts) / weight_sum
        B = sum(part["xt"] for part in parts) / weight_sum
        if fit_intercept:
            # Centred moments from raw ones: sum_i s_i (x_i - m)(x_i - m)^T
            # is sum_i s_i x_i x_i^T - m m^T when the s_i sum to 1.
            x_mean = sum(part["x"] for part in parts) / weight_sum
            A = A - np.outer(x_mean, x_mean)
            B = B - np.outer(x_mean, t_mean)
    return solve_start(A, B, x_mean, t_mean, l2, n_out, d, fit_intercept)
