"""GPU behaviour; every test here needs CUDA and is skipped without it."""

import os
import pickle
import subprocess
import sys

import numpy as np
import pytest
import torch
from conftest import load_scaled, random_mlp
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.linear_model import Ridge
from sklearn.metrics import r2_score

from skdistill import (
    DistilledLogisticRegression,
    DistilledMLPClassifier,
    DistilledRegressor,
    TorchTeacher,
    fidelity_score,
)

pytestmark = [
    pytest.mark.gpu,
    pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device"),
]


def test_auto_device_runs_on_cuda():
    X, y = load_scaled("digits")
    module = random_mlp(X.shape[1], 10)
    teacher = TorchTeacher(module, device="auto")
    logits = teacher.predict_logits(X)
    assert next(module.parameters()).device.type == "cuda"
    cpu = TorchTeacher(random_mlp(X.shape[1], 10), device="cpu").predict_logits(X)
    assert_allclose(logits, cpu, rtol=1e-6, atol=1e-8)


def test_bfloat16_autocast_on_cuda_is_close_to_float32():
    X, y = load_scaled("digits")
    module = random_mlp(X.shape[1], 10).float()
    full = TorchTeacher(module, device="cuda").predict_logits(X)
    low = TorchTeacher(module, device="cuda", dtype="bfloat16").predict_logits(X)
    assert 0 < np.abs(low - full).max() < 0.03 * np.ptp(full)
    assert (low.argmax(axis=1) == full.argmax(axis=1)).mean() > 0.95


class _Hungry(torch.nn.Module):
    """Allocates a sixth of the card's memory per row: large batches OOM."""

    def __init__(self):
        super().__init__()
        self.linear = torch.nn.Linear(4, 3)
        total = torch.cuda.get_device_properties(0).total_memory
        self.floats_per_row = total // 6 // 4
        self.batches = []

    def forward(self, x):
        scratch = torch.empty(x.shape[0], self.floats_per_row, device=x.device)
        self.batches.append(x.shape[0])
        del scratch
        return self.linear(x)


def test_real_out_of_memory_is_survived():
    module = _Hungry()
    X = np.random.default_rng(0).normal(size=(40, 4))
    teacher = TorchTeacher(module, device="cuda", batch_size=64, cache=False)
    logits = teacher.predict_logits(X)
    assert max(module.batches) <= 4
    expected = TorchTeacher(module.linear, device="cpu").predict_logits(X)
    assert_allclose(logits, expected, rtol=1e-5, atol=1e-6)
    torch.cuda.empty_cache()


def test_student_fitted_on_cuda_loads_on_a_cpu_only_machine(tmp_path):
    X, y = load_scaled("wine")
    teacher = TorchTeacher(random_mlp(X.shape[1], 3), device="auto")
    student = DistilledLogisticRegression(teacher).fit(X, y)
    path = tmp_path / "student.pkl"
    path.write_bytes(pickle.dumps(student))
    np.save(tmp_path / "X.npy", X)
    script = (
        "import pickle, sys, numpy as np, torch\n"
        "from skdistill import fidelity_score\n"
        "assert not torch.cuda.is_available()\n"
        f"student = pickle.loads(open({str(path)!r}, 'rb').read())\n"
        f"X = np.load({str(tmp_path / 'X.npy')!r})\n"
        "np.save(sys.argv[1], student.predict_proba(X))\n"
        "print(fidelity_score(student, X))\n"
    )
    out = tmp_path / "proba.npy"
    env = {**os.environ, "CUDA_VISIBLE_DEVICES": ""}
    result = subprocess.run(
        [sys.executable, "-c", script, str(out)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert_allclose(np.load(out), student.predict_proba(X))
    assert float(result.stdout) == pytest.approx(fidelity_score(student, X))
    assert_array_equal(student.classes_, [0, 1, 2])


def test_regression_teacher_on_cuda_matches_the_cpu():
    X, _ = load_scaled("wine")
    module = random_mlp(X.shape[1], 2)
    on_cpu = TorchTeacher(random_mlp(X.shape[1], 2), device="cpu", output="values")
    cuda = TorchTeacher(module, device="cuda", output="values")
    values = cuda.predict_values(X)
    assert next(module.parameters()).device.type == "cuda"
    assert_allclose(values, on_cpu.predict_values(X), rtol=1e-6, atol=1e-8)
    student = DistilledRegressor(Ridge(), cuda).fit(X)
    expected = Ridge().fit(X, values)
    assert_allclose(student.predict(X), expected.predict(X), rtol=1e-10)
    assert fidelity_score(student, X) == pytest.approx(
        r2_score(values, student.predict(X))
    )


def test_neural_student_trains_on_cuda_and_predicts_on_a_cpu_only_machine(tmp_path):
    X, y = load_scaled("digits")
    teacher = TorchTeacher(random_mlp(X.shape[1], 10), device="cuda")
    student = DistilledMLPClassifier(
        teacher, hidden_layer_sizes=(32,), max_iter=50, device="cuda", random_state=0
    ).fit(X)
    on_cpu = DistilledMLPClassifier(
        teacher, hidden_layer_sizes=(32,), max_iter=50, device="cpu", random_state=0
    ).fit(X)
    # Same seeds, other kernels: the two networks agree on nearly every row.
    assert np.mean(student.predict(X) == on_cpu.predict(X)) > 0.95
    assert all(isinstance(W, np.ndarray) for W in student.coefs_)
    path = tmp_path / "student.pkl"
    path.write_bytes(pickle.dumps(student.to_sklearn()))
    np.save(tmp_path / "X.npy", X)
    script = (
        "import pickle, sys, numpy as np\n"
        f"model = pickle.loads(open({str(path)!r}, 'rb').read())\n"
        f"X = np.load({str(tmp_path / 'X.npy')!r})\n"
        "np.save(sys.argv[1], model.predict_proba(X))\n"
    )
    out = tmp_path / "proba.npy"
    env = {**os.environ, "CUDA_VISIBLE_DEVICES": ""}
    subprocess.run([sys.executable, "-c", script, str(out)], env=env, check=True)
    assert_allclose(np.load(out), student.predict_proba(X), atol=1e-12)


def test_redrawn_rows_are_drawn_and_labelled_on_the_gpu(monkeypatch):
    # Teacher and student both on CUDA: the synthetic rows are drawn there
    # and labelled in the training step (DeviceRows); the teacher's NumPy
    # route (_forward) runs only once, on the real rows.
    from skdistill._mlp_rows import DeviceRows

    X, y = load_scaled("digits")
    module = random_mlp(X.shape[1], 10).float()
    teacher = TorchTeacher(module, device="cuda")
    seen, forwards = [], []
    original = DeviceRows.batches
    forward = TorchTeacher._forward

    def batches(self, batch_size, generator):
        for batch in original(self, batch_size, generator):
            seen.append(batch[0].device.type)
            yield batch

    def counted(self, X, n_rows, device, dtype):
        forwards.append(n_rows)
        return forward(self, X, n_rows, device, dtype)

    monkeypatch.setattr(DeviceRows, "batches", batches)
    monkeypatch.setattr(TorchTeacher, "_forward", counted)

    def fit(teacher):
        return DistilledMLPClassifier(
            teacher,
            hidden_layer_sizes=(32,),
            augment="noise",
            redraw=True,
            max_iter=5,
            device="cuda",
            random_state=0,
        ).fit(X)

    student = fit(teacher)
    assert seen and set(seen) == {"cuda"}
    assert forwards == [len(X)]
    assert student.t_ == 5 * 11 * len(X)
    # The same fit with the teacher on the CPU (the general route) learns the
    # same teacher as well, within 0.02 of fidelity (other random draws).
    cpu = fit(TorchTeacher(module, device="cpu"))
    assert abs(fidelity_score(student, X) - fidelity_score(cpu, X)) < 0.02
