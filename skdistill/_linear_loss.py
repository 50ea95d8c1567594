"""Soft-target cross-entropy of a linear model: loss, gradient, starting point.

Pure math, apart from the estimator so it can be tested on its own. The
objective has scikit-learn's ``LogisticRegression`` scaling, so ``C`` and
``tol`` mean the same thing::

    f(W, b) = sum_i s_i * CE(Q_i, softmax(W x_i + b)) + l2 / 2 * ||W||^2

with ``s = sample_weight / sum(sample_weight)`` and ``l2 = 1 / (C * sum(w))``
(0 without penalty). The binary case uses one logit, as scikit-learn does.

Every pass over dense rows goes block by block (:func:`_blocks`): the
temporaries of a block (its logits, laid out classes-by-rows so that every
reduction over classes is a sum of contiguous rows, and its probabilities)
stay in the CPU cache and the memory a fit needs beyond X and Q stays a few
megabytes, whatever the number of rows.
"""

import warnings

import numpy as np
import scipy.linalg
import scipy.sparse as sp
from scipy.special import expit

__all__ = ["binary_loss_grad", "initial_coef", "multinomial_loss_grad"]

# Elements of a block's (n_classes, rows) logit matrix: 512 KiB in float64.
_BLOCK_CELLS = 65536
# Fewest rows in a block, so that many classes still give matrix products
# of useful size.
_MIN_BLOCK_ROWS = 256
# The ridge start is formed when n_features <= this * n_out (its cost in
# L-BFGS iterations is n_features / (2 n_out)) and n_features <= the cap.
_RIDGE_FEATURES_PER_OUTPUT = 16
_RIDGE_MAX_FEATURES = 2000
# Target probabilities are clipped here before taking logs for the starting
# point only; it bounds the start for hard (one-hot) targets.
_START_FLOOR = 1e-3


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


def multinomial_loss_grad(coef, X, Q, s, l2, fit_intercept):
    """Soft-target multinomial loss and its gradient.

    Parameters
    ----------
    coef : ndarray of shape (n_classes * (n_features + fit_intercept),)
        Flattened ``[W | b]``, row ``k`` the weights of class ``k``.
    X : {ndarray, sparse matrix} of shape (n_samples, n_features)
    Q : ndarray of shape (n_samples, n_classes)
        Target distributions (rows sum to 1).
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
    n_classes = Q.shape[1]
    n_features = X.shape[1]
    coef = coef.reshape(n_classes, -1)
    W = coef[:, :n_features]
    grad = np.zeros_like(coef)
    loss = 0.5 * l2 * float(np.vdot(W, W))
    for rows, X_rows in _blocks(X, n_classes):
        Z = _matmul_rows(X_rows, W)
        if fit_intercept:
            Z += coef[:, -1:]
        Z -= Z.max(axis=0)
        QT = Q[rows].T
        s_rows = s[rows]
        # Q sums to 1 over classes: sum_k Q_k (z_k - max) + max = sum_k Q_k z_k.
        cross = np.einsum("kn,kn->n", QT, Z)
        E = np.exp(Z, out=Z)
        norm = E.sum(axis=0)
        loss += float(s_rows @ (np.log(norm) - cross))
        E /= norm
        E -= QT
        E *= s_rows
        grad[:, :n_features] += _grad_rows(E, X_rows)
        if fit_intercept:
            grad[:, -1] += E.sum(axis=1)
    grad[:, :n_features] += l2 * W
    return loss, grad.ravel()


def binary_loss_grad(coef, X, q, s, l2, fit_intercept):
    """Soft-target binary logistic loss and its gradient.

    Parameters
    ----------
    coef : ndarray of shape (n_features + fit_intercept,)
        ``[w | b]``: the logit of the positive class is ``w @ x + b``.
    X : {ndarray, sparse matrix} of shape (n_samples, n_features)
    q : ndarray of shape (n_samples,)
        Target probability of the positive class.
    s, l2, fit_intercept
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
    for rows, X_rows in _blocks(X, 1):
        z = _matmul_rows(X_rows, w[None, :])[0]
        if fit_intercept:
            z += coef[-1]
        q_rows, s_rows = q[rows], s[rows]
        loss += float(s_rows @ (np.logaddexp(0.0, z) - q_rows * z))
        g = expit(z, out=z)
        g -= q_rows
        g *= s_rows
        grad[:n_features] += _grad_rows(g[None, :], X_rows)[0]
        if fit_intercept:
            grad[-1] += g.sum()
    grad[:n_features] += l2 * w
    return loss, grad


def log_targets(Q):
    """Centred target logits of the starting point, one column when binary.

    Parameters
    ----------
    Q : ndarray of shape (n_samples, n_classes)

    Returns
    -------
    t : ndarray of shape (n_samples, 1) for two classes, else (n_samples, n_classes)
        ``log Q`` (clipped at 1e-3) minus its row mean; for two classes the
        log-odds of the second.
    """
    logq = np.log(np.maximum(Q, _START_FLOOR))
    if Q.shape[1] == 2:
        return (logq[:, 1] - logq[:, 0])[:, None]
    logq -= logq.mean(axis=1, keepdims=True)
    return logq


def initial_coef(X, Q, s, l2, fit_intercept):
    """Ridge least-squares fit of the log-targets: a starting point.

    With ``t_i = log_targets(Q)_i``, solves ``min sum_i s_i ||t_i - W x_i -
    b||^2 / 2 + l2 / 2 ||W||^2`` in float64. L-BFGS started there needs
    markedly fewer iterations than from zero. The normal equations cost
    about ``2 n d^2`` flops, an L-BFGS iteration ``4 n d n_out``; they are
    formed only when ``d <= 16 n_out`` (at most 8 iterations' worth) and
    ``d <= 2000``, and for dense X. Otherwise only the intercept is fitted.

    Parameters
    ----------
    X : {ndarray, sparse matrix} of shape (n_samples, n_features)
    Q : ndarray of shape (n_samples, n_classes)
        Target distributions.
    s : ndarray of shape (n_samples,)
        Row weights normalised to sum to 1.
    l2 : float
        Penalty strength (a tiny ridge is added for stability).
    fit_intercept : bool

    Returns
    -------
    coef : ndarray of shape (n_out, n_features + fit_intercept)
        ``n_out`` is 1 for two classes, else ``n_classes``.
    """
    n_samples, n_features = X.shape
    n_out = 1 if Q.shape[1] == 2 else Q.shape[1]
    coef = np.zeros((n_out, n_features + fit_intercept))
    solve = (
        not sp.issparse(X)
        and n_features <= _RIDGE_FEATURES_PER_OUTPUT * n_out
        and n_features <= _RIDGE_MAX_FEATURES
    )
    x_mean = np.zeros(n_features)
    if fit_intercept and solve:
        for rows, X_rows in _blocks(X, n_features):
            x_mean += s[rows] @ X_rows.astype(np.float64, copy=False)
    t_mean = np.zeros(n_out)
    A = np.zeros((n_features, n_features)) if solve else None
    # B needs no centred t: sum_i s_i (x_i - x_mean) = 0 when s sums to 1.
    B = np.zeros((n_features, n_out)) if solve else None
    for rows, X_rows in _blocks(X, n_features + n_out):
        t = log_targets(Q[rows])
        if fit_intercept:
            t_mean += s[rows] @ t
        if solve:
            Xc = np.asarray(X_rows, dtype=np.float64) - x_mean
            Xw = Xc * s[rows, None]
            A += Xc.T @ Xw
            B += Xw.T @ t
    if fit_intercept:
        coef[:, -1] = t_mean
    if not solve:
        return coef
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
