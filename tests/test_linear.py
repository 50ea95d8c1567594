import pickle

import numpy as np
import pytest
import scipy.sparse as sp
import torch
from conftest import load_scaled, random_mlp
from numpy.testing import assert_allclose, assert_array_equal
from scipy.special import softmax
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression

from skdistill import DistilledLogisticRegression, TorchTeacher
from skdistill.targets import replicate_rows, soften


def _real_rows(teacher, **params):
    """The student on the real rows alone (``augment=None``), the fit these
    oracles are of."""
    return DistilledLogisticRegression(teacher, **{"augment": None, **params})


TIGHT = {"tol": 1e-10, "max_iter": 10000}


def _teacher_scale_proba(model, X, temperature):
    """Probabilities of a model fitted at temperature T, on the teacher's scale."""
    scores = model.decision_function(X)
    if scores.ndim == 1:
        scores = np.column_stack([np.zeros_like(scores), scores])
    return softmax(temperature * scores, axis=1)


@pytest.mark.parametrize("name", ["wine", "digits", "breast_cancer"])
@pytest.mark.parametrize("temperature", [1.0, 4.0])
def test_oracle_hard_labels_equal_logistic_regression(name, temperature):
    # alpha=1: only the hard term at T = 1, so this is LogisticRegression at
    # every temperature.
    X, y = load_scaled(name)
    expected = LogisticRegression(C=0.5, **TIGHT).fit(X, y)
    student = _real_rows(
        LogisticRegression(), alpha=1.0, temperature=temperature, C=0.5, **TIGHT
    ).fit(X, y)
    # Measured: at most 6.5e-7 apart.
    assert_allclose(student.predict_proba(X), expected.predict_proba(X), atol=1e-5)
    assert_allclose(student.coef_, expected.coef_, atol=1e-4)
    assert_array_equal(student.predict(X), expected.predict(X))


@pytest.mark.parametrize("name", ["wine", "digits", "breast_cancer"])
@pytest.mark.parametrize("sparse", [False, True])
def test_oracle_soft_targets_equal_replicated_rows(name, sparse):
    # alpha=0: T**2 CE(P_T, softmax(s / T)) + |W|^2 / (2 C n) is, with
    # s = T u, T**2 times the soft-label weighting objective of u at the same
    # C: the slow exact route, multiplied back by T.
    X, y = load_scaled(name)
    n_classes = len(np.unique(y))
    teacher = TorchTeacher(random_mlp(X.shape[1], n_classes), device="cpu")
    T = 2.0
    P = soften(teacher.predict_logits(X), T)
    X_fit = sp.csr_matrix(X) if sparse else X
    X_rep, y_rep, w_rep = replicate_rows(X_fit, P, threshold=0.0)
    reference = LogisticRegression(C=0.5, **TIGHT).fit(X_rep, y_rep, w_rep)

    student = _real_rows(teacher, temperature=T, C=0.5, **TIGHT)
    student.fit(X_fit, y)
    # Measured: at most 1.4e-6 apart.
    assert_allclose(
        student.predict_proba(X_fit), _teacher_scale_proba(reference, X, T), atol=1e-5
    )


@pytest.mark.parametrize("n_classes", [2, 3])
@pytest.mark.parametrize("weighted", [False, True])
def test_gradient_of_hintons_loss_vanishes_at_the_fit(n_classes, weighted):
    # The formula, computed here by torch's autograd, independently of the
    # library's loss: alpha CE(y, softmax(s)) + (1 - alpha) T^2 CE(P_T,
    # softmax(s / T)), weighted, plus |W|^2 / (2 C sum(w)).
    X, y = load_scaled("wine")
    keep = y < n_classes
    X, y = X[keep], y[keep]
    teacher = TorchTeacher(random_mlp(X.shape[1], n_classes), device="cpu")
    alpha, T, C = 0.5, 3.0, 0.7
    w = np.random.default_rng(0).uniform(0.5, 2, len(y)) if weighted else None
    student = _real_rows(teacher, temperature=T, alpha=alpha, C=C, **TIGHT).fit(
        X, y, sample_weight=w
    )

    weights = torch.tensor(np.ones(len(y)) if w is None else w)
    coef = torch.tensor(student.coef_, requires_grad=True)
    intercept = torch.tensor(student.intercept_, requires_grad=True)
    S = torch.tensor(X) @ coef.T + intercept
    if n_classes == 2:  # one logit z means [0, z]
        S = torch.cat([torch.zeros_like(S), S], dim=1)
    P_T = torch.softmax(torch.tensor(teacher.predict_logits(X)) / T, dim=1)
    hard = -torch.log_softmax(S, dim=1)[np.arange(len(y)), y]
    soft = -(P_T * torch.log_softmax(S / T, dim=1)).sum(dim=1)
    loss = (weights * (alpha * hard + (1 - alpha) * T**2 * soft)).sum()
    objective = loss / weights.sum() + (coef**2).sum() / (2 * C * weights.sum())
    objective.backward()
    # Measured: at most 3e-8 (L-BFGS stops on its ftol there); a component
    # of the gradient at the hard-label fit is about 0.1.
    assert float(coef.grad.abs().max()) < 1e-6
    assert float(intercept.grad.abs().max()) < 1e-6


@pytest.mark.parametrize("n_classes", [2, 4])
def test_oracle_linear_teacher_is_recovered(n_classes):
    # Softened targets of a linear teacher are exactly representable, so the
    # student recovers the teacher's own T = 1 probabilities.
    X, _ = load_scaled("wine")
    torch.manual_seed(0)
    linear = torch.nn.Linear(X.shape[1], n_classes).double()
    teacher = TorchTeacher(linear, device="cpu")
    student = _real_rows(teacher, temperature=3.0, C=1e6, **TIGHT)
    student.fit(X)
    # Measured: 1.2e-8 apart; the bar is 1e-3.
    assert_allclose(student.predict_proba(X), teacher.predict_proba(X), atol=1e-6)
    unpenalised = _real_rows(teacher, temperature=3.0, penalty=None, **TIGHT).fit(X)
    assert_allclose(unpenalised.predict_proba(X), teacher.predict_proba(X), atol=1e-6)


@pytest.mark.parametrize("name", ["wine", "breast_cancer"])
def test_oracle_integer_sample_weight_equals_repeated_rows(name):
    X, y = load_scaled(name)
    weights = np.random.default_rng(0).integers(0, 4, size=len(y))
    teacher = TorchTeacher(random_mlp(X.shape[1], len(np.unique(y))), device="cpu")
    params = {"temperature": 2.0, "alpha": 0.3, **TIGHT}
    weighted = _real_rows(teacher, **params)
    weighted.fit(X, y, sample_weight=weights)
    repeated = _real_rows(teacher, **params)
    repeated.fit(np.repeat(X, weights, axis=0), np.repeat(y, weights))
    # The objectives are identical; only where L-BFGS stops differs.
    assert_allclose(weighted.predict_proba(X), repeated.predict_proba(X), atol=1e-5)
    assert_allclose(weighted.coef_, repeated.coef_, atol=1e-4)


def test_penalty_none_and_no_intercept_equal_logistic_regression():
    X, y = load_scaled("wine")
    X = X[:, :3]  # not separable, so the unpenalised optimum is finite
    expected = LogisticRegression(C=np.inf, fit_intercept=False, **TIGHT).fit(X, y)
    student = _real_rows(
        LogisticRegression(),
        alpha=1.0,
        temperature=1.0,
        penalty=None,
        fit_intercept=False,
        **TIGHT,
    ).fit(X, y)
    assert_allclose(student.predict_proba(X), expected.predict_proba(X), atol=1e-5)
    assert_array_equal(student.intercept_, 0.0)


@pytest.mark.parametrize("name", ["wine", "breast_cancer"])
def test_to_sklearn_is_a_plain_equivalent_logistic_regression(name):
    X, y = load_scaled(name)
    teacher = TorchTeacher(random_mlp(X.shape[1], len(np.unique(y))), device="cpu")
    student = _real_rows(teacher, temperature=3.0).fit(X)
    plain = student.to_sklearn()
    assert type(plain) is LogisticRegression
    assert np.abs(plain.predict_proba(X) - student.predict_proba(X)).max() < 1e-6
    assert_array_equal(plain.predict(X), student.predict(X))
    assert_allclose(plain.decision_function(X), student.decision_function(X))
    assert b"torch" not in pickle.dumps(plain)
    assert b"skdistill" not in pickle.dumps(plain)


def test_float32_stays_float32_and_matches_float64():
    X, y = load_scaled("digits")
    teacher = TorchTeacher(random_mlp(X.shape[1], 10), device="cpu")
    s64 = _real_rows(teacher, tol=1e-8, max_iter=2000).fit(X)
    s32 = _real_rows(teacher, tol=1e-8, max_iter=2000)
    s32.fit(X.astype(np.float32))
    assert_allclose(s32.predict_proba(X), s64.predict_proba(X), atol=1e-4)


def test_convergence_warning_names_the_fix():
    X, y = load_scaled("digits")
    student = _real_rows(LogisticRegression(), max_iter=1)
    with pytest.warns(ConvergenceWarning, match="max_iter=1 .*increase max_iter"):
        student.fit(X, y)
    assert student.n_iter_[0] == 1


def test_warm_start_starts_from_the_previous_solution():
    X, y = load_scaled("digits")
    student = _real_rows(LogisticRegression(), warm_start=True)
    student.fit(X, y)
    first = student.n_iter_[0]
    student.fit(X, y)
    assert student.n_iter_[0] < first / 4
    cold = _real_rows(LogisticRegression()).fit(X, y)
    assert_allclose(student.predict_proba(X), cold.predict_proba(X), atol=1e-3)


def test_ridge_start_saves_iterations():
    X, y = load_scaled("digits")
    teacher = TorchTeacher(random_mlp(X.shape[1], 10), device="cpu")
    student = _real_rows(teacher, **TIGHT).fit(X)
    zero_start = _real_rows(teacher, warm_start=True, **TIGHT)
    zero_start.coef_ = np.zeros_like(student.coef_)
    zero_start.intercept_ = np.zeros_like(student.intercept_)
    zero_start.fit(X)
    assert student.n_iter_[0] < zero_start.n_iter_[0]
    assert_allclose(student.predict_proba(X), zero_start.predict_proba(X), atol=1e-5)


def test_probability_methods_agree():
    X, y = load_scaled("breast_cancer")
    student = _real_rows(LogisticRegression()).fit(X, y)
    scores = student.decision_function(X)
    assert scores.shape == (len(y),)
    proba = student.predict_proba(X)
    assert_allclose(proba[:, 1], 1 / (1 + np.exp(-scores)))
    assert_allclose(student.predict_log_proba(X), np.log(proba), atol=1e-12)
    assert_array_equal(student.predict(X), student.classes_[proba.argmax(axis=1)])


def test_classes_are_all_teacher_classes_even_when_y_lacks_one():
    X, y = load_scaled("wine")
    teacher = TorchTeacher(
        random_mlp(X.shape[1], 3), device="cpu", classes=["a", "b", "c"]
    )
    labels = np.array(["a", "b", "c"])[y]
    keep = labels != "c"
    student = _real_rows(teacher, alpha=0.5)
    student.fit(X[keep], labels[keep])
    assert_array_equal(student.classes_, ["a", "b", "c"])
    assert student.predict_proba(X).shape == (len(X), 3)
    assert set(student.predict(X)) <= {"a", "b", "c"}


def test_learns_from_the_teacher_alone_without_y():
    X, y = load_scaled("wine")
    teacher = LogisticRegression().fit(X, y)
    student = _real_rows(teacher).fit(X)
    assert_array_equal(student.classes_, [0, 1, 2])
    assert student.score(X, y) > 0.95


def test_verbose_prints_and_silent_by_default(capsys):
    X, y = load_scaled("wine")
    _real_rows(LogisticRegression()).fit(X, y)
    assert capsys.readouterr().out == ""
    _real_rows(LogisticRegression(), verbose=1).fit(X, y)
    assert "L-BFGS iterations" in capsys.readouterr().out


def test_mixed_and_object_labels_keep_their_types():
    X, y = load_scaled("wine")
    classes = np.array(["a", "b", "c"], dtype=object)
    teacher = TorchTeacher(random_mlp(X.shape[1], 3), device="cpu", classes=classes)
    student = _real_rows(teacher, alpha=0.5).fit(X, classes[y])
    assert student.classes_.tolist() == ["a", "b", "c"]
    assert student.predict(X[:3]).tolist() == classes[y[:3]].tolist()
    numeric = TorchTeacher(random_mlp(X.shape[1], 3), classes=[10, 20, 30])
    student = _real_rows(numeric, alpha=0.5).fit(X, 10 * (y + 1))
    assert student.predict(X[:3]).dtype.kind == "i"


def test_a_failed_refit_leaves_the_fitted_student_unchanged():
    X, y = load_scaled("wine")
    teacher = TorchTeacher(random_mlp(X.shape[1], 3), device="cpu")
    student = _real_rows(teacher).fit(X)
    before = student.predict_proba(X)
    other = TorchTeacher(random_mlp(X.shape[1], 3), classes=["x", "y", "z"])
    student.set_params(teacher=other, alpha=0.5)
    with pytest.raises(ValueError, match="not among the teacher's classes"):
        student.fit(X, y)
    assert student.teacher_ is teacher
    assert_array_equal(student.classes_, [0, 1, 2])
    assert_allclose(student.predict_proba(X), before)


def test_coef_table_and_top_features():
    import pandas as pd

    X, y = load_scaled("wine")
    names = [f"f{i}" for i in range(X.shape[1])]
    student = _real_rows(LogisticRegression()).fit(pd.DataFrame(X, columns=names), y)
    table = student.coef_table()
    assert isinstance(table, pd.DataFrame)
    assert len(table) == 3 * 13
    for label, block in table.groupby("class"):
        magnitudes = block["coefficient"].abs().to_numpy()
        assert (np.diff(magnitudes) <= 0).all()
        row = student.coef_[list(student.classes_).index(label)]
        assert block.iloc[0]["coefficient"] == row[np.argmax(np.abs(row))]
    top = student.top_features(k=2)
    assert [len(v) for v in top.values()] == [2, 2, 2]
    assert top[0][0] == tuple(
        table[table["class"] == 0].iloc[0][["feature", "coefficient"]]
    )


def test_coef_table_binary_has_one_block():
    X, y = load_scaled("breast_cancer")
    student = _real_rows(LogisticRegression()).fit(X, y)
    table = student.coef_table()
    assert set(table["class"]) == {1}
    assert table.iloc[0]["feature"].startswith("x")
    magnitudes = table["coefficient"].abs().to_numpy()
    assert (np.diff(magnitudes) <= 0).all()
    assert magnitudes[0] == np.abs(student.coef_).max()
    for k in [0, -1, 1.5]:
        with pytest.raises(ValueError, match="needs a positive integer k"):
            student.top_features(k)
