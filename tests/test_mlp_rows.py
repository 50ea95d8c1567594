"""The rows a neural student trains on: drawn and labelled on the device."""

import warnings

import numpy as np
import pytest
import torch
from conftest import RowCounter, load_scaled, random_mlp
from numpy.testing import assert_allclose
from sklearn.exceptions import ConvergenceWarning

from skdistill import DistilledMLPClassifier, TorchTeacher
from skdistill._errors import TeacherValueError
from skdistill._mlp_rows import DeviceRows
from skdistill._mlp_train import loss_targets
from skdistill.augment import GaussianNoise, Munge
from skdistill.targets import soften

X, Y = load_scaled("wine")
N, D = X.shape
CPU = torch.device("cpu")


def _real_rows(teacher, T, weights):
    logits = teacher.predict_logits(X)
    hard, soft = loss_targets(soften(logits, T), Y, np.full(N, 0.5), T, weights)
    return {
        name: torch.as_tensor(values, dtype=torch.float32)
        for name, values in (
            ("X", X),
            ("hard_targets", hard),
            ("soft_targets", soft),
            ("weights", weights),
        )
    }


def _epoch(teacher, *, n_copies=3, T=2.0, sd=0.1, clip=True, seed=0):
    """One epoch of DeviceRows on the CPU, as numpy arrays."""
    weights = np.random.default_rng(0).uniform(0.5, 2.0, N)
    real = _real_rows(teacher, T, weights)
    noise = (
        torch.full((D,), sd),
        torch.as_tensor(X.min(axis=0), dtype=torch.float32) if clip else None,
        torch.as_tensor(X.max(axis=0), dtype=torch.float32) if clip else None,
    )
    with teacher._labeller(CPU) as label:
        rows = DeviceRows(
            real,
            noise,
            n_copies,
            label,
            T,
            torch.Generator().manual_seed(seed),
            "DistilledMLPClassifier",
        )
        batches = list(rows.batches(64, torch.Generator().manual_seed(1)))
    return real, [torch.cat(part).numpy() for part in zip(*batches)], weights


def _split(real, epoch):
    """The epoch's real rows and synthetic rows, with each one's source row."""
    X_epoch = epoch[0]
    distances = ((X_epoch[:, None, :] - real["X"].numpy()[None]) ** 2).sum(axis=2)
    source = distances.argmin(axis=1)
    is_real = distances.min(axis=1) == 0
    return is_real, source


def test_synthetic_rows_are_labelled_by_the_teacher_alone():
    # Oracle: the CPU route (TorchTeacher.predict_logits, soften, loss_targets).
    teacher = TorchTeacher(random_mlp(D, 3), device="cpu")
    T = 2.0
    real, (X_e, hard, soft, w), weights = _epoch(teacher, T=T)
    is_real, source = _split(real, (X_e,))
    assert is_real.sum() == N and len(X_e) == N * 4
    # Every real row once, each with its own targets.
    assert sorted(source[is_real]) == list(range(N))
    assert_allclose(soft[is_real], real["soft_targets"].numpy()[source[is_real]])
    assert_allclose(hard[is_real], real["hard_targets"].numpy()[source[is_real]])
    # Three copies of each real row, labelled by the teacher, weighted by
    # their source row, with no hard term.
    synthetic = ~is_real
    assert np.bincount(source[synthetic], minlength=N).tolist() == [3] * N
    expected = soften(teacher.predict_logits(X_e[synthetic], remember=False), T)
    expected *= (weights[source[synthetic]] * T**2)[:, None]
    assert_allclose(soft[synthetic], expected, rtol=1e-5, atol=1e-6)
    assert not hard[synthetic].any()
    assert_allclose(w[synthetic], weights[source[synthetic]], rtol=1e-6)


def test_noise_has_the_asked_spread_and_is_clipped():
    teacher = TorchTeacher(random_mlp(D, 3), device="cpu")
    real, epoch, _ = _epoch(teacher, n_copies=200, sd=0.05, clip=False)
    is_real, source = _split(real, epoch)
    residual = epoch[0][~is_real] - real["X"].numpy()[source[~is_real]]
    # 35 600 draws per feature: the standard deviation within 2 %.
    assert_allclose(residual.std(axis=0), 0.05, rtol=0.02)
    assert_allclose(residual.mean(axis=0), 0.0, atol=0.002)
    _, clipped, _ = _epoch(teacher, n_copies=5, sd=3.0)
    assert (clipped[0] >= X.min(axis=0) - 1e-6).all()
    assert (clipped[0] <= X.max(axis=0) + 1e-6).all()


def _softmax_end(module):
    return torch.nn.Sequential(module, torch.nn.Softmax(dim=1))


@pytest.mark.parametrize(
    "output, make",
    [
        ("logits", lambda: random_mlp(D, 3)),
        ("proba", lambda: _softmax_end(random_mlp(D, 3))),
        (
            "log_proba",
            lambda: torch.nn.Sequential(random_mlp(D, 3), torch.nn.LogSoftmax(dim=1)),
        ),
        ("logits", lambda: random_mlp(D, 1)),
        ("proba", lambda: torch.nn.Sequential(random_mlp(D, 1), torch.nn.Sigmoid())),
    ],
)
def test_the_device_labeller_reads_outputs_as_predict_logits_does(output, make):
    teacher = TorchTeacher(make(), device="cpu", output=output)
    with teacher._labeller(CPU) as label:
        logits = label(torch.as_tensor(X, dtype=torch.float32)).numpy()
    expected = teacher.predict_logits(X, remember=False)
    # float32 on the device path, float64 on the CPU one: compared as
    # distributions, which is all the targets use.
    assert_allclose(soften(logits, 1.0), soften(expected, 1.0), atol=1e-6)


def _routes(monkeypatch):
    """Record which kind of rows each epoch of a fit comes from."""
    from skdistill import _mlp_rows

    seen = []
    for kind in (_mlp_rows.DeviceRows, _mlp_rows.RedrawnRows):
        original = kind.batches

        def batches(self, *args, original=original, name=kind.__name__):
            seen.append(name)
            return original(self, *args)

        monkeypatch.setattr(kind, "batches", batches)
    return seen


def _redrawn(teacher, augment="noise"):
    """A small student fitted for 2 epochs on rows redrawn each epoch."""
    student = DistilledMLPClassifier(
        teacher,
        hidden_layer_sizes=(4,),
        augment=augment,
        redraw=True,
        max_iter=2,
        random_state=0,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return student.fit(X)


def test_rows_are_drawn_on_the_device_beside_a_torch_teacher(monkeypatch):
    seen = _routes(monkeypatch)
    _redrawn(random_mlp(D, 3))
    assert seen == ["DeviceRows", "DeviceRows"]


def test_rows_are_drawn_on_the_cpu_when_the_teacher_cannot_run_there(monkeypatch):
    # With preprocess, or another augmenter, the rows are drawn and labelled
    # the general way: the same counts, other rows.
    seen = _routes(monkeypatch)
    counter = RowCounter(random_mlp(D, 3))
    teacher = TorchTeacher(counter, device="cpu", preprocess=torch.as_tensor)
    with teacher._labeller(CPU) as label:
        assert label is None
    _redrawn(teacher, GaussianNoise(n_copies=2, random_state=0))
    assert counter.rows == N + 2 * 2 * N
    counter.rows = 0
    _redrawn(TorchTeacher(counter, device="cpu"), Munge(n_copies=2, random_state=0))
    assert counter.rows == N + 2 * 2 * N
    assert seen == ["RedrawnRows"] * 4


def test_a_teacher_in_training_mode_is_put_back_in_it():
    module = torch.nn.Sequential(random_mlp(D, 3), torch.nn.Dropout(0.5)).train()
    fitted = _redrawn(module)
    again = _redrawn(module)
    assert module.training and module[1].training
    # Dropout was off while labelling: the same targets, the same student.
    assert_allclose(fitted.coefs_[0], again.coefs_[0])


class _NanAway(torch.nn.Module):
    """Finite logits on the real rows, NaN on rows far from them."""

    def __init__(self):
        super().__init__()
        self.net = random_mlp(D, 3)
        self.limit = float(np.abs(X).max()) + 1.0

    def forward(self, x):
        logits = self.net(x)
        far = (x.abs() > self.limit).any(dim=1, keepdim=True)
        return torch.where(far, torch.nan, logits)


def test_nan_on_synthetic_rows_is_refused_with_its_cause():
    student = DistilledMLPClassifier(
        _NanAway(),
        hidden_layer_sizes=(4,),
        augment=GaussianNoise(scale=5.0, clip=False),
        redraw=True,
        max_iter=2,
        random_state=0,
    )
    with pytest.raises(TeacherValueError, match="synthetic rows drawn this epoch"):
        student.fit(X)
