"""Soft-target cross-entropy of a linear model: loss, gradient, starting point.

Pure math, apart from the estimator so it can be tested on its own. The
objective has scikit-learn's ``LogisticRegression`` scaling, so ``C`` and
``tol`` mean the same thing::

    f(W, b) = sum_i s_i * CE(Q_i, softmax(W x_i + b)) + l2 / 2 * ||W||^2

with ``s = sample_weight / sum(sample_weight)`` and ``l2 = 1 / (C * sum(w))``
(0 without penalty). Logits are laid out classes-by-rows, shape
``(n_classes, n_samples)``, so every reduction over classes is a sum of
contiguous rows. The binary case uses one logit, as scikit-learn does.
"""

import warnings

import numpy as np
import scipy.linalg
import scipy.sparse as sp
from scipy.special import expit

__all__ = ["binary_loss_grad", "initial_coef", "multinomial_loss_grad"]

# Rows per chunk when forming the ridge normal equations.
_CHUNK = 65536


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


def multinomial_loss_grad(coef, X, QT, s, l2, fit_intercept):
    """Soft-target multinomial loss and its gradient.

    Parameters
    ----------
    coef : ndarray of shape (n_classes * (n_features + fit_intercept),)
        Flattened ``[W | b]``, row ``k`` the weights of class ``k``.
    X : {ndarray, sparse matrix} of shape (n_samples, n_features)
    QT : ndarray of shape (n_classes, n_samples)
        Transposed target distributions (columns sum to 1).
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
    n_classes = QT.shape[0]
    n_features = X.shape[1]
    coef = coef.reshape(n_classes, -1)
    W = coef[:, :n_features]
    Z = _matmul_rows(X, W)
    if fit_intercept:
        Z += coef[:, -1:]
    Z -= Z.max(axis=0)
    E = np.exp(Z)
    norm = E.sum(axis=0)
    # Q sums to 1 over classes, so sum_k Q_k (z_k - max) + max = sum_k Q_k z_k.
    per_row = np.log(norm) - np.einsum("kn,kn->n", QT, Z)
    loss = float(s @ per_row) + 0.5 * l2 * float(np.vdot(W, W))
    E /= norm
    E -= QT
    E *= s
    grad = np.empty_like(coef)
    grad[:, :n_features] = _grad_rows(E, X)
    grad[:, :n_features] += l2 * W
    if fit_intercept:
        grad[:, -1] = E.sum(axis=1)
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
    z = _matmul_rows(X, w[None, :])[0]
    if fit_intercept:
        z += coef[-1]
    loss = float(s @ (np.logaddexp(0.0, z) - q * z)) + 0.5 * l2 * float(w @ w)
    g = (expit(z) - q) * s
    grad = np.empty_like(coef)
    grad[:n_features] = _grad_rows(g[None, :], X)[0] + l2 * w
    if fit_intercept:
        grad[-1] = g.sum()
    return loss, grad


def initial_coef(X, target_logits, s, l2, fit_intercept, max_features=2000):
    """Ridge least-squares fit of the target logits: a starting point.

    Solves ``min sum_i s_i ||t_i - W x_i - b||^2 / 2 + l2 / 2 ||W||^2`` in
    float64. L-BFGS started there needs markedly fewer iterations than from
    zero. For sparse X or more than ``max_features`` features, the normal
    equations are too costly and only the intercept is fitted.

    Parameters
    ----------
    X : {ndarray, sparse matrix} of shape (n_samples, n_features)
    target_logits : ndarray of shape (n_samples, n_out)
        Centred log-targets (one column for the binary case).
    s : ndarray of shape (n_samples,)
        Row weights normalised to sum to 1.
    l2 : float
        Penalty strength (a tiny ridge is added for stability).
    fit_intercept : bool
    max_features : int, default=2000

    Returns
    -------
    coef : ndarray of shape (n_out, n_features + fit_intercept)
    """
    n_samples, n_features = X.shape
    n_out = target_logits.shape[1]
    coef = np.zeros((n_out, n_features + fit_intercept))
    t_mean = s @ target_logits if fit_intercept else np.zeros(n_out)
    if sp.issparse(X) or n_features > max_features:
        if fit_intercept:
            coef[:, -1] = t_mean
        return coef
    x_mean = s @ X if fit_intercept else np.zeros(n_features)
    A = np.zeros((n_features, n_features))
    B = np.zeros((n_features, n_out))
    for start in range(0, n_samples, _CHUNK):
        rows = slice(start, start + _CHUNK)
        Xc = np.asarray(X[rows], dtype=np.float64) - x_mean
        Xw = Xc * s[rows, None]
        A += Xc.T @ Xw
        B += Xw.T @ (target_logits[rows] - t_mean)
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
        coef[:, -1] = t_mean - W @ x_mean
    return coef
