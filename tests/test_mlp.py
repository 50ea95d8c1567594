"""DistilledMLPClassifier: its loss, its training, its export."""

import pickle
import warnings

import numpy as np
import pytest
import torch
from conftest import RowCounter, load_scaled, predict_without_torch, random_mlp
from numpy.testing import assert_allclose, assert_array_equal
from scipy.special import log_softmax, softmax
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.neural_network import MLPClassifier

from skdistill import DistilledMLPClassifier, fidelity_score
from skdistill._mlp_train import distillation_loss, init_params, loss_targets
from skdistill.augment import GaussianNoise

X, Y = load_scaled("wine")
N, D = X.shape
TEACHER = LogisticRegression(max_iter=1000).fit(X, Y)


def _student(**params):
    defaults = {
        "hidden_layer_sizes": (8,),
        "learning_rate_init": 0.01,
        "max_iter": 30,
        "random_state": 0,
        # The training itself, on the real rows; "auto" is tested in
        # test_auto_augment.py.
        "augment": None,
    }
    return DistilledMLPClassifier(TEACHER, **{**defaults, **params})


def _fit(student, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return student.fit(*args, **kwargs)


@pytest.mark.parametrize("temperature", [1.0, 3.0])
def test_loss_and_its_gradient_match_the_formula(temperature, rng):
    # The loss and its gradient in the student's logits, at a fixed point,
    # against an independent NumPy computation of Hinton's formula.
    n, K = 7, 4
    s = rng.normal(size=(n, K)) * 2
    P = softmax(rng.normal(size=(n, K)) / temperature, axis=1)
    y = rng.integers(0, K, n)
    y[:2] = -1  # unlabelled rows: the soft term only
    a = np.where(y >= 0, 0.3, 0.0)
    w = rng.uniform(0.5, 2.0, n)
    T = temperature
    hard, soft = loss_targets(P, y, a, T, w)
    logits = torch.tensor(s, requires_grad=True)
    loss = distillation_loss(
        logits, torch.tensor(hard), torch.tensor(soft), T, float(w.sum())
    )
    loss.backward()

    onehot = np.zeros((n, K))
    onehot[y >= 0, y[y >= 0]] = 1
    per_row = -a * (onehot * log_softmax(s, axis=1)).sum(1) - (1 - a) * T**2 * (
        P * log_softmax(s / T, axis=1)
    ).sum(1)
    expected_loss = (w * per_row).sum() / w.sum()
    gradient = (
        w[:, None]
        / w.sum()
        * (
            a[:, None] * (softmax(s, axis=1) - onehot)
            + (1 - a[:, None]) * T * (softmax(s / T, axis=1) - P)
        )
    )
    # float64 throughout: agreement to rounding.
    assert float(loss.detach()) == pytest.approx(expected_loss, rel=1e-12)
    assert_allclose(logits.grad.numpy(), gradient, rtol=1e-10, atol=1e-14)


def test_alpha_one_at_t_one_is_plain_cross_entropy_training():
    # A teacher of noise: at alpha=1 it must not matter.
    def noise(rows):
        return np.random.default_rng(len(rows)).normal(size=(len(rows), 3))

    params = {"hidden_layer_sizes": (6,), "batch_size": 32, "l2_alpha": 1e-3}
    student = DistilledMLPClassifier(
        noise,
        alpha=1.0,
        temperature=1.0,
        learning_rate_init=0.01,
        max_iter=5,
        tol=0.0,
        random_state=0,
        **params,
    )
    _fit(student, X, Y)

    # The same training written out with torch's own pieces: scikit-learn's
    # initialisation drawn from the same seed, the rows in the same order,
    # cross-entropy, the L2 penalty in the loss, torch.optim.Adam.
    rng = np.random.RandomState(0)
    coefs, intercepts = init_params([D, 6, 3], "relu", rng)
    generator = torch.Generator().manual_seed(int(rng.randint(np.iinfo(np.int32).max)))
    W = [torch.tensor(c, dtype=torch.float32, requires_grad=True) for c in coefs]
    b = [torch.tensor(c, dtype=torch.float32, requires_grad=True) for c in intercepts]
    optimizer = torch.optim.Adam([*W, *b], lr=0.01)
    inputs, labels = torch.tensor(X, dtype=torch.float32), torch.tensor(Y)
    for _ in range(5):
        order = torch.randperm(N, generator=generator)
        for batch in order.split(32):
            optimizer.zero_grad()
            hidden = torch.relu(inputs[batch] @ W[0] + b[0])
            loss = torch.nn.functional.cross_entropy(
                hidden @ W[1] + b[1], labels[batch]
            )
            loss = loss + 1e-3 / (2 * len(batch)) * sum((w**2).sum() for w in W)
            loss.backward()
            optimizer.step()
    # float32 training, and torch's Adam adds eps after the bias correction
    # of sqrt(v) where scikit-learn's adds it before: 1e-5 after 30 steps.
    for got, expected in zip(student.coefs_ + student.intercepts_, W + b):
        assert_allclose(got, expected.detach().numpy(), atol=1e-5)


@pytest.mark.parametrize("activation", ["relu", "tanh", "logistic", "identity"])
@pytest.mark.parametrize("n_classes", [2, 3])
def test_to_sklearn_predicts_the_same_probabilities(activation, n_classes):
    keep = Y < n_classes
    teacher = LogisticRegression(max_iter=1000).fit(X[keep], Y[keep])
    student = _fit(_student(activation=activation).set_params(teacher=teacher), X[keep])
    plain = student.to_sklearn()
    assert isinstance(plain, MLPClassifier)
    assert plain.out_activation_ == ("logistic" if n_classes == 2 else "softmax")
    # The same float64 network: equal to rounding (the issue asks for 1e-5).
    assert_allclose(plain.predict_proba(X), student.predict_proba(X), atol=1e-12)
    assert_array_equal(plain.predict(X), student.predict(X))
    assert_array_equal(plain.classes_, student.classes_)


def test_exported_network_round_trips_through_skops_and_onnx():
    import onnxruntime
    import skops.io as sio
    from skl2onnx import to_onnx

    student = _fit(_student(), X, Y)
    plain = student.to_sklearn()
    data = sio.dumps(plain)
    assert not sio.get_untrusted_types(data=data)
    assert_array_equal(sio.loads(data).predict(X), student.predict(X))
    model = to_onnx(
        plain, X[:1].astype(np.float32), options={id(plain): {"zipmap": False}}
    )
    session = onnxruntime.InferenceSession(
        model.SerializeToString(), providers=["CPUExecutionProvider"]
    )
    labels, proba = session.run(None, {session.get_inputs()[0].name: X.astype("f4")})
    assert_array_equal(labels, student.predict(X))
    assert_allclose(proba, student.predict_proba(X), atol=1e-5)  # float32


def test_training_is_deterministic_under_random_state():
    first = _fit(_student(augment="noise"), X)
    second = _fit(_student(augment="noise"), X)
    for a, b in zip(
        first.coefs_ + first.intercepts_, second.coefs_ + second.intercepts_
    ):
        assert_array_equal(a, b)
    assert first.loss_curve_ == second.loss_curve_


def test_uniform_weights_change_nothing():
    # The loss is a weighted mean, so weights of 2 everywhere are weights of 1.
    plain = _fit(_student(), X)
    doubled = _fit(_student(), X, sample_weight=np.full(N, 2.0))
    for a, b in zip(plain.coefs_, doubled.coefs_):
        assert_allclose(a, b, rtol=1e-6, atol=1e-7)


def test_convergence_warning_and_attributes():
    with pytest.warns(ConvergenceWarning, match="stopped at max_iter=3 epochs"):
        student = _student(max_iter=3).fit(X)
    assert student.n_iter_ == 3 and len(student.loss_curve_) == 3
    assert student.loss_ == student.loss_curve_[-1]
    assert student.best_loss_ == min(student.loss_curve_)
    assert student.validation_scores_ is None and student.t_ == 3 * N
    assert [W.shape for W in student.coefs_] == [(D, 8), (8, 3)]
    converged = _student(max_iter=500, tol=1e-2, n_iter_no_change=2)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        converged.fit(X)
    assert converged.n_iter_ < 500


def test_early_stopping_keeps_the_best_weights():
    student = _fit(
        _student(early_stopping=True, validation_fraction=0.2, max_iter=60), X
    )
    assert len(student.validation_scores_) == student.n_iter_
    assert student.best_validation_score_ == max(student.validation_scores_)
    assert student.best_loss_ is None
    assert student.t_ == (N - round(0.2 * N)) * student.n_iter_


def test_warm_start_goes_on_from_the_last_weights():
    student = _fit(_student(warm_start=True, max_iter=20), X)
    first = student.loss_curve_
    _fit(student, X)
    assert student.loss_curve_[0] < first[0]
    assert student.loss_curve_[0] <= first[-1] * 1.05


def test_a_search_shares_one_teacher_and_runs_each_row_once():
    counter = RowCounter(random_mlp(D, 3))
    search = GridSearchCV(
        # The real rows: synthetic rows are new in each fit, never cached.
        DistilledMLPClassifier(
            counter, learning_rate_init=0.01, max_iter=20, random_state=0, augment=None
        ),
        {"temperature": [1.0, 4.0], "hidden_layer_sizes": [(4,), (8,)]},
        cv=3,
    )
    _fit(search, X)
    assert counter.rows == N
    assert search.best_estimator_.teacher_.module is counter


def test_student_predicts_without_torch_after_pickling(tmp_path):
    student = _fit(_student(), X)
    proba = predict_without_torch(student.to_sklearn(), X, tmp_path, "predict_proba")
    assert_allclose(proba, student.predict_proba(X), atol=1e-12)
    loaded = pickle.loads(pickle.dumps(student))
    assert_array_equal(loaded.predict(X), student.predict(X))


def test_distilled_network_follows_its_teacher():
    student = _fit(_student(hidden_layer_sizes=(16,), max_iter=200), X)
    assert fidelity_score(student, X) > 0.97


@pytest.mark.parametrize(
    "params, error, message",
    [
        (
            {"hidden_layer_sizes": (8, 0)},
            ValueError,
            r"hidden_layer_sizes=\(8, 0\) must hold positive integers",
        ),
        (
            {"early_stopping": True, "validation_fraction": 0.001},
            ValueError,
            "validation_fraction=0.001 of 178 transfer rows leaves 0 held out",
        ),
        ({"l2_alpha": -1.0}, ValueError, "'l2_alpha' parameter of Distilled"),
    ],
)
def test_bad_parameters_are_named(params, error, message):
    with pytest.raises(error, match=message):
        _student(**params).fit(X)


@pytest.mark.skipif(torch.cuda.is_available(), reason="CUDA is present")
def test_cuda_without_a_gpu_names_the_fix():
    with pytest.raises(ValueError, match="device='cuda' but CUDA is not available"):
        _student(device="cuda").fit(X)


def test_batch_larger_than_the_rows_is_clipped_with_a_warning():
    with pytest.warns(UserWarning, match="batch_size=500 is larger than the 178"):
        _fit(_student(batch_size=500, max_iter=2), X)


def test_clone_keeps_the_teacher_and_the_parameters():
    student = _student(hidden_layer_sizes=(4, 4), l2_alpha=0.1)
    copy = clone(student)
    assert copy.teacher is TEACHER
    assert copy.get_params() == student.get_params()


def test_redraw_labels_fresh_rows_each_epoch():
    counter = RowCounter(random_mlp(D, 3))
    student = DistilledMLPClassifier(
        counter,
        hidden_layer_sizes=(8,),
        augment=GaussianNoise(n_copies=2, random_state=0),
        redraw=True,
        max_iter=3,
        random_state=0,
    )
    _fit(student, X)
    # The real rows once (then cached), two fresh copies in each epoch.
    assert counter.rows == N + 3 * 2 * N
    assert student.t_ == 3 * 3 * N
    again = _fit(clone(student), X)
    for a, b in zip(student.coefs_, again.coefs_):
        assert_array_equal(a, b)
    fixed = _fit(clone(student).set_params(redraw=False), X)
    assert not np.array_equal(fixed.coefs_[0], student.coefs_[0])


def test_redraw_without_augment_changes_nothing():
    plain = _fit(_student(), X)
    redraw = _fit(_student(redraw=True), X)
    for a, b in zip(plain.coefs_, redraw.coefs_):
        assert_array_equal(a, b)


def test_rows_of_weight_zero_are_left_out():
    # A batch of zero-weight rows alone would divide 0 by 0.
    weights = np.r_[np.zeros(100), np.ones(N - 100)]
    student = _fit(_student(batch_size=10), X, sample_weight=weights)
    assert np.isfinite(student.loss_curve_).all()
    assert np.isfinite(student.predict_proba(X)).all()
    kept = _fit(_student(batch_size=10), X[100:])
    for a, b in zip(student.coefs_, kept.coefs_):
        assert_array_equal(a, b)


def test_unusable_device_names_the_fix():
    with pytest.raises(ValueError, match="device='mps' is not usable on this"):
        _student(device="mps").fit(X)
