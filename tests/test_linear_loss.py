import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose
from scipy.optimize import check_grad

from skdistill import _linear_loss
from skdistill._linear_loss import (
    binary_loss_grad,
    initial_coef,
    log_targets,
    multinomial_loss_grad,
)
from skdistill.targets import soften


def _problem(n=40, d=5, k=3, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    Q = soften(rng.normal(size=(n, k)) * 2, 1.0)
    s = rng.uniform(0.5, 2, size=n)
    return X, Q, s / s.sum()


@pytest.fixture(params=[False, True], ids=["one_block", "blocks_of_7_rows"])
def small_blocks(request, monkeypatch):
    """Run a test with the default blocks, then with blocks of 7 rows."""
    if request.param:
        monkeypatch.setattr(_linear_loss, "_BLOCK_CELLS", 21)
        monkeypatch.setattr(_linear_loss, "_MIN_BLOCK_ROWS", 7)


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("fit_intercept", [False, True])
def test_multinomial_gradient_matches_finite_differences(sparse, fit_intercept):
    X, Q, s = _problem()
    X = sp.csr_matrix(X) if sparse else X
    coef = np.random.default_rng(1).normal(size=3 * (5 + fit_intercept))
    args = (X, Q, s, 0.1, fit_intercept)
    err = check_grad(
        lambda c: multinomial_loss_grad(c, *args)[0],
        lambda c: multinomial_loss_grad(c, *args)[1],
        coef,
    )
    assert err < 1e-6


@pytest.mark.parametrize("fit_intercept", [False, True])
def test_binary_gradient_matches_finite_differences(fit_intercept, small_blocks):
    X, Q, s = _problem(k=2)
    coef = np.random.default_rng(2).normal(size=5 + fit_intercept)
    args = (X, Q[:, 1], s, 0.1, fit_intercept)
    err = check_grad(
        lambda c: binary_loss_grad(c, *args)[0],
        lambda c: binary_loss_grad(c, *args)[1],
        coef,
    )
    assert err < 1e-6


def test_blocks_cover_the_rows_once(small_blocks):
    X = np.arange(40.0)[:, None]
    blocks = _linear_loss._blocks(X, 3)
    assert np.concatenate([X_rows for _, X_rows in blocks]).ravel().tolist() == list(
        range(40)
    )
    assert all(np.shares_memory(X, X_rows) for _, X_rows in blocks)


def test_multinomial_loss_is_cross_entropy_plus_penalty(small_blocks):
    X, Q, s = _problem()
    coef = np.random.default_rng(3).normal(size=(3, 6))
    loss, grad = multinomial_loss_grad(coef.ravel(), X, Q, s, 0.5, True)
    P = soften(X @ coef[:, :5].T + coef[:, 5], 1.0)
    expected = (
        -(s * (Q * np.log(P)).sum(axis=1)).sum() + 0.25 * (coef[:, :5] ** 2).sum()
    )
    assert loss == pytest.approx(expected, rel=1e-12)
    G = (P - Q) * s[:, None]
    expected_grad = np.column_stack([G.T @ X + 0.5 * coef[:, :5], G.sum(axis=0)])
    assert_allclose(grad.reshape(3, 6), expected_grad, rtol=1e-12, atol=1e-15)


def test_binary_equals_multinomial_with_zero_reference_class(small_blocks):
    X, Q, s = _problem(k=2)
    w = np.random.default_rng(4).normal(size=6)
    loss_b, _ = binary_loss_grad(w, X, Q[:, 1], s, 0.0, True)
    coef = np.vstack([np.zeros(6), w]).ravel()
    loss_m, _ = multinomial_loss_grad(coef, X, Q, s, 0.0, True)
    assert loss_b == pytest.approx(loss_m, rel=1e-12)


def test_float32_input_gives_float64_results_close_to_float64():
    X, Q, s = _problem(n=200)
    coef = np.random.default_rng(5).normal(size=18)
    args = (Q, s, 0.1, True)
    loss64, grad64 = multinomial_loss_grad(coef, X, *args)
    loss32, grad32 = multinomial_loss_grad(coef, X.astype(np.float32), *args)
    assert grad32.dtype == np.float64
    assert loss32 == pytest.approx(loss64, rel=1e-5)
    assert_allclose(grad32, grad64, rtol=1e-4, atol=1e-6)


def test_log_targets_are_centred_clipped_logs():
    Q = np.array([[0.5, 0.5 - 1e-9, 1e-9], [0.2, 0.3, 0.5]])
    logq = np.log(np.maximum(Q, 1e-3))
    assert_allclose(log_targets(Q), logq - logq.mean(axis=1, keepdims=True))
    assert_allclose(
        log_targets(Q[:, :2] / Q[:, :2].sum(1, keepdims=True)).ravel(),
        [np.log((0.5 - 1e-9) / 0.5), np.log(1.5)],
    )


def test_initial_coef_solves_weighted_ridge(small_blocks):
    X, Q, s = _problem(n=100, d=4)
    t = log_targets(Q)
    coef = initial_coef(X, Q, s, 0.3, True)
    W, b = coef[:, :4], coef[:, 4]
    residual = t - X @ W.T - b
    # Stationarity of sum_i s_i |r_i|^2 / 2 + 0.3 / 2 |W|^2 in W and b.
    assert_allclose(-(residual * s[:, None]).T @ X + 0.3 * W, 0, atol=1e-8)
    assert_allclose((residual * s[:, None]).sum(axis=0), 0, atol=1e-10)


@pytest.mark.parametrize(
    "make_X, n_features, n_classes",
    [
        (sp.csr_matrix, 5, 3),  # sparse
        (np.asarray, 17, 2),  # one output: over 16 features
        (np.asarray, 65, 4),  # four outputs: over 64 features
    ],
)
def test_initial_coef_fits_intercept_only_when_the_ridge_costs_too_much(
    make_X, n_features, n_classes
):
    X, Q, s = _problem(d=n_features, k=n_classes)
    coef = initial_coef(make_X(X), Q, s, 0.3, True)
    assert_allclose(coef[:, :-1], 0)
    assert_allclose(coef[:, -1], s @ log_targets(Q))


@pytest.mark.parametrize("n_features, n_classes", [(16, 2), (64, 4)])
def test_initial_coef_solves_up_to_16_features_per_output(n_features, n_classes):
    X, Q, s = _problem(n=200, d=n_features, k=n_classes)
    assert np.abs(initial_coef(X, Q, s, 0.3, True)[:, :-1]).min() > 0
