import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose
from scipy.optimize import check_grad

from skdistill._linear_loss import binary_loss_grad, initial_coef, multinomial_loss_grad
from skdistill.targets import soften


def _problem(n=40, d=5, k=3, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    Q = soften(rng.normal(size=(n, k)) * 2, 1.0)
    s = rng.uniform(0.5, 2, size=n)
    return X, Q, s / s.sum()


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("fit_intercept", [False, True])
def test_multinomial_gradient_matches_finite_differences(sparse, fit_intercept):
    X, Q, s = _problem()
    X = sp.csr_matrix(X) if sparse else X
    coef = np.random.default_rng(1).normal(size=3 * (5 + fit_intercept))
    args = (X, np.ascontiguousarray(Q.T), s, 0.1, fit_intercept)
    err = check_grad(
        lambda c: multinomial_loss_grad(c, *args)[0],
        lambda c: multinomial_loss_grad(c, *args)[1],
        coef,
    )
    assert err < 1e-6


@pytest.mark.parametrize("fit_intercept", [False, True])
def test_binary_gradient_matches_finite_differences(fit_intercept):
    X, Q, s = _problem(k=2)
    coef = np.random.default_rng(2).normal(size=5 + fit_intercept)
    args = (X, Q[:, 1], s, 0.1, fit_intercept)
    err = check_grad(
        lambda c: binary_loss_grad(c, *args)[0],
        lambda c: binary_loss_grad(c, *args)[1],
        coef,
    )
    assert err < 1e-6


def test_multinomial_loss_is_cross_entropy_plus_penalty():
    X, Q, s = _problem()
    coef = np.random.default_rng(3).normal(size=(3, 6))
    loss, _ = multinomial_loss_grad(coef.ravel(), X, Q.T.copy(), s, 0.5, True)
    P = soften(X @ coef[:, :5].T + coef[:, 5], 1.0)
    expected = (
        -(s * (Q * np.log(P)).sum(axis=1)).sum() + 0.25 * (coef[:, :5] ** 2).sum()
    )
    assert loss == pytest.approx(expected, rel=1e-12)


def test_binary_equals_multinomial_with_zero_reference_class():
    X, Q, s = _problem(k=2)
    w = np.random.default_rng(4).normal(size=6)
    loss_b, _ = binary_loss_grad(w, X, Q[:, 1], s, 0.0, True)
    coef = np.vstack([np.zeros(6), w]).ravel()
    loss_m, _ = multinomial_loss_grad(coef, X, Q.T.copy(), s, 0.0, True)
    assert loss_b == pytest.approx(loss_m, rel=1e-12)


def test_float32_input_gives_float64_results_close_to_float64():
    X, Q, s = _problem(n=200)
    coef = np.random.default_rng(5).normal(size=18)
    args = (Q.T.copy(), s, 0.1, True)
    loss64, grad64 = multinomial_loss_grad(coef, X, *args)
    loss32, grad32 = multinomial_loss_grad(coef, X.astype(np.float32), *args)
    assert grad32.dtype == np.float64
    assert loss32 == pytest.approx(loss64, rel=1e-5)
    assert_allclose(grad32, grad64, rtol=1e-4, atol=1e-6)


def test_initial_coef_solves_weighted_ridge():
    X, Q, s = _problem(n=100, d=4)
    t = np.log(Q) - np.log(Q).mean(axis=1, keepdims=True)
    coef = initial_coef(X, t, s, 0.3, True)
    W, b = coef[:, :4], coef[:, 4]
    residual = t - X @ W.T - b
    # Stationarity of sum_i s_i |r_i|^2 / 2 + 0.3 / 2 |W|^2 in W and b.
    assert_allclose(-(residual * s[:, None]).T @ X + 0.3 * W, 0, atol=1e-8)
    assert_allclose((residual * s[:, None]).sum(axis=0), 0, atol=1e-10)


def test_initial_coef_sparse_fits_intercept_only():
    X, Q, s = _problem()
    t = np.log(Q)
    coef = initial_coef(sp.csr_matrix(X), t, s, 0.3, True)
    assert_allclose(coef[:, :-1], 0)
    assert_allclose(coef[:, -1], s @ t)
