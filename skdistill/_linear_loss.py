"""Hinton's distillation loss of a linear model: loss, gradient, starting point.

Pure math, apart from the estimator so it can be tested on its own. For a
linear model with deployed logits ``s_i = W x_i + b``, teacher logits ``z_i``
and hard label ``y_i`` (where there is one)::

    loss_i = a_i * CE(y_i, softmax(s_i))
             + (1 - a_i) * T**2 * CE(softmax(z_i / T), softmax(s_i / T))

    f(W, b) = sum_i s_i * loss_i + l2 / 2 * ||W||^2

with ``a_i`` = alpha on labelled rows and 0 elsewhere, ``s = sample_weight /
sum(sample_weight)`` and ``l2 = 1 / (C * sum(w))`` (0 without penalty):
scikit-learn's ``LogisticRegression`` scaling, so ``C`` and ``tol`` mean the
same thing and ``alpha = 1`` is its objective exactly. The binary case uses
one logit, as scikit-learn does.

Every pass over dense rows goes block by block (:func:`_blocks`): the
temporaries of a block (its logits, laid out classes-by-rows so that every
reduction over classes is a sum of contiguous rows, and its probabilities)
stay in the CPU cache and the memory a fit needs beyond X and the targets
stays a few megabytes, whatever the number of rows.
"""

import warnings

import numpy as np
import scipy.linalg
import scipy.optimize
import scipy.sparse as sp
from scipy.special import expit

__all__ = [
    "L1Split",
    "binary_loss_grad",
    "initial_coef",
    "multinomial_loss_grad",
    "solve_start",
    "start_solvable",
    "start_targets",
]

# Elements of a block's (n_classes, rows) logit matrix: 512 KiB in float64.
_BLOCK_CELLS = 65536
# Fewest rows in a block, so that many classes still give matrix products
# of useful size.
_MIN_BLOCK_ROWS = 256
# The ridge start is formed when n_features <= this * n_out (its cost in
# L-BFGS iterations is n_features / (2 n_out)) and n_features <= the cap.
_RIDGE_FEATURES_PER_OUTPUT = 16
_RIDGE_MAX_FEATURES = 2000
# The hard part's start regresses log(onehot) clipped here: it bounds the
# start for hard targets, as a teacher's logits bound the soft part's.
_START_FLOOR = 1e-3
# Teacher logits below their row's maximum by more than this are clipped
# there for the start only (a masked class is -inf).
_START_SPREAD = 50.0


def _blocks(X, width):
    """``(rows, X[rows])`` for blocks of about ``_BLOCK_CELLS / width`` rows.

    Sparse X is one block: slicing CSR copies it, and sparse products gain
    nothing from cache-sized blocks.
    """
    if sp.issparse(X):
        return [(slice(None), X)]
    step = max(_MIN_BLOCK_ROWS, _BLOCK_CELLS // max(width, 1))
    starts = range(0, X.shape[0], step)
    return [(slice(i, i + step), X[i : i + step]) for i in starts]


def _matmul_rows(X, W):
    """``W @ X.T`` of shape (n_out, n_samples), float64, in X's precision."""
    if sp.issparse(X):
        return np.ascontiguousarray((X @ W.T.astype(X.dtype)).T, dtype=np.float64)
    return (W.astype(X.dtype, copy=False) @ X.T).astype(np.float64, copy=False)


def _grad_rows(G, X):
    """``G @ X`` of shape (n_out, n_features), float64."""
    G = G.astype(X.dtype, copy=False)
    if sp.issparse(X):
        return np.asarray((X.T @ G.T).T, dtype=np.float64)
    return (G @ X).astype(np.float64, copy=False)


def _softmax_ce(S, target_T, rows_weight):
    """Cross-entropy of each column of S against ``target_T`` and its gradient.

    ``S`` (n_out, n) is overwritten with ``rows_weight * (softmax(S) -
    target)``; returns ``sum_i rows_weight_i * CE_i``.
    """
    S -= S.max(axis=0)
    # The target sums to 1: sum_k t_k (s_k - max) + max = sum_k t_k s_k.
    cross = np.einsum("kn,kn->n", target_T, S)
    E = np.exp(S, out=S)
    norm = E.sum(axis=0)
    loss = float(rows_weight @ (np.log(norm) - cross))
    E /= norm
    E -= target_T
    E *= rows_weight
    return loss


def multinomial_loss_grad(coef, X, P, y_index, a, T, s, l2, fit_intercept):
    """Distillation loss of a multinomial linear model, and its gradient.

    Parameters
    ----------
    coef : ndarray of shape (n_classes * (n_features + fit_intercept),)
        Flattened deployed ``[W | b]``, row ``k`` the weights of class ``k``.
    X : {ndarray, sparse matrix} of shape (n_samples, n_features)
    P : ndarray of shape (n_samples, n_classes) or None
        Softened teacher distributions ``softmax(z / T)``; None when no row
        has a soft term.
    y_index : ndarray of shape (n_samples,) of int
        Column of each row's true class, -1 where there is none.
    a : ndarray of shape (n_samples,)
        Weight of the hard term on each row (0 where ``y_index`` is -1).
    T : float
        Temperature of the soft term.
    s : ndarray of shape (n_samples,)
        Row weights normalised to sum to 1.
    l2 : float
        L2 penalty strength on ``W`` (not on ``b``).
    fit_intercept : bool

    Returns
    -------
    loss : float
    grad : ndarray of the shape of ``coef``
    """
    n_classes = len(coef) // (X.shape[1] + fit_intercept)
    n_features = X.shape[1]
    coef = coef.reshape(n_classes, -1)
    W = coef[:, :n_features]
    grad = np.zeros_like(coef)
    loss = 0.5 * l2 * float(np.vdot(W, W))
    hard = bool(a.any())
    soft = P is not None and bool((a < 1).any())
    for rows, X_rows in _blocks(X, n_classes):
        S = _matmul_rows(X_rows, W)
        if fit_intercept:
            S += coef[:, -1:]
        s_rows, a_rows = s[rows], a[rows]
        G = np.zeros_like(S)
        if soft:
            U = S / T
            loss += T * T * _softmax_ce(U, P[rows].T, s_rows * (1 - a_rows))
            G += T * U  # d/dS of T**2 CE(P, softmax(S / T)) = T (softmax - P)
        if hard:
            y_rows = y_index[rows]
            labelled = np.flatnonzero(y_rows >= 0)
            onehot = np.zeros_like(S)
            onehot[y_rows[labelled], labelled] = 1.0
            loss += _softmax_ce(S, onehot, s_rows * a_rows)
            G += S
        grad[:, :n_features] += _grad_rows(G, X_rows)
        if fit_intercept:
            grad[:, -1] += G.sum(axis=1)
    grad[:, :n_features] += l2 * W
    return loss, grad.ravel()


def binary_loss_grad(coef, X, q, y, a, T, s, l2, fit_intercept):
    """Distillation loss of a binary linear model (one logit), and its gradient.

    Parameters
    ----------
    coef : ndarray of shape (n_features + fit_intercept,)
        Deployed ``[w | b]``: the logit of the positive class is ``w @ x + b``.
    X : {ndarray, sparse matrix} of shape (n_samples, n_features)
    q : ndarray of shape (n_samples,) or None
        Softened teacher probability of the positive class; None when no
        row has a soft term.
    y : ndarray of shape (n_samples,)
        1 where the true class is the positive one, else 0 (any value where
        ``a`` is 0).
    a, T, s, l2, fit_intercept
        As in :func:`multinomial_loss_grad`.

    Returns
    -------
    loss : float
    grad : ndarray of the shape of ``coef``
    """
    n_features = X.shape[1]
    w = coef[:n_features]
    grad = np.zeros_like(coef)
    loss = 0.5 * l2 * float(w @ w)
    hard = bool(a.any())
    soft = q is not None and bool((a < 1).any())
    for rows, X_rows in _blocks(X, 1):
        z = _matmul_rows(X_rows, w[None, :])[0]
        if fit_intercept:
            z += coef[-1]
        s_rows, a_rows = s[rows], a[rows]
        g = np.zeros_like(z)
        if soft:
            u = z / T
            weight = s_rows * (1 - a_rows)
            loss += T * T * float(weight @ (np.logaddexp(0.0, u) - q[rows] * u))
            g += T * weight * (expit(u) - q[rows])
        if hard:
            weight = s_rows * a_rows
            loss += float(weight @ (np.logaddexp(0.0, z) - y[rows] * z))
            g += weight * (expit(z) - y[rows])
        grad[:n_features] += _grad_rows(g[None, :], X_rows)[0]
        if fit_intercept:
            grad[-1] += g.sum()
    grad[:n_features] += l2 * w
    return loss, grad


def start_targets(logits, y_index, a):
    """Centred target logits of the starting point, one column when binary.

    The exact log-targets of the soft term are the teacher's logits ``z``
    up to a row constant (Ba & Caruana's logit matching), at every
    temperature; those of the hard term are ``log onehot(y)``, clipped at
    1e-3. A row mixes them with its weights ``1 - a_i`` and ``a_i``.

    Parameters
    ----------
    logits : ndarray of shape (n_samples, n_classes)
        Teacher logits (``-inf`` for masked classes).
    y_index : ndarray of shape (n_samples,) of int
        Column of each row's true class, -1 where there is none.
    a : ndarray of shape (n_samples,)
        Weight of the hard term on each row.

    Returns
    -------
    t : ndarray of shape (n_samples, 1) for two classes, else (n_samples, n_classes)
        Minus its row mean; for two classes the logit of the second.
    """
    t = np.maximum(logits, logits.max(axis=1, keepdims=True) - _START_SPREAD)
    labelled = np.flatnonzero(a > 0)
    if labelled.size:
        hard = np.full((labelled.size, logits.shape[1]), np.log(_START_FLOOR))
        hard[np.arange(labelled.size), y_index[labelled]] = 0.0
        mix = a[labelled, None]
        t[labelled] = (1 - mix) * t[labelled] + mix * hard
    if logits.shape[1] == 2:
        return (t[:, 1] - t[:, 0])[:, None]
    t -= t.mean(axis=1, keepdims=True)
    return t


def initial_coef(X, targets, n_out, s, l2, fit_intercept):
    """Ridge least-squares fit of the start targets: a starting point.

    With ``t_i = targets(rows)_i`` (:func:`start_targets`), solves ``min
    sum_i s_i ||t_i - W x_i - b||^2 / 2 + l2 / 2 ||W||^2`` in float64. For
    a linear teacher and ``alpha = 0`` that is the optimum up to the
    penalty; L-BFGS started there needs markedly fewer iterations than from
    zero. The normal equations cost about ``2 n d^2`` flops, an L-BFGS
    iteration ``4 n d n_out``; they are formed only when ``d <= 16 n_out``
    (at most 8 iterations' worth) and ``d <= 2000``, and for dense X.
    Otherwise only the intercept is fitted.

    Parameters
    ----------
    X : {ndarray, sparse matrix} of shape (n_samples, n_features)
    targets : callable
        ``targets(rows) -> ndarray (n_rows, n_out)``, the start targets of a
        slice of rows.
    n_out : int
        Number of logits: 1 for two classes, else the number of classes.
    s : ndarray of shape (n_samples,)
        Row weights normalised to sum to 1.
    l2 : float
        Penalty strength (a tiny ridge is added for stability).
    fit_intercept : bool

    Returns
    -------
    coef : ndarray of shape (n_out, n_features + fit_intercept)
    """
    n_features = X.shape[1]
    solve = start_solvable(X, n_out)
    x_mean = np.zeros(n_features)
    if fit_intercept and solve:
        for rows, X_rows in _blocks(X, n_features):
            x_mean += s[rows] @ X_rows.astype(np.float64, copy=False)
    t_mean = np.zeros(n_out)
    A = np.zeros((n_features, n_features)) if solve else None
    # B needs no centred t: sum_i s_i (x_i - x_mean) = 0 when s sums to 1.
    B = np.zeros((n_features, n_out)) if solve else None
    for rows, X_rows in _blocks(X, n_features + n_out):
        t = targets(rows)
        if fit_intercept:
            t_mean += s[rows] @ t
        if solve:
            Xc = np.asarray(X_rows, dtype=np.float64) - x_mean
            Xw = Xc * s[rows, None]
            A += Xc.T @ Xw
            B += Xw.T @ t
    return solve_start(A, B, x_mean, t_mean, l2, n_out, n_features, fit_intercept)


def start_solvable(X, n_out):
    """Whether the ridge start is worth its normal equations (see initial_coef)."""
    n_features = X.shape[1]
    return (
        not sp.issparse(X)
        and n_features <= _RIDGE_FEATURES_PER_OUTPUT * n_out
        and n_features <= _RIDGE_MAX_FEATURES
    )


def solve_start(A, B, x_mean, t_mean, l2, n_out, n_features, fit_intercept):
    """The ridge start from its centred moments; the intercept alone without them.

    Parameters
    ----------
    A : ndarray of shape (n_features, n_features) or None
        ``sum_i s_i (x_i - x_mean)(x_i - x_mean)^T``; None to fit only the
        intercept.
    B : ndarray of shape (n_features, n_out) or None
        ``sum_i s_i (x_i - x_mean) t_i^T``.
    x_mean, t_mean : ndarray
        Weighted means of the rows and of the start targets.
    l2 : float
    n_out, n_features : int
    fit_intercept : bool

    Returns
    -------
    coef : ndarray of shape (n_out, n_features + fit_intercept)
    """
    coef = np.zeros((n_out, n_features + fit_intercept))
    if fit_intercept:
        coef[:, -1] = t_mean
    if A is None:
        return coef
    A = A.copy()
    jitter = 1e-10 * max(np.trace(A) / max(n_features, 1), 1e-12)
    A.flat[:: n_features + 1] += l2 + jitter
    try:
        with warnings.catch_warnings():
            # Only a starting point: an ill-conditioned solve is still a good one.
            warnings.simplefilter("ignore", scipy.linalg.LinAlgWarning)
            W = scipy.linalg.solve(A, B, assume_a="pos").T
    except (np.linalg.LinAlgError, ValueError):
        W = np.linalg.lstsq(A, B, rcond=None)[0].T
    coef[:, :n_features] = W
    if fit_intercept:
        coef[:, -1] -= W @ x_mean
    return coef


class L1Split:
    """An L1 penalty made smooth: ``f(W, b) + l1 * ||W||_1`` over ``W = U - V``.

    With ``U, V >= 0`` the penalty is the linear ``l1 * sum(U + V)`` and the
    problem is smooth with bound constraints, which L-BFGS-B solves exactly:
    at its optimum at most one of ``U_j, V_j`` is non-zero (both positive
    could both shrink), so ``|W_j| = U_j + V_j`` and coefficients the
    penalty removes sit on their bounds, exactly zero. The intercept ``b``
    is free and unpenalised.

    Parameters
    ----------
    loss_grad : callable
        ``loss_grad(coef, *args) -> (loss, grad)`` of the smooth part, on the
        flattened ``[W | b]`` of shape ``shape``.
    shape : tuple of int
        ``(n_out, n_features + fit_intercept)``.
    l1 : float
        Strength of the L1 penalty on ``W`` (positive).
    fit_intercept : bool
    """

    def __init__(self, loss_grad, shape, l1, fit_intercept):
        self.loss_grad = loss_grad
        self.shape = shape
        self.l1 = l1
        self.n_features = shape[1] - fit_intercept
        self.n_weights = shape[0] * self.n_features

    def start(self, coef):
        """The split point ``[U | V | b]`` of a flattened or 2-d ``coef``."""
        coef = np.asarray(coef, dtype=np.float64).reshape(self.shape)
        W = coef[:, : self.n_features].ravel()
        return np.concatenate(
            [
                np.maximum(W, 0.0),
                np.maximum(-W, 0.0),
                coef[:, self.n_features :].ravel(),
            ]
        )

    def coef(self, x):
        """The ``[W | b]`` of a split point, shape ``shape``."""
        m = self.n_weights
        W = (x[:m] - x[m : 2 * m]).reshape(self.shape[0], self.n_features)
        return np.column_stack([W, x[2 * m :].reshape(self.shape[0], -1)])

    def bounds(self):
        """``U, V >= 0``; the intercept unbounded."""
        m, size = self.n_weights, self.shape[0] * self.shape[1]
        lower = np.full(size + m, -np.inf)
        lower[: 2 * m] = 0.0
        return scipy.optimize.Bounds(lower, np.full(size + m, np.inf))

    def __call__(self, x, *args):
        m = self.n_weights
        loss, grad = self.loss_grad(self.coef(x).ravel(), *args)
        grad = grad.reshape(self.shape)
        g_W = grad[:, : self.n_features].ravel()
        penalty = self.l1 * float(x[: 2 * m].sum())
        return loss + penalty, np.concatenate(
            [g_W + self.l1, self.l1 - g_W, grad[:, self.n_features :].ravel()]
        )
