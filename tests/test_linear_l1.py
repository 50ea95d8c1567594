"""Sparse linear students: L1 and elastic-net penalties."""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from conftest import load_scaled, random_mlp
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.linear_model import LogisticRegression

from skdistill import DistilledLogisticRegression, TorchTeacher
from skdistill._linear_loss import L1Split, multinomial_loss_grad
from skdistill.targets import replicate_rows, soften


def _real_rows(teacher, **params):
    """The student on the real rows alone (``augment=None``), the fit these
    oracles are of."""
    return DistilledLogisticRegression(teacher, **{"augment": None, **params})


TIGHT = {"tol": 1e-10, "max_iter": 10000}
# saga is the slow exact route: run far past the point where it stops moving.
SAGA = {"solver": "saga", "tol": 1e-12, "max_iter": 100_000, "random_state": 0}


def _saga(C, l1_ratio, X, y, sample_weight=None):
    with warnings.catch_warnings():
        # scikit-learn < 1.8 also wants penalty=; 1.8+ deprecates it.
        warnings.simplefilter("ignore", FutureWarning)
        penalty = "l1" if l1_ratio == 1 else "elasticnet"
        try:
            model = LogisticRegression(C=C, l1_ratio=l1_ratio, **SAGA)
            model.fit(X, y, sample_weight)
        except ValueError:
            model = LogisticRegression(
                C=C, penalty=penalty, l1_ratio=l1_ratio, **SAGA
            ).fit(X, y, sample_weight)
    return model


def _assert_same_sparse_fit(student_coef, student_intercept, coef, intercept):
    # Same support exactly, coefficients within 1e-5. Measured: at most
    # 3.3e-6 apart, where the two objectives differ by 1e-13 (the optimum is
    # that flat; saga at tol=1e-12 is no closer to it).
    assert_array_equal(student_coef == 0, coef == 0)
    assert_allclose(student_coef, coef, rtol=0, atol=1e-5)
    assert_allclose(student_intercept, intercept, rtol=0, atol=1e-5)


PENALTIES = [("l1", None), ("elasticnet", 0.5)]
# The soft oracle's C, away from the points where a coefficient enters the
# support: there the support test is decided by rounding. Measured with the
# random MLP teacher: each support below is the same at 0.97 C and 1.03 C,
# while wine's L1 student at C = 0.1 is entering a coefficient (0.0026).
SOFT_C = {
    ("wine", "l1"): 0.2,
    ("wine", "elasticnet"): 0.1,
    ("breast_cancer", "l1"): 0.1,
    ("breast_cancer", "elasticnet"): 0.1,
}


@pytest.mark.parametrize("name", ["wine", "breast_cancer"])
@pytest.mark.parametrize(("penalty", "l1_ratio"), PENALTIES)
@pytest.mark.parametrize("sparse", [False, True])
def test_oracle_hard_labels_equal_saga(name, penalty, l1_ratio, sparse):
    # alpha=1 is LogisticRegression's objective with the same penalty, at
    # every temperature.
    X, y = load_scaled(name)
    X = sp.csr_matrix(X) if sparse else X
    C = 0.1
    expected = _saga(C, 1.0 if penalty == "l1" else l1_ratio, X, y)
    student = _real_rows(
        LogisticRegression(),
        alpha=1.0,
        temperature=3.0,
        penalty=penalty,
        l1_ratio=l1_ratio,
        C=C,
        **TIGHT,
    ).fit(X, y)
    assert (student.coef_ == 0).sum() > 0  # the penalty does remove features
    _assert_same_sparse_fit(
        student.coef_, student.intercept_, expected.coef_, expected.intercept_
    )


@pytest.mark.parametrize("name", ["wine", "breast_cancer"])
@pytest.mark.parametrize(("penalty", "l1_ratio"), PENALTIES)
def test_oracle_soft_targets_equal_saga_on_replicated_rows(name, penalty, l1_ratio):
    # alpha=0: with deployed coefficients W = T V, the objective is T**2 times
    #   mean CE(P_T, softmax(V x)) + r / (C T n) |V|_1 + (1 - r) / (2 C n) |V|^2,
    # saga's on the replicated rows with 1 / C' = r / (C T) + (1 - r) / C and
    # l1_ratio r' = C' r / (C T).
    X, y = load_scaled(name)
    teacher = TorchTeacher(random_mlp(X.shape[1], len(np.unique(y))), device="cpu")
    T, C = 2.0, SOFT_C[name, penalty]
    r = 1.0 if penalty == "l1" else l1_ratio
    C_saga = 1.0 / (r / (C * T) + (1 - r) / C)
    P = soften(teacher.predict_logits(X), T)
    X_rep, y_rep, w_rep = replicate_rows(X, P, threshold=0.0)
    expected = _saga(C_saga, C_saga * r / (C * T), X_rep, y_rep, w_rep)

    student = _real_rows(
        teacher, temperature=T, penalty=penalty, l1_ratio=l1_ratio, C=C, **TIGHT
    ).fit(X)
    assert (student.coef_ == 0).sum() > 0
    _assert_same_sparse_fit(
        student.coef_, student.intercept_, T * expected.coef_, T * expected.intercept_
    )


def test_elasticnet_ends_are_l2_and_l1():
    X, y = load_scaled("wine")
    fits = {}
    for name, params in {
        "l2": {"penalty": "l2"},
        "l1": {"penalty": "l1"},
        "en0": {"penalty": "elasticnet", "l1_ratio": 0.0},
        "en1": {"penalty": "elasticnet", "l1_ratio": 1.0},
    }.items():
        fits[name] = _real_rows(LogisticRegression(), C=0.05, **params, **TIGHT).fit(
            X, y
        )
    # Measured: 0 and 4e-9 apart (l1_ratio=0 leaves no L1 part to split).
    assert_allclose(fits["en0"].coef_, fits["l2"].coef_, atol=1e-7)
    assert_allclose(fits["en1"].coef_, fits["l1"].coef_, atol=1e-7)
    assert_array_equal(fits["en1"].coef_ == 0, fits["l1"].coef_ == 0)


def test_smaller_c_removes_more_features():
    X, y = load_scaled("breast_cancer")
    teacher = LogisticRegression(max_iter=1000).fit(X, y)
    n_zero = [
        int((_real_rows(teacher, penalty="l1", C=C).fit(X).coef_ == 0).sum())
        for C in (0.01, 0.1, 1.0)
    ]
    assert n_zero[0] > n_zero[1] > n_zero[2]


def test_split_gradient_equals_finite_differences():
    # The split objective f(U - V, b) + l1 sum(U + V), differentiated
    # numerically at a fixed interior point, against L1Split's gradient.
    rng = np.random.default_rng(0)
    n, d, K = 40, 5, 3
    X = rng.standard_normal((n, d))
    P = rng.dirichlet(np.ones(K), size=n)
    y_index = np.full(n, -1)
    a, s = np.zeros(n), np.full(n, 1 / n)
    args = (X, P, y_index, a, 2.0, s, 0.01, True)
    split = L1Split(multinomial_loss_grad, (K, d + 1), 0.3, True)
    x = np.abs(rng.standard_normal(2 * K * d + K)) + 0.1
    loss, grad = split(x, *args)
    W = (x[: K * d] - x[K * d : 2 * K * d]).reshape(K, d)
    coef = np.column_stack([W, x[2 * K * d :].reshape(K, 1)])
    smooth = multinomial_loss_grad(coef.ravel(), *args)[0]
    assert loss == pytest.approx(smooth + 0.3 * x[: 2 * K * d].sum(), rel=1e-12)
    step = 1e-6
    numeric = np.array(
        [
            (split(x + step * e, *args)[0] - split(x - step * e, *args)[0]) / (2 * step)
            for e in np.eye(len(x))
        ]
    )
    assert_allclose(grad, numeric, rtol=0, atol=1e-7)


def test_l1_round_trips_through_to_sklearn():
    X, y = load_scaled("wine")
    student = _real_rows(
        LogisticRegression(), penalty="elasticnet", l1_ratio=0.7, C=0.1
    ).fit(X, y)
    plain = student.to_sklearn()
    assert plain.solver == "saga" and plain.l1_ratio == 0.7
    assert_allclose(plain.predict_proba(X), student.predict_proba(X), atol=1e-12)


def test_elasticnet_without_l1_ratio_says_how_to_fix():
    X, y = load_scaled("wine")
    student = _real_rows(LogisticRegression(), penalty="elasticnet")
    with pytest.raises(ValueError, match=r"l1_ratio=None; pass l1_ratio between 0"):
        student.fit(X, y)


def test_l1_ratio_without_elasticnet_warns():
    X, y = load_scaled("wine")
    student = _real_rows(LogisticRegression(), l1_ratio=0.5)
    with pytest.warns(UserWarning, match=r"l1_ratio=0.5 is used only with") as seen:
        student.fit(X, y)
    assert len(seen) == 1 and seen[0].filename == __file__  # the caller's line


def test_warm_start_from_a_dense_solution_reaches_the_same_sparse_fit():
    X, y = load_scaled("wine")
    cold = _real_rows(LogisticRegression(), penalty="l1", C=0.1, **TIGHT).fit(X, y)
    warm = _real_rows(
        LogisticRegression(), penalty="l2", C=0.1, warm_start=True, **TIGHT
    ).fit(X, y)
    warm.set_params(penalty="l1").fit(X, y)
    assert_array_equal(warm.coef_ == 0, cold.coef_ == 0)
    # As in the oracles: the optimum is flat to 1e-13 over 1e-6 moves.
    assert_allclose(warm.coef_, cold.coef_, rtol=0, atol=1e-5)


def test_probabilities_as_teacher_logits_are_refused():
    X, y = load_scaled("wine")
    P = LogisticRegression(max_iter=1000).fit(X, y).predict_proba(X)
    student = _real_rows(None, penalty="l1")
    with pytest.raises(ValueError, match=r"these are probabilities.*np.log\(P\)"):
        student.fit(X, teacher_logits=P)


def test_infinite_c_is_no_penalty():
    X, y = load_scaled("wine")
    params = {"alpha": 1.0, "temperature": 1.0, **TIGHT}
    unpenalised = _real_rows(
        LogisticRegression(), C=np.inf, penalty="l1", **params
    ).fit(X, y)
    none = _real_rows(LogisticRegression(), penalty=None, **params)
    assert_allclose(unpenalised.coef_, none.fit(X, y).coef_, atol=1e-12)
