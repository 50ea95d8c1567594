import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose

from skdistill import _linear_loss
from skdistill._linear_loss import (
    binary_loss_grad,
    initial_coef,
    multinomial_loss_grad,
    start_targets,
)
from skdistill.targets import soften


def _problem(n=40, d=5, k=3, seed=0, alpha=0.5, T=3.0):
    """X, softened teacher P, labels (some rows without one), a, T, weights."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    z = rng.normal(size=(n, k)) * 2
    y = rng.integers(0, k, size=n)
    y[::4] = -1  # unlabelled rows: soft term only
    a = np.where(y >= 0, alpha, 0.0)
    s = rng.uniform(0.5, 2, size=n)
    return X, z, soften(z, T), y, a, T, s / s.sum()


@pytest.fixture(params=[False, True], ids=["one_block", "blocks_of_7_rows"])
def small_blocks(request, monkeypatch):
    """Run a test with the default blocks, then with blocks of 7 rows."""
    if request.param:
        monkeypatch.setattr(_linear_loss, "_BLOCK_CELLS", 21)
        monkeypatch.setattr(_linear_loss, "_MIN_BLOCK_ROWS", 7)


def _gradient_error(loss_grad, coef, h=1e-5):
    """Largest error of the gradient against central differences (O(h**2))."""
    grad = loss_grad(coef)[1]
    numeric = np.empty_like(coef)
    for j in range(len(coef)):
        step = np.zeros_like(coef)
        step[j] = h
        numeric[j] = (loss_grad(coef + step)[0] - loss_grad(coef - step)[0]) / (2 * h)
    return np.abs(numeric - grad).max() / np.abs(grad).max()


def _formula(coef, X, z, y, a, T, s, l2):
    """Hinton's loss of deployed logits, written out independently."""
    n_classes = z.shape[1]
    coef = coef.reshape(n_classes, -1)
    S = X @ coef[:, :-1].T + coef[:, -1]

    def log_softmax(v):
        v = v - v.max(axis=1, keepdims=True)
        return v - np.log(np.exp(v).sum(axis=1, keepdims=True))

    P_T = np.exp(log_softmax(z / T))
    soft = -(P_T * log_softmax(S / T)).sum(axis=1)
    hard = np.zeros(len(y))
    labelled = y >= 0
    hard[labelled] = -log_softmax(S)[labelled, y[labelled]]
    loss = a * hard + (1 - a) * T**2 * soft
    return float(s @ loss + 0.5 * l2 * (coef[:, :-1] ** 2).sum())


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("fit_intercept", [False, True])
@pytest.mark.parametrize("alpha", [0.0, 0.5, 1.0])
def test_multinomial_gradient_matches_finite_differences(sparse, fit_intercept, alpha):
    X, z, P, y, a, T, s = _problem(alpha=alpha)
    X = sp.csr_matrix(X) if sparse else X
    coef = np.random.default_rng(1).normal(size=3 * (5 + fit_intercept))
    args = (X, P, y, a, T, s, 0.1, fit_intercept)
    assert _gradient_error(lambda c: multinomial_loss_grad(c, *args), coef) < 1e-7


@pytest.mark.parametrize("fit_intercept", [False, True])
@pytest.mark.parametrize("alpha", [0.0, 0.5, 1.0])
def test_binary_gradient_matches_finite_differences(fit_intercept, alpha, small_blocks):
    X, z, P, y, a, T, s = _problem(k=2, alpha=alpha)
    coef = np.random.default_rng(2).normal(size=5 + fit_intercept)
    args = (X, P[:, 1], (y == 1).astype(float), a, T, s, 0.1, fit_intercept)
    assert _gradient_error(lambda c: binary_loss_grad(c, *args), coef) < 1e-7


@pytest.mark.parametrize("alpha", [0.0, 0.3, 1.0])
def test_multinomial_loss_and_gradient_are_hintons(alpha, small_blocks):
    """Loss and gradient against the formula and torch's autograd of it."""
    torch = pytest.importorskip("torch")
    X, z, P, y, a, T, s = _problem(alpha=alpha)
    coef = np.random.default_rng(3).normal(size=(3, 6))
    loss, grad = multinomial_loss_grad(coef.ravel(), X, P, y, a, T, s, 0.5, True)
    assert loss == pytest.approx(_formula(coef, X, z, y, a, T, s, 0.5), rel=1e-12)

    c = torch.tensor(coef, dtype=torch.float64, requires_grad=True)
    S = torch.tensor(X) @ c[:, :5].T + c[:, 5]
    P_T = torch.softmax(torch.tensor(z) / T, dim=1)
    soft = -(P_T * torch.log_softmax(S / T, dim=1)).sum(dim=1)
    picked = torch.log_softmax(S, dim=1).gather(
        1, torch.tensor(y).clamp(min=0)[:, None]
    )
    hard = -picked[:, 0] * torch.tensor(y >= 0)
    per_row = torch.tensor(a) * hard + (1 - torch.tensor(a)) * T**2 * soft
    total = (torch.tensor(s) * per_row).sum() + 0.25 * (c[:, :5] ** 2).sum()
    total.backward()
    assert loss == pytest.approx(float(total.detach()), rel=1e-12)
    assert_allclose(grad.reshape(3, 6), c.grad.numpy(), rtol=1e-10, atol=1e-14)


def test_binary_equals_multinomial_with_zero_reference_class(small_blocks):
    X, z, P, y, a, T, s = _problem(k=2)
    w = np.random.default_rng(4).normal(size=6)
    positive = (y == 1).astype(float)
    loss_b, _ = binary_loss_grad(w, X, P[:, 1], positive, a, T, s, 0.0, True)
    coef = np.vstack([np.zeros(6), w]).ravel()
    loss_m, _ = multinomial_loss_grad(coef, X, P, y, a, T, s, 0.0, True)
    assert loss_b == pytest.approx(loss_m, rel=1e-12)


def test_soft_term_alone_needs_no_targets_and_hard_term_alone_no_teacher():
    X, z, P, y, a, T, s = _problem(alpha=1.0)
    y[y < 0] = 0
    a = np.ones(len(y))
    coef = np.random.default_rng(6).normal(size=18)
    with_p = multinomial_loss_grad(coef, X, P, y, a, T, s, 0.1, True)
    without = multinomial_loss_grad(coef, X, None, y, a, T, s, 0.1, True)
    assert with_p[0] == without[0]
    assert_allclose(with_p[1], without[1])


def test_blocks_cover_the_rows_once(small_blocks):
    X = np.arange(40.0)[:, None]
    blocks = _linear_loss._blocks(X, 3)
    assert np.concatenate([X_rows for _, X_rows in blocks]).ravel().tolist() == list(
        range(40)
    )
    assert all(np.shares_memory(X, X_rows) for _, X_rows in blocks)


def test_float32_input_gives_float64_results_close_to_float64():
    X, z, P, y, a, T, s = _problem(n=200)
    coef = np.random.default_rng(5).normal(size=18)
    args = (P, y, a, T, s, 0.1, True)
    loss64, grad64 = multinomial_loss_grad(coef, X, *args)
    loss32, grad32 = multinomial_loss_grad(coef, X.astype(np.float32), *args)
    assert grad32.dtype == np.float64
    assert loss32 == pytest.approx(loss64, rel=1e-5)
    assert_allclose(grad32, grad64, rtol=1e-4, atol=1e-6)


def test_start_targets_are_centred_teacher_logits_mixed_with_clipped_hard_logs():
    z = np.array([[1.0, 2.0, -np.inf], [0.0, 3.0, 1.0], [2.0, 0.0, 0.0]])
    y = np.array([-1, 2, 0])
    a = np.array([0.0, 0.25, 1.0])
    t = start_targets(z, y, a)
    first = np.array([1.0, 2.0, 2.0 - 50.0])  # -inf clipped 50 below the max
    hard = np.log([1e-3, 1e-3, 1.0])
    second = 0.75 * z[1] + 0.25 * hard
    third = np.log([1.0, 1e-3, 1e-3])
    for row, expected in zip(t, [first, second, third]):
        assert_allclose(row, expected - expected.mean())
    binary = start_targets(z[1:, :2], np.array([-1, 1]), np.array([0.0, 0.5]))
    assert_allclose(binary.ravel(), [3.0, 0.5 * (0.0 - 2.0) - 0.5 * np.log(1e-3)])


def _start(z, y, a):
    return lambda rows: start_targets(z[rows], y[rows], a[rows])


def test_initial_coef_solves_weighted_ridge(small_blocks):
    X, z, P, y, a, T, s = _problem(n=100, d=4)
    t = start_targets(z, y, a)
    coef = initial_coef(X, _start(z, y, a), 3, s, 0.3, True)
    W, b = coef[:, :4], coef[:, 4]
    residual = t - X @ W.T - b
    # Stationarity of sum_i s_i |r_i|^2 / 2 + 0.3 / 2 |W|^2 in W and b.
    assert_allclose(-(residual * s[:, None]).T @ X + 0.3 * W, 0, atol=1e-8)
    assert_allclose((residual * s[:, None]).sum(axis=0), 0, atol=1e-10)


def test_initial_coef_recovers_a_linear_teacher():
    rng = np.random.default_rng(7)
    X = rng.normal(size=(300, 4))
    W = rng.normal(size=(3, 4)) * 2
    z = X @ W.T + 1.0
    y, a, s = np.full(300, -1), np.zeros(300), np.full(300, 1 / 300)
    coef = initial_coef(X, _start(z, y, a), 3, s, 0.0, True)
    assert_allclose(coef[:, :4], W - W.mean(axis=0), atol=1e-8)


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
    X, z, P, y, a, T, s = _problem(d=n_features, k=n_classes)
    n_out = 1 if n_classes == 2 else n_classes
    coef = initial_coef(make_X(X), _start(z, y, a), n_out, s, 0.3, True)
    assert_allclose(coef[:, :-1], 0)
    assert_allclose(coef[:, -1], s @ start_targets(z, y, a))


@pytest.mark.parametrize("n_features, n_classes", [(16, 2), (64, 4)])
def test_initial_coef_solves_up_to_16_features_per_output(n_features, n_classes):
    X, z, P, y, a, T, s = _problem(n=200, d=n_features, k=n_classes)
    n_out = 1 if n_classes == 2 else n_classes
    coef = initial_coef(X, _start(z, y, a), n_out, s, 0.3, True)
    assert np.abs(coef[:, :-1]).min() > 0
