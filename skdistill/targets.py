"""Soft targets: softening logits, mixing in hard labels, soft-label weighting.

Every student is fitted to a matrix of target distributions ``Q`` with row
weights ``w``. This module holds the pure functions that build ``Q`` from a
teacher's logits and, for students without a native soft-target solver,
turn ``(X, Q, w)`` into replicated rows with hard labels and weights.
"""

import numpy as np
import scipy.optimize
import scipy.sparse as sp

from skdistill._sklearn import _safe_indexing

__all__ = [
    "PROBA_FLOOR",
    "REPLICATE_THRESHOLD",
    "as_logits",
    "deploy_exponent",
    "mix_hard_labels",
    "proba_to_logits",
    "replicate_rows",
    "soften",
]

#: Probabilities are clipped to this floor before taking logs, so a
#: probability of 0 becomes the finite logit ``log(1e-300) ~ -690.8`` and no
#: ``-inf - -inf`` can make a NaN. Softened at temperature T, such a class
#: keeps ``1e-300 ** (1 / T)`` of the weight of a sure class: 1e-30 at T = 10,
#: 1e-3 at T = 100.
PROBA_FLOOR = 1e-300

#: Default threshold of :func:`replicate_rows`: a replicated row whose target
#: probability ``Q[i, k]`` is at most this is dropped. Its share of the loss
#: is below 1e-8 per row, far under any solver's tolerance.
REPLICATE_THRESHOLD = 1e-8


def soften(logits, temperature):
    """Return the temperature-softened distributions ``softmax(logits / T)``.

    Computed in float64 on max-shifted logits, so it is exact for logits of
    any magnitude (``+-1e4`` included) and any ``T > 0``; the result is the
    only array of its size that is allocated.

    Parameters
    ----------
    logits : array-like of shape (n_samples, n_classes)
        Teacher logits; ``-inf`` (a class of probability 0) is allowed as long
        as one entry of each row is finite.
    temperature : float
        Softening temperature ``T > 0``; ``T > 1`` flattens, ``T < 1``
        sharpens.

    Returns
    -------
    P : ndarray of shape (n_samples, n_classes), dtype float64
        Rows are non-negative and sum to 1.

    Examples
    --------
    >>> import numpy as np
    >>> from skdistill.targets import soften
    >>> soften(np.array([[0.0, np.log(3.0)]]), 1.0).round(3)
    array([[0.25, 0.75]])
    >>> bool(soften(np.array([[0.0, 1e4]]), 100.0)[0, 1] > 0.99)
    True
    """
    P = np.divide(logits, float(temperature), dtype=np.float64)
    P -= P.max(axis=1, keepdims=True)
    np.exp(P, out=P)
    P /= P.sum(axis=1, keepdims=True)
    return P


def mix_hard_labels(P, y_index, alpha, *, copy=True):
    """Return ``Q = (1 - alpha) * P + alpha * onehot(y)``.

    Cross-entropy is linear in its target, so fitting ``Q`` is exactly the
    distillation loss ``alpha * CE(y) + (1 - alpha) * CE(P)``.

    Parameters
    ----------
    P : ndarray of shape (n_samples, n_classes)
        Softened teacher distributions.
    y_index : ndarray of shape (n_samples,) of int or None
        Column of each row's true class in ``P``; may be None when
        ``alpha == 0``.
    alpha : float in [0, 1]
        Weight of the hard labels.
    copy : bool, default=True
        If False and P is a float64 array, mix in place and return P itself
        (P itself, unchanged, when ``alpha == 0``).

    Returns
    -------
    Q : ndarray of shape (n_samples, n_classes), dtype float64

    Examples
    --------
    >>> import numpy as np
    >>> from skdistill.targets import mix_hard_labels
    >>> mix_hard_labels(np.array([[0.5, 0.5]]), np.array([1]), 0.5)
    array([[0.25, 0.75]])
    """
    if alpha > 0 and y_index is None:
        raise ValueError("mix_hard_labels: alpha > 0 needs y_index, got None.")
    Q = np.array(P, dtype=np.float64, copy=copy or None)
    if alpha == 0:
        return Q
    Q *= 1.0 - alpha
    Q[np.arange(Q.shape[0]), y_index] += alpha
    return Q


def proba_to_logits(proba):
    """Return logits whose softmax is ``proba`` (row-normalised).

    Probabilities are clipped to :data:`PROBA_FLOOR` first, so zeros give
    large finite negative logits instead of ``-inf``.

    Parameters
    ----------
    proba : array-like of shape (n_samples, n_classes)
        Non-negative class probabilities.

    Returns
    -------
    logits : ndarray of shape (n_samples, n_classes), dtype float64

    Examples
    --------
    >>> import numpy as np
    >>> from skdistill.targets import proba_to_logits, soften
    >>> z = proba_to_logits(np.array([[0.2, 0.8, 0.0]]))
    >>> bool(np.isfinite(z).all())
    True
    >>> soften(z, 1.0).round(6)
    array([[0.2, 0.8, 0. ]])
    """
    return np.log(np.maximum(np.asarray(proba, dtype=np.float64), PROBA_FLOOR))


def as_logits(output, kind="logits"):
    """Turn a teacher's output into a float64 logit matrix.

    A single column (shape ``(n,)`` or ``(n, 1)``) is the binary case: a
    logit ``z`` means ``[0, z]``, a probability ``p`` means ``[1 - p, p]``.
    Probabilities go through :func:`proba_to_logits`; log-probabilities are
    clipped at ``log(PROBA_FLOOR)``. Arrays of other shapes are returned as
    they are, for the caller to reject with its own name in the message.

    Parameters
    ----------
    output : array-like of shape (n_samples,) or (n_samples, n_classes)
        What the teacher returned.
    kind : {"logits", "proba", "log_proba"}, default="logits"
        What ``output`` holds.

    Returns
    -------
    logits : ndarray of shape (n_samples, n_classes), dtype float64

    Examples
    --------
    >>> import numpy as np
    >>> from skdistill.targets import as_logits
    >>> as_logits(np.array([2.0, -1.0]))
    array([[ 0.,  2.],
           [ 0., -1.]])
    >>> as_logits(np.array([[0.5], [1.0]]), "proba")[:, 1].round(3)
    array([-0.693,  0.   ])
    """
    out = np.asarray(output, dtype=np.float64)
    if out.ndim == 2 and out.shape[1] == 1:
        out = out[:, 0]
    if out.ndim == 1:
        if kind == "logits":
            return np.column_stack([np.zeros_like(out), out])
        if kind == "log_proba":
            out = np.exp(out)
        return proba_to_logits(np.column_stack([1.0 - out, out]))
    if kind == "proba":
        return proba_to_logits(out)
    if kind == "log_proba":
        return np.maximum(out, np.log(PROBA_FLOOR))
    return out


def replicate_rows(X, Q, sample_weight=None, *, threshold=REPLICATE_THRESHOLD):
    """Soft-label weighting: one row per (sample, class) with weight ``w * Q``.

    Row ``i`` is repeated once for every class ``k`` with ``Q[i, k] >
    threshold``, labelled ``k`` and weighted ``sample_weight[i] * Q[i, k]``;
    rows of weight 0 are dropped, as if they were not there.
    A classifier fitted with these weights minimises exactly the
    soft-target cross-entropy (log-loss models) or Gini impurity (trees) of
    ``(X, Q, w)``, up to the dropped weights.

    Parameters
    ----------
    X : {array-like, sparse matrix} of shape (n_samples, ...)
        Input rows: an array (sparse input stays sparse, as CSR), a pandas
        DataFrame, or a list (raw text, say).
    Q : ndarray of shape (n_samples, n_classes)
        Target distributions.
    sample_weight : ndarray of shape (n_samples,), default=None
        Row weights; ones when None.
    threshold : float, default=1e-8
        Target probabilities at or below this are dropped. ``0`` keeps every
        positive probability (exact).

    Returns
    -------
    X_rep : {ndarray, sparse matrix, DataFrame, list} of length n_kept
        The kept rows, in the type of X.
    y_rep : ndarray of shape (n_kept,) of int
        Class column of each replicated row.
    w_rep : ndarray of shape (n_kept,) of float64

    Examples
    --------
    >>> import numpy as np
    >>> from skdistill.targets import replicate_rows
    >>> X = np.array([[1.0], [2.0]])
    >>> Q = np.array([[0.25, 0.75], [1.0, 0.0]])
    >>> X_rep, y_rep, w_rep = replicate_rows(X, Q)
    >>> X_rep.ravel(), y_rep, w_rep
    (array([1., 1., 2.]), array([0, 1, 0]), array([0.25, 0.75, 1.  ]))
    """
    Q = np.asarray(Q, dtype=np.float64)
    keep = Q > threshold
    if sample_weight is not None:
        sample_weight = np.asarray(sample_weight, dtype=np.float64)
        # A class that only rows of weight 0 keep must not reach the student.
        keep &= (sample_weight > 0)[:, np.newaxis]
    rows, cols = np.nonzero(keep)
    w = Q[rows, cols]
    if sample_weight is not None:
        w = w * sample_weight[rows]
    X_rep = X.tocsr()[rows] if sp.issparse(X) else _safe_indexing(X, rows)
    return X_rep, cols, w


def deploy_exponent(Q, D, sample_weight=None):
    """The power that best maps the fitted targets onto the deploy-scale ones.

    A student that can only be fitted to target distributions ``Q`` (at
    temperature T, mixed with hard labels) and not opened is deployed as
    ``Q ** beta``, renormalised. ``beta`` minimises the weighted
    cross-entropy ``sum_i w_i CE(D_i, normalise(Q_i ** beta))`` on the
    transfer rows, a convex problem in ``beta``. It is computed on the
    targets, not on the student's predictions, so it cannot overfit the
    training rows: for ``Q = softmax(z / T)`` and ``D = softmax(z)`` it is T
    exactly, and where ``Q`` equals ``D`` (``T = 1``, or hard labels alone)
    it is 1.

    Parameters
    ----------
    Q : ndarray of shape (n_samples, n_classes)
        The distributions the student is fitted to.
    D : ndarray of shape (n_samples, n_classes)
        The distributions it should predict.
    sample_weight : ndarray of shape (n_samples,), default=None
        Row weights; ones when None.

    Returns
    -------
    beta : float
        In ``[1e-3, 1e3]``.

    Examples
    --------
    >>> import numpy as np
    >>> from skdistill.targets import deploy_exponent, soften
    >>> z = np.array([[0.0, 1.0, 3.0], [2.0, 0.0, 0.0]])
    >>> round(deploy_exponent(soften(z, 4.0), soften(z, 1.0)), 4)
    4.0
    """
    Q = np.asarray(Q, dtype=np.float64)
    D = np.asarray(D, dtype=np.float64)
    if np.array_equal(Q, D):
        return 1.0
    w = np.ones(len(Q)) if sample_weight is None else np.asarray(sample_weight)
    u = np.log(np.maximum(Q, PROBA_FLOOR))
    u -= u.max(axis=1, keepdims=True)
    target = np.einsum("nk,nk->n", D, u)

    def loss(log_beta):
        v = np.exp(log_beta) * u
        top = v.max(axis=1)
        lse = top + np.log(np.exp(v - top[:, None]).sum(axis=1))
        return float(w @ (lse - np.exp(log_beta) * target))

    result = scipy.optimize.minimize_scalar(
        loss,
        bounds=(np.log(1e-3), np.log(1e3)),
        method="bounded",
        options={"xatol": 1e-10},
    )
    if loss(0.0) <= result.fun:  # flat (one-hot targets): keep the student as is
        return 1.0
    return float(np.exp(result.x))
