"""Progress of long work: TorchTeacher(progress=True) and the students' verbose.

Every test that turns progress on reads what it printed (capsys), so nothing
reaches the terminal; the default settings print nothing at all.
"""

import re
import subprocess
import sys
import warnings
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from conftest import random_mlp
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import GridSearchCV
from sklearn.tree import DecisionTreeRegressor

from skdistill import (
    DistilledClassifier,
    DistilledDecisionTree,
    DistilledLogisticRegression,
    DistilledMLPClassifier,
    DistilledRegressor,
    TorchTeacher,
    _progress,
)
from skdistill._progress import current_pass, progress, teacher_pass
from skdistill.augment import GaussianNoise

N, D, K = 120, 4, 3
X = np.random.default_rng(0).normal(size=(N, D))
Y = np.arange(N) % K
COPIES = 2  # synthetic copies in the augmented fits
LINE = re.compile(
    r"(?P<desc>.+): (?P<done>\d+)/(?P<total>\d+) (?P<unit>\w+) \(\d+%\), "
    r"(?P<rate>\S+) \w+/s, (?P<when>\S+ left|done in \d\d:\d\d)$"
)


def _net():
    return random_mlp(D, K)


def _regression_net():
    torch.manual_seed(0)
    return torch.nn.Linear(D, 1).double()


def _students(teacher, regression_teacher, **params):
    """One of each student, with the same extra parameters."""
    return [
        DistilledLogisticRegression(teacher, **params),
        DistilledDecisionTree(teacher, max_depth=3, **params),
        DistilledClassifier(LogisticRegression(), teacher, **params),
        DistilledMLPClassifier(teacher, hidden_layer_sizes=(4,), max_iter=3, **params),
        DistilledRegressor(Ridge(), regression_teacher, **params),
    ]


STUDENT_IDS = ["linear", "tree", "classifier", "mlp", "regressor"]


def _fit(student, X=X, y=None, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return student.fit(X, y, **kwargs)


@pytest.fixture
def no_tqdm(monkeypatch):
    """tqdm cannot be imported: the plain lines, one per update."""
    monkeypatch.setitem(sys.modules, "tqdm", None)
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)
    monkeypatch.setattr(_progress, "_LINE_INTERVAL", 0.0)


@pytest.fixture
def bars(monkeypatch):
    """The tqdm bars made while the test runs (tqdm.auto's class, recorded)."""
    tqdm_auto = pytest.importorskip("tqdm.auto")
    made = []

    class Recorded(tqdm_auto.tqdm):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            made.append(self)

    monkeypatch.setattr(tqdm_auto, "tqdm", Recorded)
    return made


def _lines(err):
    """The plain progress lines printed, parsed."""
    lines = [line for line in err.splitlines() if line]
    parsed = [LINE.match(line) for line in lines]
    assert all(parsed), lines
    return parsed


# --- the reporter -------------------------------------------------------------


def test_plain_lines_tell_rows_done_rate_and_time_left(no_tqdm, capsys):
    with progress(300, "job") as job:
        for _ in range(3):
            job.update(100)
    out, err = capsys.readouterr()
    assert out == ""
    lines = _lines(err)
    assert [(m["done"], m["total"]) for m in lines] == [
        ("100", "300"),
        ("200", "300"),
        ("300", "300"),
    ]
    assert all(m["desc"] == "job" and m["unit"] == "rows" for m in lines)
    assert all(m["when"].endswith(" left") for m in lines[:-1])
    assert re.fullmatch(r"\d\d:\d\d left", lines[0]["when"])
    assert re.fullmatch(r"[\d.]+[kMG]?", lines[0]["rate"])
    assert lines[-1]["when"].startswith("done in ")


def test_plain_lines_come_about_once_a_second(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)
    clock = iter([0.0, 0.3, 0.6, 1.1, 1.5, 2.2, 2.3, 2.4])
    monkeypatch.setattr(
        _progress, "time", SimpleNamespace(perf_counter=lambda: next(clock))
    )
    with progress(10, "job") as job:
        for _ in range(6):
            job.update(1)
    done = [int(m["done"]) for m in _lines(capsys.readouterr().err)]
    # Updates at 0.3 .. 2.3 s: lines at 1.1 s and 2.2 s, and the last one.
    assert done == [3, 5, 6]


def test_plain_line_formats():
    assert _progress._duration(5) == "00:05"
    assert _progress._duration(3725) == "1:02:05"
    assert _progress._amount(85123.4) == "85.1k"
    assert _progress._amount(13000) == "13.0k"
    assert _progress._amount(999.7) == "1.00k"
    assert _progress._amount(2.5) == "2.50"
    assert _progress._amount(2.5e6) == "2.50M"


def test_tqdm_bar_has_the_total_and_is_closed(bars, capsys):
    with progress(300, "job") as job:
        job.update(120)
        job.expect(200)  # 120 done, 200 to come: the total grows to 320
        job.update(200)
    (bar,) = bars
    assert (bar.total, bar.n, bar.unit, bar.desc) == (320, 320, "rows", "job")
    assert bar.leave is True  # the finished bar stays on screen
    err = capsys.readouterr().err
    assert "320/320" in err and "rows/s" in err


def test_disabled_progress_counts_and_shows_nothing(bars, capsys):
    with progress(10, "job", enabled=False) as job:
        job.update(4)
    assert job.n == 4
    assert bars == []
    assert capsys.readouterr() == ("", "")


def test_a_failed_job_leaves_no_last_line_and_no_pass(no_tqdm, capsys):
    with pytest.raises(RuntimeError, match="boom"):
        with teacher_pass(10, "job", enabled=True) as job:
            assert current_pass() is job
            raise RuntimeError("boom")
    assert current_pass() is None
    assert capsys.readouterr().err == ""


def test_importing_skdistill_does_not_import_tqdm():
    code = (
        "import sys, skdistill, skdistill._progress\n"
        "assert 'tqdm' not in sys.modules, 'tqdm imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


# --- TorchTeacher(progress=True) ------------------------------------------------


def test_torch_teacher_shows_each_pass_over_rows_not_cached(no_tqdm, capsys):
    teacher = TorchTeacher(_net(), device="cpu", batch_size=50, progress=True)
    teacher.predict_logits(X[:100])
    lines = _lines(capsys.readouterr().err)
    assert [(m["done"], m["total"]) for m in lines] == [
        ("50", "100"),
        ("100", "100"),
    ]
    assert lines[0]["desc"] == "TorchTeacher"
    # 20 rows new, 100 from the cache: only the 20 are run and shown.
    teacher.predict_logits(X[:120])
    assert [(m["done"], m["total"]) for m in _lines(capsys.readouterr().err)] == [
        ("20", "20")
    ]
    teacher.predict_logits(X[:120])  # all cached: nothing is run
    assert capsys.readouterr() == ("", "")


def test_torch_teacher_bar_counts_the_rows_it_runs(bars, capsys):
    teacher = TorchTeacher(_net(), device="cpu", batch_size=32, progress=True)
    teacher.predict_logits(X, remember=False)
    (bar,) = bars
    assert (bar.total, bar.n, bar.desc) == (N, N, "TorchTeacher")
    assert f"{N}/{N}" in capsys.readouterr().err


def test_torch_teacher_progress_is_a_frozen_parameter():
    teacher = TorchTeacher(_net(), progress=True)
    assert teacher.get_params()["progress"] is True
    with pytest.raises(ValueError, match="a TorchTeacher is frozen"):
        teacher.set_params(progress=False)
    with pytest.raises(ValueError, match="'progress' parameter of TorchTeacher"):
        TorchTeacher(_net(), progress="yes").predict_logits(X)


# --- students' verbose ---------------------------------------------------------


@pytest.mark.parametrize("index", range(5), ids=STUDENT_IDS)
def test_nothing_is_printed_by_default(index, capsys):
    teacher = TorchTeacher(_net(), device="cpu")
    regression = TorchTeacher(_regression_net(), device="cpu", output="values")
    student = _students(teacher, regression, augment=GaussianNoise(COPIES))[index]
    _fit(student)
    assert capsys.readouterr() == ("", "")


@pytest.mark.parametrize("index", range(5), ids=STUDENT_IDS)
def test_verbose_shows_the_teacher_pass_real_and_synthetic_rows(index, no_tqdm, capsys):
    teacher = TorchTeacher(_net(), device="cpu", batch_size=50)
    regression = TorchTeacher(
        _regression_net(), device="cpu", output="values", batch_size=50
    )
    student = _students(teacher, regression, augment=GaussianNoise(COPIES), verbose=1)[
        index
    ]
    _fit(student)
    total = N * (1 + COPIES)
    lines = [
        m for m in _lines(capsys.readouterr().err) if m["desc"].endswith("teacher")
    ]
    assert lines[0]["desc"] == f"{type(student).__name__}: teacher"
    assert {m["total"] for m in lines} == {str(total)}
    # Each batch of 50 real rows, then each batch of each copy.
    assert [int(m["done"]) for m in lines[:3]] == [50, 100, 120]
    assert lines[-1]["done"] == str(total)
    assert lines[-1]["when"].startswith("done in")


@pytest.mark.parametrize("index", range(5), ids=STUDENT_IDS)
def test_verbose_with_a_sklearn_teacher_reports_each_call(index, bars):
    classifier = LogisticRegression(max_iter=1000).fit(X, Y)
    regressor = Ridge().fit(X, X[:, 0])
    student = _students(
        classifier, regressor, augment=GaussianNoise(COPIES), verbose=True
    )[index]
    _fit(student)
    bar = bars[0]
    assert (bar.total, bar.n) == (N * (1 + COPIES), N * (1 + COPIES))
    assert bar.desc == f"{type(student).__name__}: teacher"


def test_verbose_counts_cached_rows_as_done(bars):
    teacher = TorchTeacher(_net(), device="cpu", batch_size=40)
    teacher.predict_logits(X[:100])  # 100 rows cached, silently
    assert bars == []
    DistilledDecisionTree(teacher, max_depth=2, verbose=1).fit(X)
    (bar,) = bars
    assert (bar.total, bar.n) == (N, N)


def test_verbose_with_teacher_progress_shows_one_bar(bars):
    teacher = TorchTeacher(_net(), device="cpu", batch_size=40, progress=True)
    DistilledDecisionTree(
        teacher, max_depth=2, augment=GaussianNoise(1), verbose=1
    ).fit(X)
    assert [(bar.desc, bar.total, bar.n) for bar in bars] == [
        ("DistilledDecisionTree: teacher", 2 * N, 2 * N)
    ]


def test_verbose_inside_a_search_shows_each_fit(bars):
    teacher = TorchTeacher(_net(), device="cpu")
    search = GridSearchCV(
        DistilledDecisionTree(teacher, max_depth=2, verbose=1),
        {"temperature": [1.0, 2.0]},
        cv=2,
    ).fit(X, Y)
    assert search.best_estimator_.verbose == 1
    # Two folds of two candidates, and the refit; the rows repeat, so most
    # come from the cache and count as done at once.
    assert [(bar.total, bar.n) for bar in bars] == [(N // 2, N // 2)] * 4 + [(N, N)]


def test_verbose_with_teacher_logits_shows_only_the_synthetic_rows(bars, capsys):
    teacher = TorchTeacher(_net(), device="cpu")
    logits = teacher.predict_logits(X)
    DistilledDecisionTree(teacher, max_depth=2, verbose=1).fit(X, teacher_logits=logits)
    assert bars == []  # the teacher does not run
    DistilledDecisionTree(
        teacher, max_depth=2, augment=GaussianNoise(COPIES), verbose=1
    ).fit(X, teacher_logits=logits)
    (bar,) = bars
    assert (bar.total, bar.n) == (COPIES * N, COPIES * N)


class _HalfRows:
    """An augmenter with ``sample`` alone: how many rows only shows when made."""

    def sample(self, X):
        source = np.arange(0, len(X), 2)
        return X[source] + 0.1, source


def test_verbose_total_grows_by_the_rows_an_augmenter_makes(bars):
    teacher = TorchTeacher(_net(), device="cpu")
    DistilledDecisionTree(teacher, max_depth=2, augment=_HalfRows(), verbose=1).fit(X)
    (bar,) = bars
    assert (bar.total, bar.n) == (N + N // 2, N + N // 2)


def test_mlp_verbose_shows_the_epochs_and_keeps_the_loss_lines(no_tqdm, capsys):
    student = DistilledMLPClassifier(
        _net(), hidden_layer_sizes=(4,), max_iter=4, random_state=0, verbose=True
    )
    _fit(student)
    out, err = capsys.readouterr()
    assert out.splitlines() == [
        f"DistilledMLPClassifier: epoch {i}, loss {loss:.6f}"
        for i, loss in enumerate(student.loss_curve_, start=1)
    ]
    epochs = [m for m in _lines(err) if m["unit"] == "epochs"]
    assert epochs[0]["desc"] == "DistilledMLPClassifier: training"
    assert [(m["done"], m["total"]) for m in epochs] == [
        (str(i), "4") for i in range(1, 5)
    ]
    assert epochs[0]["when"].endswith(" left")


def test_mlp_epoch_bar_and_redraw_rows_outside_the_teacher_pass(bars, capsys):
    student = DistilledMLPClassifier(
        TorchTeacher(_net(), device="cpu"),
        hidden_layer_sizes=(4,),
        max_iter=3,
        augment=GaussianNoise(COPIES),
        redraw=True,
        device="cpu",
        random_state=0,
        verbose=1,
    )
    _fit(student)
    # The redrawn rows are labelled in each epoch, not in the teacher pass.
    assert [(bar.desc, bar.total, bar.n) for bar in bars] == [
        ("DistilledMLPClassifier: teacher", N, N),
        ("DistilledMLPClassifier: training", 3, student.n_iter_),
    ]
    assert "loss" in capsys.readouterr().out


@pytest.mark.parametrize(
    "student",
    [
        DistilledDecisionTree(LogisticRegression(), verbose=-1),
        DistilledClassifier(LogisticRegression(), LogisticRegression(), verbose=-1),
        DistilledRegressor(DecisionTreeRegressor(), Ridge(), verbose=-1),
    ],
    ids=["tree", "classifier", "regressor"],
)
def test_verbose_is_validated(student):
    with pytest.raises(ValueError, match="'verbose' parameter"):
        student.fit(X, Y)
