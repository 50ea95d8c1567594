import pickle
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import torch
from conftest import RowCounter, load_scaled, random_mlp
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.naive_bayes import GaussianNB
from sklearn.svm import LinearSVC

from skdistill import (
    DistilledClassifier,
    DistilledDecisionTree,
    DistilledLogisticRegression,
    TorchTeacher,
)
from skdistill.teachers import (
    CallableTeacher,
    SklearnTeacher,
    as_teacher,
    resolve_device,
)


def _reference_logits(module, X):
    with torch.no_grad():
        return module(torch.as_tensor(np.asarray(X), dtype=torch.float64)).numpy()


# --- devices ------------------------------------------------------------------


def test_auto_device_is_cuda_when_available(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert resolve_device("auto") == torch.device("cpu")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert resolve_device("auto") == torch.device("cuda")
    assert resolve_device(torch.device("cpu")) == torch.device("cpu")


def test_explicit_cuda_without_cuda_names_the_fix(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(ValueError, match="device='cuda' but CUDA is not available"):
        resolve_device("cuda")


def test_unknown_device_names_the_choices():
    with pytest.raises(ValueError, match="device='gpu0' is not a device torch knows"):
        resolve_device("gpu0")


class _Recorder(torch.nn.Module):
    """Records what each forward call saw."""

    def __init__(self, module):
        super().__init__()
        self.module = module
        self.calls = []

    def forward(self, x):
        self.calls.append(
            {
                "rows": x.shape[0],
                "dtype": x.dtype,
                "inference": torch.is_inference_mode_enabled(),
                "training": self.training,
                "layout": x.layout,
            }
        )
        return self.module(x)


def test_batches_eval_mode_inference_mode_and_restored_training():
    module = _Recorder(torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.Dropout()))
    module.train()
    X = np.random.default_rng(0).normal(size=(20, 3))
    teacher = TorchTeacher(module, device="cpu", batch_size=7, cache=False)
    first = teacher.predict_logits(X)
    assert [c["rows"] for c in module.calls] == [7, 7, 6]
    assert all(c["inference"] and not c["training"] for c in module.calls)
    assert all(c["dtype"] == torch.float32 for c in module.calls)
    assert module.training  # the caller's mode is given back
    assert_allclose(teacher.predict_logits(X), first)  # dropout is off
    assert first.dtype == np.float64 and first.shape == (20, 2)


def test_module_is_moved_once():
    moves = []

    class Counted(torch.nn.Linear):
        def to(self, *args, **kwargs):
            moves.append(args)
            return super().to(*args, **kwargs)

    teacher = TorchTeacher(Counted(3, 2), device="cpu", cache=False)
    for _ in range(3):
        teacher.predict_logits(np.ones((4, 3)))
    assert len(moves) == 1


@pytest.mark.parametrize(
    "container",
    [
        np.asarray,
        pd.DataFrame,
        sp.csr_matrix,
        sp.csc_array,
        lambda X: torch.as_tensor(X, dtype=torch.float64),
        lambda X: X.tolist(),
    ],
    ids=["numpy", "pandas", "csr", "csc", "tensor", "list"],
)
def test_inputs_numpy_pandas_sparse_tensor(container):
    module = random_mlp(4, 3)
    X = np.random.default_rng(1).normal(size=(10, 4))
    X[X < 0] = 0  # some zeros for the sparse containers
    teacher = TorchTeacher(module, device="cpu", batch_size=4)
    assert_allclose(teacher.predict_logits(container(X)), _reference_logits(module, X))


def test_output_with_logits_attribute():
    @dataclass
    class Output:
        logits: torch.Tensor

    class HFStyle(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.linear = torch.nn.Linear(3, 4)

        def forward(self, x):
            return Output(logits=self.linear(x))

    module = HFStyle()
    logits = TorchTeacher(module, device="cpu").predict_logits(np.ones((2, 3)))
    assert logits.shape == (2, 4)


@pytest.mark.parametrize("shape", [(), (1,)])
def test_single_logit_binary_means_zero_and_z(shape):
    class Binary(torch.nn.Module):
        def forward(self, x):
            return x[:, 0].reshape(-1, *shape)

    X = np.array([[1.5, 0.0], [-2.0, 0.0]])
    logits = TorchTeacher(Binary(), device="cpu").predict_logits(X)
    assert_allclose(logits, [[0.0, 1.5], [0.0, -2.0]])


@pytest.mark.parametrize("output", ["proba", "log_proba"])
def test_probability_outputs_become_logits(output):
    torch.manual_seed(0)
    linear = torch.nn.Linear(3, 4)
    last = torch.nn.Softmax(dim=1) if output == "proba" else torch.nn.LogSoftmax(dim=1)
    X = np.random.default_rng(2).normal(size=(6, 3))
    teacher = TorchTeacher(torch.nn.Sequential(linear, last), output=output)
    reference = TorchTeacher(linear, device="cpu")
    assert_allclose(teacher.predict_proba(X), reference.predict_proba(X), rtol=1e-5)


def test_preprocess_raw_text_and_dict_inputs():
    vocabulary = {"good": 0, "bad": 1, "film": 2}

    class BagOfWords(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.linear = torch.nn.Linear(3, 2)

        def forward(self, counts, scale):
            return self.linear(counts) * scale

    def preprocess(texts):
        counts = torch.zeros(len(texts), 3)
        for i, text in enumerate(texts):
            for word in text.split():
                counts[i, vocabulary[word]] += 1
        return {"counts": counts, "scale": torch.tensor(2.0)}

    counter = []
    module = BagOfWords()
    texts = ["good film", "bad film", "good good", "good film"]
    teacher = TorchTeacher(
        module, preprocess=lambda b: counter.append(len(b)) or preprocess(b)
    )
    logits = teacher.predict_logits(texts)
    assert logits.shape == (4, 2)
    assert_allclose(logits[0], logits[3])
    assert sum(counter) == 3  # the repeated text ran once
    assert_allclose(teacher.predict_logits(np.array(texts)), logits)
    assert sum(counter) == 3


# --- out-of-memory back-off ---------------------------------------------------


class _OOMAbove(torch.nn.Module):
    """Raises CUDA's out-of-memory error for batches larger than `limit`."""

    def __init__(self, limit):
        super().__init__()
        self.linear = torch.nn.Linear(3, 2)
        self.limit = limit
        self.batches = []

    def forward(self, x):
        if x.shape[0] > self.limit:
            raise torch.OutOfMemoryError("CUDA out of memory (simulated)")
        self.batches.append(x.shape[0])
        return self.linear(x)


def test_out_of_memory_halves_the_batch_and_goes_on():
    module = _OOMAbove(limit=10)
    X = np.random.default_rng(3).normal(size=(50, 3))
    teacher = TorchTeacher(module, device="cpu", batch_size=64, cache=False)
    logits = teacher.predict_logits(X)
    assert module.batches == [8] * 6 + [2]
    expected = TorchTeacher(module.linear, device="cpu").predict_logits(X)
    # float32 products of other batch sizes round differently: 1e-7 absolute.
    assert_allclose(logits, expected, rtol=1e-6, atol=1e-7)
    module.batches.clear()
    teacher.predict_logits(X)
    assert max(module.batches) == 8  # the smaller batch is remembered


def test_out_of_memory_at_batch_one_is_raised():
    teacher = TorchTeacher(_OOMAbove(limit=0), device="cpu", batch_size=4)
    with pytest.raises(torch.OutOfMemoryError, match="simulated"):
        teacher.predict_logits(np.ones((3, 3)))


# --- frozen and shared --------------------------------------------------------


def test_clone_returns_the_same_teacher():
    teacher = TorchTeacher(random_mlp(3, 2))
    assert clone(teacher) is teacher
    student = DistilledLogisticRegression(teacher)
    assert clone(student).teacher is teacher
    assert teacher.get_params()["batch_size"] == 1024


def test_pickle_round_trip_drops_the_cache():
    module = random_mlp(4, 3)
    teacher = TorchTeacher(module, device="cpu")
    X = np.random.default_rng(4).normal(size=(5, 4))
    expected = teacher.predict_logits(X)
    loaded = pickle.loads(pickle.dumps(teacher))
    assert teacher.module is module  # pickling leaves the original alone
    assert getattr(loaded, "_cache", None) is None
    assert_allclose(loaded.predict_logits(X), expected)
    assert loaded.module is not module


# --- row cache ----------------------------------------------------------------


def test_grid_search_forwards_each_row_once():
    X, y = load_scaled("wine")
    module = RowCounter(random_mlp(X.shape[1], 3))
    teacher = TorchTeacher(module, device="cpu")
    search = GridSearchCV(
        DistilledLogisticRegression(teacher, augment=None),  # the real rows
        {"temperature": [0.5, 1.0, 2.0, 4.0]},
        cv=5,
    )
    search.fit(X, y)
    assert module.rows == len(X)
    assert hasattr(search, "best_estimator_")


def test_changed_rows_are_never_served_stale_logits():
    module = RowCounter(random_mlp(4, 3))
    teacher = TorchTeacher(module, device="cpu")
    X = np.random.default_rng(5).normal(size=(8, 4))
    teacher.predict_logits(X)
    X_changed = X.copy()
    X_changed[3, 2] += 1e-3
    logits = teacher.predict_logits(X_changed)
    assert module.rows == 9  # only the changed row ran again
    assert_allclose(logits, _reference_logits(module.module, X_changed), rtol=1e-6)


def test_updated_weights_empty_the_cache():
    module = RowCounter(random_mlp(4, 3))
    teacher = TorchTeacher(module, device="cpu")
    X = np.random.default_rng(6).normal(size=(8, 4))
    before = teacher.predict_logits(X)
    with torch.no_grad():
        next(module.parameters()).add_(0.5)
    after = teacher.predict_logits(X)
    assert module.rows == 16
    assert not np.allclose(before, after)
    assert_allclose(after, _reference_logits(module.module, X), rtol=1e-6)


def test_duplicates_within_a_call_run_once_and_cache_can_be_off():
    module = RowCounter(random_mlp(4, 3))
    X = np.repeat(np.random.default_rng(7).normal(size=(3, 4)), 4, axis=0)
    logits = TorchTeacher(module, device="cpu").predict_logits(X)
    assert module.rows == 3
    assert_allclose(logits[0], logits[3])
    TorchTeacher(module, device="cpu", cache=False).predict_logits(X)
    assert module.rows == 3 + 12


def test_sparse_rows_keyed_by_content():
    module = RowCounter(random_mlp(4, 3))
    teacher = TorchTeacher(module, device="cpu")
    dense = np.array([[0.0, 1.0, 0.0, 2.0], [3.0, 0.0, 0.0, 0.0]])
    teacher.predict_logits(sp.csr_matrix(dense))
    # Same rows stored differently: unsorted indices and an explicit zero.
    other = sp.csr_matrix(
        (np.array([2.0, 1.0, 0.0, 3.0]), np.array([3, 1, 2, 0]), np.array([0, 3, 4])),
        shape=(2, 4),
    )
    logits = teacher.predict_logits(other)
    assert module.rows == 2
    assert_allclose(logits, _reference_logits(module.module, dense), rtol=1e-6)


def test_bare_module_shares_one_cache_and_can_be_freed():
    import gc
    import weakref

    module = RowCounter(random_mlp(3, 2))
    X = np.random.default_rng(9).normal(size=(6, 3))
    first, second = as_teacher(module), as_teacher(module)
    assert isinstance(first, TorchTeacher) and first.module is module
    first.predict_logits(X)
    second.predict_logits(X)
    assert module.rows == 6
    alive = weakref.ref(module)
    del module, first, second
    gc.collect()
    assert alive() is None


def test_concurrent_calls_get_their_own_rows():
    from concurrent.futures import ThreadPoolExecutor

    module = random_mlp(4, 3)
    teacher = TorchTeacher(module, device="cpu", batch_size=3)
    chunks = [np.random.default_rng(i).normal(size=(50, 4)) for i in range(8)]
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(teacher.predict_logits, chunks))
    for X, logits in zip(chunks, results):
        assert_allclose(logits, _reference_logits(module, X), rtol=1e-10)


def test_float_tensors_are_cast_to_the_module_dtype():
    torch.manual_seed(0)
    module = torch.nn.Linear(3, 2)  # float32
    X = torch.randn(5, 3, dtype=torch.float64)
    logits = TorchTeacher(module).predict_logits(X)
    assert_allclose(logits, module(X.float()).detach().numpy(), rtol=1e-6)


@pytest.mark.parametrize("dtype", ["bfloat16", torch.bfloat16, "float16"])
def test_dtype_runs_the_forward_under_autocast(dtype):
    torch.manual_seed(0)
    module = random_mlp(20, 4).float()
    X = np.random.default_rng(0).normal(size=(300, 20))
    seen = []
    hook = module[0].register_forward_hook(lambda m, i, out: seen.append(out.dtype))
    full = TorchTeacher(module, device="cpu").predict_logits(X)
    low = TorchTeacher(module, device="cpu", dtype=dtype).predict_logits(X)
    hook.remove()
    expected = getattr(torch, str(dtype).removeprefix("torch."))
    assert seen[0] == torch.float32 and set(seen[1:]) == {expected}
    assert low.dtype == np.float64 and low.shape == full.shape
    # 16-bit products: about 1% of the logits' spread, not bit-identical.
    assert 0 < np.abs(low - full).max() < 0.03 * np.ptp(full)
    assert (low.argmax(axis=1) == full.argmax(axis=1)).mean() > 0.95


def test_dtype_is_part_of_the_cache_key():
    torch.manual_seed(0)
    module = torch.nn.Linear(3, 2)
    teacher = TorchTeacher(module, device="cpu", dtype="bfloat16")
    X = np.random.default_rng(0).normal(size=(4, 3))
    first = teacher.predict_logits(X)
    object.__setattr__(teacher, "dtype", None)  # what a new TorchTeacher would be
    assert not np.array_equal(teacher.predict_logits(X), first)


@pytest.mark.parametrize("dtype", ["int8", torch.float64, "fp8"])
def test_unknown_dtype_names_the_choices(dtype):
    teacher = TorchTeacher(torch.nn.Linear(3, 2), device="cpu", dtype=dtype)
    with pytest.raises(ValueError, match=r"TorchTeacher: dtype=.*'bfloat16' or"):
        teacher.predict_logits(np.ones((2, 3)))


def test_weight_changes_outside_autograd():
    module = RowCounter(random_mlp(4, 3))
    teacher = TorchTeacher(module, device="cpu")
    X = np.random.default_rng(10).normal(size=(5, 4))
    teacher.predict_logits(X)
    params = torch.nn.utils.parameters_to_vector(module.parameters())
    torch.nn.utils.vector_to_parameters(params + 0.1, module.parameters())
    assert_allclose(
        teacher.predict_logits(X), _reference_logits(module.module, X), rtol=1e-6
    )
    assert module.rows == 10  # replaced storage is noticed
    module.float()
    teacher.predict_logits(X)
    assert module.rows == 15  # so is a dtype change
    with torch.no_grad():
        next(module.parameters()).data.add_(1.0)  # bypasses the version counter
    teacher.clear_cache()
    expected = TorchTeacher(module.module, cache=False).predict_logits(X)
    assert_allclose(teacher.predict_logits(X), expected, rtol=1e-6)


def test_string_series_and_ragged_inputs():
    module = RowCounter(torch.nn.Linear(2, 2))

    def preprocess(batch):
        return torch.tensor([[len(list(item)), 1.0] for item in batch])

    teacher = TorchTeacher(module, preprocess=preprocess)
    texts = pd.Series(["ab", "abc", "ab"])
    teacher.predict_logits(texts)
    teacher.predict_logits(texts.to_numpy(dtype=object))
    assert module.rows == 2
    ragged = [[1, 2], [1, 2, 3]]
    assert teacher.predict_logits(ragged).shape == (2, 2)
    assert teacher.predict_logits(np.empty((0, 2))).shape[0] == 0


def test_set_params_is_refused():
    teacher = TorchTeacher(random_mlp(3, 2))
    with pytest.raises(
        ValueError, match=r"cannot set \['batch_size'\]; a TorchTeacher"
    ):
        teacher.set_params(batch_size=8)
    student = DistilledLogisticRegression(teacher)
    with pytest.raises(
        ValueError,
        match=r"cannot set \['teacher__output'\]: the teacher "
        r"TorchTeacher\(Sequential\) is trained and shared by every clone",
    ):
        clone(student).set_params(teacher__output="proba")
    assert teacher.output == "logits"


def test_submodule_modes_are_given_back():
    module = torch.nn.Sequential(torch.nn.Linear(3, 3), torch.nn.BatchNorm1d(3))
    module.train()
    module[1].eval()  # a frozen BatchNorm inside a training model
    TorchTeacher(module).predict_logits(np.ones((4, 3)))
    assert module.training and module[0].training and not module[1].training


def test_student_with_a_bare_module_pickles_the_module_once():
    X, y = load_scaled("wine")
    module = random_mlp(X.shape[1], 3, hidden=256)
    bare = DistilledLogisticRegression(module).fit(X)
    wrapped = DistilledLogisticRegression(TorchTeacher(module)).fit(X)
    assert len(pickle.dumps(bare)) < 1.2 * len(pickle.dumps(wrapped))
    loaded = pickle.loads(pickle.dumps(bare))
    assert loaded.teacher is loaded.teacher_.module
    assert_allclose(loaded.teacher_.predict_logits(X), bare.teacher_.predict_logits(X))


# --- scikit-learn and callable teachers ---------------------------------------


def test_fitted_classifier_is_used_as_is():
    X, y = load_scaled("wine")
    fitted = LogisticRegression().fit(X, y)
    teacher = as_teacher(fitted, X, y)
    assert teacher.estimator is fitted
    assert_allclose(teacher.predict_logits(X), np.log(fitted.predict_proba(X)))
    frozen = as_teacher(FrozenEstimator(fitted), X, y)
    assert_array_equal(frozen.classes, [0, 1, 2])


def test_unfitted_classifier_is_cloned_and_fitted():
    X, y = load_scaled("wine")
    unfitted = GaussianNB()
    teacher = as_teacher(unfitted, X, y)
    assert teacher.estimator is not unfitted
    assert not hasattr(unfitted, "classes_")
    assert_array_equal(teacher.classes, [0, 1, 2])


def test_unfitted_teacher_gets_the_sample_weight():
    X, y = load_scaled("wine")
    weights = np.random.default_rng(8).integers(0, 3, size=len(y))
    teacher = as_teacher(GaussianNB(), X, y, weights.astype(float))
    repeated = GaussianNB().fit(np.repeat(X, weights, axis=0), np.repeat(y, weights))
    assert_allclose(teacher.estimator.theta_, repeated.theta_, rtol=1e-10)


def test_teacher_without_sample_weight_warns():
    from sklearn.neighbors import KNeighborsClassifier

    X, y = load_scaled("wine")
    with pytest.warns(UserWarning, match="does not accept sample_weight"):
        as_teacher(KNeighborsClassifier(), X, y, np.ones(len(y)), owner="Student")


@pytest.mark.parametrize("n_classes", [2, 3])
def test_decision_function_teacher(n_classes):
    X, y = load_scaled("wine")
    keep = y < n_classes
    svc = LinearSVC().fit(X[keep], y[keep])
    logits = as_teacher(svc).predict_logits(X[keep])
    scores = svc.decision_function(X[keep])
    expected = (
        np.column_stack([np.zeros_like(scores), scores]) if n_classes == 2 else scores
    )
    assert_allclose(logits, expected)


def test_callable_teacher_accepts_tensors():
    teacher = as_teacher(lambda X: torch.ones(len(X), 3))
    assert isinstance(teacher, CallableTeacher)
    assert_allclose(teacher.predict_logits(np.zeros((2, 5))), np.ones((2, 3)))


def test_sklearn_teacher_repr():
    assert (
        repr(SklearnTeacher(GaussianNB())) == "SklearnTeacher(estimator=GaussianNB())"
    )


def test_as_teacher_errors_name_the_fix():
    with pytest.raises(ValueError, match="Student: teacher=None; pass the model"):
        as_teacher(None, owner="Student")
    with pytest.raises(TypeError, match="Student: teacher=42 is not a TorchTeacher"):
        as_teacher(42, owner="Student")
    with pytest.raises(ValueError, match="is not fitted and y is None"):
        as_teacher(GaussianNB(), np.ones((3, 2)), None, owner="Student")
    with pytest.raises(TypeError, match="module='net' is not a torch.nn.Module"):
        TorchTeacher("net").predict_logits(np.ones((2, 2)))
    with pytest.raises(ValueError, match="'output' parameter of TorchTeacher"):
        TorchTeacher(random_mlp(2, 2), output="scores").predict_logits(np.ones((2, 2)))


# The row cache holds real rows; synthetic rows are new in each fit, so the
# wrapper (which "auto" augments) counts real rows with augment=None.
_STUDENTS = {
    "linear": lambda teacher: DistilledLogisticRegression(teacher, augment=None),
    "tree": lambda teacher: DistilledDecisionTree(teacher, max_depth=3),
    "wrapper": lambda teacher: DistilledClassifier(GaussianNB(), teacher, augment=None),
}


class _CountingLogisticRegression(LogisticRegression):
    """A scikit-learn teacher that counts the rows it is asked about."""

    rows = 0

    def predict_proba(self, X):
        type(self).rows += len(X)
        return super().predict_proba(X)


class _DuckTeacher:
    classes = None

    def __init__(self, W):
        self.W, self.rows = W, 0

    def predict_logits(self, X):
        self.rows += len(X)
        return X @ self.W


@pytest.mark.parametrize("name", sorted(_STUDENTS))
def test_every_teacher_form_is_shared_by_clones_and_an_unfitted_one_copied(name):
    X, y = load_scaled("wine")
    fitted = LogisticRegression(max_iter=1000).fit(X, y)
    forms = [
        random_mlp(X.shape[1], 3),  # a bare module
        TorchTeacher(random_mlp(X.shape[1], 3), device="cpu"),
        fitted,
        CallableTeacher(fitted.predict_proba, output="proba"),
        lambda Z: Z @ np.ones((X.shape[1], 3)),
        _DuckTeacher(np.ones((X.shape[1], 3))),
    ]
    for teacher in forms:
        assert clone(_STUDENTS[name](teacher)).teacher is teacher
    unfitted = LogisticRegression()
    copy = clone(_STUDENTS[name](unfitted))
    assert copy.teacher is not unfitted
    copy.fit(X, y)
    assert not hasattr(unfitted, "coef_")  # a clone was trained, not the user's


@pytest.mark.parametrize("name", sorted(_STUDENTS))
def test_search_forwards_each_row_once_through_the_users_own_module(name):
    # 5 folds x 3 temperatures and a refit: 16 fits, no labels, no scoring=
    # (score without labels is fidelity), one forward per distinct row.
    X, _ = load_scaled("wine")
    module = RowCounter(random_mlp(X.shape[1], 3))
    search = GridSearchCV(_STUDENTS[name](module), {"temperature": [1, 2, 4]}, cv=5)
    search.fit(X)
    assert module.rows == len(np.unique(X, axis=0))
    assert search.best_estimator_.teacher is module
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()


def test_sklearn_callable_and_duck_teachers_run_each_row_once():
    X, y = load_scaled("wine")
    _CountingLogisticRegression.rows = 0
    fitted = _CountingLogisticRegression(max_iter=1000).fit(X, y)
    duck = _DuckTeacher(np.random.default_rng(0).normal(size=(X.shape[1], 3)))
    grid = {"temperature": [1, 2, 4], "C": [0.1, 1.0, 10.0]}  # 27 fits and a refit
    # Real rows: synthetic rows are new in each fit, never cached.
    real_rows = {"augment": None}
    GridSearchCV(DistilledLogisticRegression(fitted, **real_rows), grid, cv=3).fit(X)
    assert _CountingLogisticRegression.rows == len(X)
    GridSearchCV(DistilledLogisticRegression(duck, **real_rows), grid, cv=3).fit(X)
    assert duck.rows == len(X)
    # Refitted in place on other rows: new logits, not the cached ones.
    before = SklearnTeacher(fitted).predict_logits(X)
    fitted.fit(X[y > 0], y[y > 0])
    after = SklearnTeacher(fitted).predict_logits(X)
    assert after.shape == (len(X), 2) and before.shape == (len(X), 3)


def test_replacing_weights_twice_is_never_served_stale_logits():
    X, _ = load_scaled("wine")
    module = random_mlp(X.shape[1], 3)
    teacher = TorchTeacher(module, device="cpu")
    layer = module[-1]
    for change in range(3):
        teacher.predict_logits(X)
        if change < 2:  # replace the tensor: the allocator may reuse an address
            layer.weight.data = layer.weight.data.clone() * 2
        else:  # in place, bypassing autograd's version counter
            layer.weight.data.mul_(-1)
        fresh = TorchTeacher(module, device="cpu", cache=False).predict_logits(X)
        assert_allclose(teacher.predict_logits(X), fresh)


def test_the_cache_is_bounded_and_drops_the_least_recently_used_rows():
    X, _ = load_scaled("wine")
    module = RowCounter(random_mlp(X.shape[1], 3))
    A, B, C = X[:50], X[50:100], X[100:150]
    per_row = 13 * 8 + 3 * 8 + 140  # key, outputs, bookkeeping
    teacher = TorchTeacher(module, device="cpu", cache=int(per_row * 120))
    for block in (A, B, A, C):  # C evicts B, the least recently used
        teacher.predict_logits(block)
    assert teacher._row_cache().nbytes <= per_row * 120
    module.rows = 0
    teacher.predict_logits(A)
    assert module.rows == 0  # still cached
    expected = TorchTeacher(module, device="cpu", cache=False).predict_logits(B)
    module.rows = 0
    assert_allclose(teacher.predict_logits(B), expected)
    # B, the least recently used, made room for C: at least the 30 rows C
    # needed beyond the bound (and a slack of a tenth of it) ran again.
    assert 30 <= module.rows <= len(B)
    # More rows than the bound holds: correct all the same.
    small = TorchTeacher(module, device="cpu", cache=per_row * 10)
    reference = TorchTeacher(module, device="cpu", cache=False).predict_logits(X)
    assert_allclose(small.predict_logits(X), reference)
    assert small._row_cache().nbytes <= per_row * 10
