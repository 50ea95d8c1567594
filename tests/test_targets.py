import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal
from scipy.special import softmax

from skdistill.targets import (
    PROBA_FLOOR,
    mix_hard_labels,
    proba_to_logits,
    replicate_rows,
    soften,
)

TEMPERATURES = [0.05, 0.5, 1.0, 2.0, 10.0, 100.0]


@pytest.mark.parametrize("temperature", TEMPERATURES)
@pytest.mark.parametrize("scale", [1.0, 1e2, 1e4])
def test_soften_is_a_finite_distribution(temperature, scale):
    logits = np.random.default_rng(0).normal(size=(50, 7)) * scale
    logits[0] = [scale, -scale, 0, 0, 0, 0, 0]
    P = soften(logits, temperature)
    assert P.dtype == np.float64
    assert np.isfinite(P).all()
    assert (P >= 0).all()
    assert_allclose(P.sum(axis=1), 1.0, rtol=0, atol=1e-12)


@pytest.mark.parametrize("temperature", TEMPERATURES)
def test_soften_equals_softmax_of_scaled_logits(temperature):
    logits = np.random.default_rng(1).normal(size=(20, 4))
    expected = softmax(logits / temperature, axis=1)
    assert_allclose(soften(logits, temperature), expected, rtol=1e-12, atol=1e-300)


def test_soften_extreme_logits_exact():
    P = soften(np.array([[1e4, -1e4], [1e4, 1e4 - np.log(3.0)]]), 1.0)
    assert_allclose(P, [[1.0, 0.0], [0.75, 0.25]], rtol=1e-12, atol=0)
    # At T = 100 the gap of 2e4 becomes 200: still exactly representable.
    assert_allclose(soften(np.array([[1e4, -1e4]]), 100.0)[0, 1], np.exp(-200.0))


def test_soften_shift_invariant_and_flattens_with_temperature():
    rng = np.random.default_rng(2)
    logits = rng.normal(size=(30, 5)) * 3
    shifted = logits + rng.normal(size=(30, 1)) * 1e3
    assert_allclose(soften(logits, 2.0), soften(shifted, 2.0), rtol=1e-9)
    entropies = [
        -(soften(logits, t) * np.log(soften(logits, t))).sum(axis=1)
        for t in [0.5, 1, 2, 4, 8]
    ]
    assert all((b > a).all() for a, b in zip(entropies, entropies[1:]))
    assert_allclose(soften(logits, 1e8), 1 / 5, rtol=1e-6)


def test_soften_accepts_minus_inf():
    P = soften(np.array([[0.0, -np.inf, np.log(3.0)]]), 5.0)
    assert_allclose(P, [[1 / (1 + 3**0.2), 0.0, 3**0.2 / (1 + 3**0.2)]], rtol=1e-12)


@pytest.mark.parametrize("alpha", [0.0, 0.3, 1.0])
def test_mix_hard_labels(alpha):
    P = soften(np.random.default_rng(3).normal(size=(10, 3)), 1.0)
    y_index = np.arange(10) % 3
    Q = mix_hard_labels(P, y_index, alpha)
    expected = (1 - alpha) * P + alpha * np.eye(3)[y_index]
    assert_allclose(Q, expected, rtol=1e-15, atol=1e-16)
    assert_allclose(Q.sum(axis=1), 1.0, atol=1e-12)
    assert Q is not P
    Q_in_place = mix_hard_labels(P, y_index, alpha, copy=False)
    assert Q_in_place is P
    assert_allclose(P, expected, rtol=1e-15, atol=1e-16)


def test_mix_hard_labels_needs_labels():
    with pytest.raises(ValueError, match="alpha > 0 needs y_index"):
        mix_hard_labels(np.full((2, 2), 0.5), None, 0.5)


def test_proba_to_logits_round_trip_and_zeros():
    proba = np.array([[0.2, 0.8, 0.0], [1.0, 0.0, 0.0], [1 / 3, 1 / 3, 1 / 3]])
    logits = proba_to_logits(proba)
    assert np.isfinite(logits).all()
    assert logits.min() == pytest.approx(np.log(PROBA_FLOOR))
    assert_allclose(soften(logits, 1.0), proba, rtol=1e-12, atol=1e-290)
    # A zero keeps (1e-300) ** (1 / T) of the weight of a sure class: 1e-3 at
    # the hottest temperature we support, 1e-30 at T = 10.
    hot = soften(logits, 100.0)
    assert hot[1, 1] / hot[1, 0] == pytest.approx(1e-3, rel=1e-9)
    assert soften(logits, 10.0)[1, 1] < 1e-29


@pytest.mark.parametrize("container", [np.asarray, sp.csr_matrix, sp.csr_array])
def test_replicate_rows(container):
    X = np.arange(12, dtype=float).reshape(4, 3)
    Q = np.array([[0.5, 0.5, 0.0], [1e-9, 0.3, 0.7 - 1e-9], [0, 0, 1], [0.2, 0.2, 0.6]])
    w = np.array([1.0, 2.0, 3.0, 0.5])
    X_rep, y_rep, w_rep = replicate_rows(container(X), Q, w)
    assert_array_equal(y_rep, [0, 1, 1, 2, 2, 0, 1, 2])
    rows = [0, 0, 1, 1, 2, 3, 3, 3]
    X_rep = X_rep.toarray() if sp.issparse(X_rep) else X_rep
    assert_array_equal(X_rep, X[rows])
    assert_allclose(w_rep, w[rows] * Q[rows, y_rep])
    # Every kept weight adds up to the original weight minus what was dropped.
    assert_allclose(np.bincount(rows, w_rep), w * (Q * (Q > 1e-8)).sum(axis=1))


def test_replicate_rows_threshold_zero_keeps_every_positive():
    Q = np.array([[1e-12, 1 - 1e-12]])
    _, y_rep, w_rep = replicate_rows(np.ones((1, 2)), Q, threshold=0.0)
    assert_array_equal(y_rep, [0, 1])
    assert_allclose(w_rep, Q[0])
