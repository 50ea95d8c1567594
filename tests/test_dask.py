"""Transfer sets as Dask collections, on a real distributed.LocalCluster.

Every Dask path is compared with the in-memory one on the same rows. The
Dask fit computes the in-memory student's loss and gradient, summed over the
partitions in another order, from the same starting point (formed from
moments summed over the partitions): L-BFGS takes the same steps, so the
iteration counts are equal and the coefficients agree within 1e-8 of their
largest magnitude.
"""

import contextlib
import subprocess
import sys
import warnings

import numpy as np
import pytest
from conftest import load_scaled
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.neural_network import MLPClassifier

dask = pytest.importorskip("dask")
da = pytest.importorskip("dask.array")
dd = pytest.importorskip("dask.dataframe")
distributed = pytest.importorskip("distributed")
pd = pytest.importorskip("pandas")

import dask_helpers  # noqa: E402

from skdistill import (  # noqa: E402
    DistilledClassifier,
    DistilledDecisionTree,
    DistilledLogisticRegression,
    DistilledMLPClassifier,
    DistilledRegressor,
    TorchTeacher,
    fidelity_score,
)
from skdistill._dask import partition_seeds  # noqa: E402
from skdistill.augment import GaussianNoise  # noqa: E402


def _real_rows(teacher, **params):
    """The student on the real rows alone (``augment=None``), the fit these
    oracles are of."""
    return DistilledLogisticRegression(teacher, **{"augment": None, **params})


COEF_RTOL = 1e-8
X, Y = load_scaled("wine")
N, D = X.shape
CHUNK = 50  # 4 partitions of wine's 178 rows
TEACHER = MLPClassifier((16,), max_iter=2000, random_state=0).fit(X, Y)


@contextlib.contextmanager
def _cluster(memory_limit):
    """Two worker processes on the loopback interface, and a client."""
    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=":0",
            memory_limit=memory_limit,
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client


@pytest.fixture(scope="module")
def client():
    """The module's cluster."""
    with _cluster("1GiB") as client:
        yield client


def _student(teacher=TEACHER, **params):
    return _real_rows(teacher, **params)


def _assert_same_fit(dask_fit, memory_fit):
    scale = np.abs(memory_fit.coef_).max()
    assert_allclose(dask_fit.coef_, memory_fit.coef_, rtol=0, atol=COEF_RTOL * scale)
    assert_allclose(
        dask_fit.intercept_, memory_fit.intercept_, rtol=0, atol=COEF_RTOL * scale
    )
    assert_array_equal(dask_fit.classes_, memory_fit.classes_)
    assert_array_equal(dask_fit.n_iter_, memory_fit.n_iter_)


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"alpha": 0.5, "temperature": 3.0},
        {"fit_intercept": False, "C": 0.1},
        {"penalty": None, "temperature": 1.0, "C": 1.0},
        {"penalty": "l1", "C": 0.2},
        {"penalty": "elasticnet", "l1_ratio": 0.5, "C": 0.2},
    ],
)
def test_fit_on_a_dask_array_equals_the_in_memory_fit(client, params):
    weights = np.random.default_rng(0).uniform(0.5, 2.0, N)
    memory = _student(**params).fit(X, Y, sample_weight=weights)
    fitted = _student(**params).fit(
        # Persisted, as a user does with X that fits in the cluster's memory.
        da.from_array(X, chunks=(CHUNK, 4)).persist(),  # rechunked to whole rows
        da.from_array(Y, chunks=70),  # rechunked to X's partitions
        sample_weight=da.from_array(weights, chunks=CHUNK),
    )
    _assert_same_fit(fitted, memory)
    assert fitted.n_features_in_ == D
    assert not hasattr(fitted, "feature_names_in_")


def test_unknown_partition_sizes_and_empty_partitions(client):
    memory = _student().fit(X)
    Xd = da.from_array(X, chunks=CHUNK)
    filtered = Xd[Xd[:, 0] > -100]  # every row, in partitions of unknown size
    assert np.isnan(filtered.chunks[0][0])
    _assert_same_fit(_student().fit(filtered), memory)
    keep = np.arange(N) >= CHUNK  # nothing of the first partition
    with_empty = Xd[da.from_array(keep, chunks=CHUNK)].compute_chunk_sizes()
    assert with_empty.chunks[0][0] == 0
    _assert_same_fit(_student().fit(with_empty), _student().fit(X[keep]))


def test_filtered_labels_and_weights_and_the_callers_arrays_untouched(client):
    weights = np.random.default_rng(2).uniform(0.5, 2.0, N)
    keep = X[:, 0] > -1
    memory = _student(alpha=0.5).fit(X[keep], Y[keep], sample_weight=weights[keep])
    Xd = da.from_array(X, chunks=CHUNK)
    mask = Xd[:, 0] > -1
    X_f, y_f = Xd[mask], da.from_array(Y, chunks=CHUNK)[mask]
    w_f = da.from_array(weights, chunks=CHUNK)[mask]
    fitted = _student(alpha=0.5).fit(X_f, y_f, sample_weight=w_f)
    _assert_same_fit(fitted, memory)
    # Prediction on partitions of unknown length, too.
    assert_array_equal(fitted.predict(X_f).compute(), fitted.predict(X[keep]))
    # The caller's collections keep their unknown lengths: nothing was set on
    # them.
    assert all(np.isnan(c) for c in X_f.chunks[0] + y_f.chunks[0] + w_f.chunks[0])


def test_sparse_partitions_fit_as_sparse_x_does_in_memory(client):
    import scipy.sparse as sp

    memory = _student().fit(sp.csr_matrix(X))
    sparse = da.from_array(X, chunks=CHUNK).map_blocks(sp.csr_matrix, dtype=X.dtype)
    _assert_same_fit(_student().fit(sparse), memory)
    with pytest.raises(TypeError, match="the partitions of X are sparse"):
        _student(augment="noise").fit(sparse)


def test_binary_labels_and_string_classes(client):
    X2, y2 = load_scaled("breast_cancer")
    labels = np.where(y2 == 1, "benign", "malignant")
    teacher = LogisticRegression(C=0.05, max_iter=1000).fit(X2, labels)
    memory = _student(teacher, alpha=0.3).fit(X2, labels)
    fitted = _student(teacher, alpha=0.3).fit(
        da.from_array(X2, chunks=100),
        labels,  # y in memory, sliced per partition
    )
    _assert_same_fit(fitted, memory)
    assert fitted.coef_.shape == (1, X2.shape[1])


def _frame(values):
    return pd.DataFrame(values, columns=[f"f{j}" for j in range(values.shape[1])])


def test_a_dask_dataframe_keeps_its_column_names(client):
    frame = _frame(X)
    teacher = MLPClassifier((16,), max_iter=2000, random_state=0).fit(frame, Y)
    memory = _student(teacher).fit(frame)
    ddf = dd.from_pandas(frame, npartitions=3)
    with warnings.catch_warnings():
        # A teacher or student given other column names would warn.
        warnings.simplefilter("error")
        fitted = _student(teacher).fit(ddf)
        proba = fitted.predict_proba(ddf)
        assert isinstance(proba, da.Array)
        assert_allclose(proba.compute(), memory.predict_proba(frame), atol=1e-6)
    _assert_same_fit(fitted, memory)
    assert_array_equal(fitted.feature_names_in_, frame.columns)


def test_predictions_are_dask_arrays_equal_to_the_in_memory_ones(client):
    fitted = _student().fit(X)
    Xd = da.from_array(X, chunks=CHUNK)
    methods = ("predict", "predict_proba", "predict_log_proba", "decision_function")
    for method in methods:
        result = getattr(fitted, method)(Xd)
        assert isinstance(result, da.Array), method
        assert result.chunks[0] == Xd.chunks[0]
        expected = getattr(fitted, method)(X)
        if expected.dtype.kind == "f":
            assert_allclose(result.compute(), expected, rtol=1e-12)
        else:
            assert_array_equal(result.compute(), expected)
    # Every fitted student maps over partitions: the tree, the wrapper.
    tree = DistilledDecisionTree(TEACHER, max_depth=3, random_state=0).fit(X)
    assert_array_equal(tree.predict(Xd).compute(), tree.predict(X))
    assert_array_equal(tree.apply(Xd).compute(), tree.apply(X))
    from sklearn.naive_bayes import GaussianNB

    wrapped = DistilledClassifier(GaussianNB(), TEACHER).fit(X)
    proba = wrapped.predict_proba(Xd)
    assert isinstance(proba, da.Array)
    assert_allclose(proba.compute(), wrapped.predict_proba(X), rtol=1e-12)


def test_a_student_fitted_on_a_frame_predicts_a_dask_array_as_in_memory(client):
    frame = _frame(X)
    fitted = _student(MLPClassifier((8,), max_iter=2000, random_state=0).fit(frame, Y))
    fitted.fit(frame)
    # A NumPy X after a fit on named columns: scikit-learn's warning, once,
    # here (not lost on a worker), and the same predictions.
    with pytest.warns(UserWarning, match="does not have valid feature names"):
        result = fitted.predict_proba(da.from_array(X, chunks=CHUNK))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        assert_allclose(result.compute(), fitted.predict_proba(X), rtol=1e-12)


def test_fidelity_score_on_dask_collections(client):
    fitted = _student().fit(X)
    weights = np.random.default_rng(1).uniform(0, 2, N)
    Xd = da.from_array(X, chunks=CHUNK)
    assert fidelity_score(fitted, Xd) == pytest.approx(fidelity_score(fitted, X))
    assert fidelity_score(
        fitted, Xd, sample_weight=da.from_array(weights, chunks=CHUNK)
    ) == pytest.approx(fidelity_score(fitted, X, sample_weight=weights), rel=1e-12)
    # A regressor's fidelity is its R² against the teacher, from sums.
    from sklearn.datasets import load_diabetes
    from sklearn.linear_model import Ridge
    from sklearn.tree import DecisionTreeRegressor

    Xr, yr = load_diabetes(return_X_y=True)
    teacher = DecisionTreeRegressor(max_depth=6, random_state=0).fit(Xr, yr + 1e6)
    student = DistilledRegressor(Ridge(), teacher).fit(Xr)
    # A mean far from 0 (1e6) against a spread of about 70: the partitions'
    # centred sums keep R² to 1e-10 where raw sums of squares would not.
    assert fidelity_score(student, da.from_array(Xr, chunks=100)) == pytest.approx(
        fidelity_score(student, Xr), rel=1e-10
    )
    # A constant teacher: r2_score's rule gives 0 to a student that is not
    # constant (here fitted on y alone), not a division by zero.
    constant = DistilledRegressor(Ridge(), lambda X: np.full(len(X), 3.0), alpha=1.0)
    constant.fit(Xr, yr)
    assert fidelity_score(constant, Xr) == 0.0
    assert fidelity_score(constant, da.from_array(Xr, chunks=100)) == 0.0


def test_the_teacher_runs_on_the_workers_once_per_row_and_is_shipped_once(client):
    client.run(dask_helpers.reset)
    dask_helpers.reset()
    module = dask_helpers.CountingNet(D, 3)
    teacher = TorchTeacher(module, device="cpu")
    memory = _student(teacher).fit(X)
    fitted = _student(teacher).fit(da.from_array(X, chunks=CHUNK))
    _assert_same_fit(fitted, memory)
    per_worker = client.run(dask_helpers.counts).values()
    # Forwarded once per row over the whole fit (not once per L-BFGS step),
    # and loaded at most once by each worker (not once per partition).
    assert sum(c["rows"] for c in per_worker) == N
    assert all(c["loads"] <= 1 for c in per_worker)
    assert sum(c["loads"] for c in per_worker) >= 1
    assert fitted.n_iter_[0] > 1  # several steps, one teacher pass
    # Nothing ran on the client: its module forwarded only the in-memory fit.
    assert dask_helpers.COUNTS["rows"] == N


def test_augmentation_happens_per_partition_with_reproducible_seeds(client):
    client.run(dask_helpers.reset)
    teacher = TorchTeacher(dask_helpers.CountingNet(D, 3), device="cpu")
    # The augmenter's own seed draws the partitions' seeds (as in memory,
    # where it keeps its own); the student's random_state does not override.
    augment = GaussianNoise(n_copies=3, random_state=7)
    Xd = da.from_array(X, chunks=CHUNK)
    fitted = _student(teacher, augment=augment, random_state=1).fit(Xd)
    assert sum(c["rows"] for c in client.run(dask_helpers.counts).values()) == 4 * N
    # Oracle: the in-memory student on the same transfer set, made here
    # from each partition and its seed.
    seeds = partition_seeds(7, Xd.npartitions)
    parts = [X[i : i + CHUNK] for i in range(0, N, CHUNK)]
    rows = []
    for part, seed in zip(parts, seeds):
        rows += [part, GaussianNoise(n_copies=3, random_state=seed).sample(part)[0]]
    # Every row real there: the penalty, relative to the real rows, is 4 times
    # as strong on the Dask fit, C / (1 + n_copies) in memory.
    memory = _student(teacher, C=1.0 / 4).fit(np.concatenate(rows))
    _assert_same_fit(fitted, memory)
    again = _student(teacher, augment=augment, random_state=2).fit(Xd)
    assert_array_equal(again.coef_, fitted.coef_)
    other = GaussianNoise(n_copies=3, random_state=8)
    assert not np.array_equal(
        _student(teacher, augment=other).fit(Xd).coef_, again.coef_
    )
    # A named augmentation takes the student's seed, as in memory.
    named = _student(teacher, augment="noise", random_state=3).fit(Xd)
    seeds = partition_seeds(3, Xd.npartitions)
    rows = []
    for part, seed in zip(parts, seeds):
        rows += [part, GaussianNoise(random_state=seed).sample(part)[0]]
    _assert_same_fit(named, _student(teacher, C=1.0 / 11).fit(np.concatenate(rows)))


def test_students_that_fit_in_memory_refuse_dask_with_the_alternative(client):
    Xd = da.from_array(X, chunks=CHUNK)
    from sklearn.linear_model import Ridge
    from sklearn.naive_bayes import GaussianNB

    for student in (
        DistilledDecisionTree(TEACHER),
        DistilledClassifier(GaussianNB(), TEACHER),
        DistilledMLPClassifier(TEACHER),
        DistilledRegressor(Ridge(), TEACHER),
    ):
        name = type(student).__name__
        with pytest.raises(TypeError, match=f"{name}: X is a Dask collection") as info:
            student.fit(Xd)
        message = str(info.value)
        assert "X.sample(frac=0.01).compute()" in message
        assert "X[::100].compute()" in message
        # A classification student is pointed at the logistic regression; a
        # regression student is not (it would refuse a regression teacher).
        assert ("DistilledLogisticRegression" in message) == (
            name != "DistilledRegressor"
        )
    with pytest.raises(
        TypeError, match=r"y is a Dask collection but X is not.*\.compute"
    ):
        DistilledDecisionTree(TEACHER).fit(X, da.from_array(Y, chunks=CHUNK))


def test_bad_dask_input_is_refused_naming_the_fix(client):
    Xd = da.from_array(X, chunks=CHUNK)
    with pytest.raises(ValueError, match="not fitted.*fit it first"):
        _real_rows(LogisticRegression()).fit(Xd, Y)
    with pytest.raises(ValueError, match="teacher_logits cannot be passed"):
        _student().fit(Xd, teacher_logits=TEACHER.predict_proba(X))
    with pytest.raises(ValueError, match="y has 100 entries but X has 178"):
        _student().fit(Xd, Y[:100])
    with pytest.raises(ValueError, match="alpha=0.5 mixes in y"):
        _student(alpha=0.5).fit(Xd)
    with pytest.raises(TypeError, match="y is a Dask collection but X is not"):
        _student(alpha=0.5).fit(X, da.from_array(Y, chunks=CHUNK))
    negative = np.ones(N)
    negative[5] = -1.0
    nan = np.ones(N)
    nan[170] = np.nan
    for bad, cause in ((negative, "Negative values"), (nan, "NaN")):
        with pytest.raises(ValueError, match=f"bad sample_weight: .*{cause}"):
            _student().fit(Xd, sample_weight=da.from_array(bad, chunks=CHUNK))
    # A scalar weight, and a column y, are taken as in memory.
    _assert_same_fit(
        _student().fit(Xd, sample_weight=2.0), _student().fit(X, sample_weight=2.0)
    )
    column = da.from_array(Y[:, None], chunks=CHUNK)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # DataConversionWarning, as in memory
        _assert_same_fit(
            _student(alpha=0.5).fit(Xd, column), _student(alpha=0.5).fit(X, Y)
        )
    with pytest.raises(TypeError, match="teacher_logits is a Dask collection but X"):
        DistilledDecisionTree(TEACHER).fit(
            X, teacher_logits=da.from_array(TEACHER.predict_proba(X), chunks=CHUNK)
        )
    with pytest.raises(TypeError, match="teacher_logits is a Dask collection but X"):
        _student().fit(
            X, teacher_logits=da.from_array(TEACHER.predict_proba(X), chunks=CHUNK)
        )

    class Jitter:  # an augmenter with no seed to make its rows again from
        def sample(self, X):
            return X + 0.1, np.arange(len(X))

        def get_params(self, deep=True):
            return {}

    with pytest.raises(ValueError, match="has no random_state"):
        _student(augment=Jitter()).fit(Xd)

    # A graph that gives other rows each time it is read: refused at the step.
    def drop_some(block):
        return block[np.random.default_rng().random(len(block)) > 0.3]

    shifting = Xd.map_blocks(drop_some, chunks=((np.nan,) * Xd.numblocks[0], (D,)))
    with pytest.raises(ValueError, match="must give the same rows every time"):
        _student().fit(shifting)
    broken = X.copy()
    broken[3, 2] = np.nan
    with pytest.raises(ValueError, match="a partition of X cannot be read"):
        _student().fit(da.from_array(broken, chunks=CHUNK))
    with pytest.raises(ValueError, match=r"labels \[7\] that are not among"):
        _student(alpha=0.5).fit(Xd, np.r_[Y[:-1], 7])


def test_the_threaded_scheduler_fits_the_same_model():
    memory = _student().fit(X)
    with dask.config.set(scheduler="threads"):
        fitted = _student().fit(da.from_array(X, chunks=CHUNK))
    _assert_same_fit(fitted, memory)


def test_a_transfer_set_larger_than_a_worker_memory_limit():
    # X is 432 MB, made lazily on the workers; each worker may hold 400 MB
    # (of which a worker process with skdistill imported takes about 210).
    # A worker that held all of X would be killed by its nanny and the fit
    # would fail; the client never sees a row.
    n, d = 2_700_000, 20
    limit = 400 * 2**20
    with _cluster(limit):
        Xd = da.random.RandomState(0).standard_normal((n, d), chunks=(50_000, d))
        assert Xd.nbytes > limit
        # A linear teacher (its module, like skdistill's, imports no torch on
        # the workers): the student recovers its direction.
        rng = np.random.default_rng(0)
        sample = rng.standard_normal((2000, d))
        teacher = LogisticRegression().fit(sample, sample @ rng.normal(size=d) > 0)
        # The ridge start is all but the optimum for a linear teacher: a few
        # steps suffice.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            student = _real_rows(teacher, max_iter=1).fit(Xd)
        assert student.coef_.shape == (1, d)
        direction = teacher.coef_[0]
        cosine = student.coef_[0] @ direction / np.linalg.norm(student.coef_[0])
        assert cosine / np.linalg.norm(direction) > 0.999


def test_importing_skdistill_does_not_import_dask():
    code = (
        "import sys, numpy as np, skdistill;"
        "from sklearn.datasets import load_iris;"
        "from sklearn.naive_bayes import GaussianNB;"
        "X, y = load_iris(return_X_y=True);"
        "s = skdistill.DistilledLogisticRegression(GaussianNB().fit(X, y)).fit(X);"
        "s.predict(X); skdistill.fidelity_score(s, X);"
        "assert 'dask' not in sys.modules, 'dask imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
