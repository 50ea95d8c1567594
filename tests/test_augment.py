import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from conftest import RowCounter, load_scaled, random_mlp
from numpy.testing import assert_allclose, assert_array_equal
from scipy.special import softmax
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.utils._param_validation import InvalidParameterError

from skdistill import (
    DistilledClassifier,
    DistilledDecisionTree,
    DistilledLogisticRegression,
    TorchTeacher,
    fidelity_score,
)
from skdistill.augment import GaussianNoise, Mixup, Munge, resolve_augment
from skdistill.targets import replicate_rows, soften

AUGMENTERS = [GaussianNoise, Munge, Mixup]


@pytest.mark.parametrize("cls", AUGMENTERS)
def test_sample_shapes_sources_and_reproducibility(cls):
    X, _ = load_scaled("wine")
    X_new, source = cls(n_copies=3, random_state=0).sample(X)
    assert X_new.shape == (3 * len(X), X.shape[1])
    assert_array_equal(source, np.tile(np.arange(len(X)), 3))
    again, _ = cls(n_copies=3, random_state=0).sample(X)
    assert_array_equal(X_new, again)
    other, _ = cls(n_copies=3, random_state=1).sample(X)
    assert not np.array_equal(X_new, other)
    assert X_new.dtype == X.dtype
    assert cls(n_copies=3).sample(X.astype(np.float32))[0].dtype == np.float32


def test_gaussian_noise_scale_spread_and_clipping():
    rng = np.random.default_rng(0)
    X = np.column_stack([rng.normal(0, 1, 5000), rng.normal(0, 10, 5000)])
    pooled, _ = GaussianNoise(
        1, 0.1, spread="pooled", clip=False, random_state=0
    ).sample(X)
    feature, _ = GaussianNoise(
        1, 0.1, spread="feature", clip=False, random_state=0
    ).sample(X)
    pooled_sd = np.sqrt(np.mean(X.std(axis=0) ** 2))
    assert_allclose((pooled - X).std(axis=0), 0.1 * pooled_sd, rtol=0.05)
    assert_allclose((feature - X).std(axis=0), 0.1 * X.std(axis=0), rtol=0.05)
    clipped, _ = GaussianNoise(5, 2.0, random_state=0).sample(X)
    assert (clipped >= X.min(axis=0)).all() and (clipped <= X.max(axis=0)).all()
    assert_array_equal(GaussianNoise(2, 0.0).sample(X)[0], np.vstack([X, X]))


def test_munge_draws_around_the_nearest_neighbour():
    X = np.array([[0.0, 7.0], [1.0, 7.0], [10.0, 7.0], [12.0, 7.0]])
    X_new, source = Munge(n_copies=200, p_swap=1.0, spread=1e6, random_state=0).sample(
        X
    )
    partners = np.array([[1.0, 7.0], [0.0, 7.0], [12.0, 7.0], [10.0, 7.0]])
    assert_allclose(X_new, partners[source], atol=1e-4)  # tiny sd: the partner
    kept, _ = Munge(n_copies=5, p_swap=0.0, random_state=0).sample(X)
    assert_array_equal(kept, np.tile(X, (5, 1)))
    assert (Munge(n_copies=5, random_state=0).sample(X)[0][:, 1] == 7.0).all()


def test_mixup_stays_on_segments_between_rows():
    X = np.array([[0.0, 0.0], [1.0, 2.0]])
    X_new, _ = Mixup(n_copies=50, alpha=1.0, random_state=0).sample(X)
    assert_allclose(X_new[:, 1], 2 * X_new[:, 0])
    assert ((0 <= X_new[:, 0]) & (X_new[:, 0] <= 1)).all()


@pytest.mark.parametrize("name, cls", [("noise", GaussianNoise), ("munge", Munge)])
def test_names_mean_defaults_and_unknown_names_are_refused(name, cls):
    assert resolve_augment(name).get_params() == cls().get_params()
    assert resolve_augment(None) is None
    with pytest.raises(ValueError, match=r"augment='jitter' is not an augmentation"):
        resolve_augment("jitter", owner="Student")


@pytest.mark.parametrize("cls", AUGMENTERS)
def test_n_copies_must_be_positive(cls):
    with pytest.raises(InvalidParameterError, match="'n_copies' parameter of"):
        cls(n_copies=0).sample(np.ones((3, 2)))


STUDENTS = {
    "linear": lambda **kw: DistilledLogisticRegression(**kw),
    "tree": lambda **kw: DistilledDecisionTree(max_depth=5, random_state=0, **kw),
    "wrapper": lambda **kw: DistilledClassifier(LogisticRegression(), **kw),
}


@pytest.mark.parametrize("name", STUDENTS)
def test_synthetic_rows_are_labelled_by_the_teacher_alone(name):
    X, y = load_scaled("wine")
    module = RowCounter(random_mlp(X.shape[1], 3))
    teacher = TorchTeacher(module, device="cpu")
    augment = GaussianNoise(n_copies=4, scale=0.2, random_state=0)
    student = STUDENTS[name](teacher=teacher, augment=augment, alpha=0.5)
    student.fit(X, y)
    # Real rows ran once and are cached; synthetic rows ran once, uncached.
    assert module.rows == len(X) * 5
    teacher.predict_logits(X)
    assert module.rows == len(X) * 5
    again = STUDENTS[name](teacher=teacher, augment=augment, alpha=0.5).fit(X, y)
    assert_allclose(again.predict_proba(X), student.predict_proba(X))


@pytest.mark.parametrize("alpha", [0.0, 0.5])
def test_augmented_fit_equals_fitting_the_augmented_targets(alpha):
    # The oracle: the hard term on the real rows, the soft term on all rows,
    # as Hinton's loss of the stacked rows, minimised by torch's autograd
    # check (its gradient vanishes at the fit); at alpha=0 also the slow
    # exact route, soft-label weighting of the stacked rows.
    torch = pytest.importorskip("torch")
    X, y = load_scaled("wine")
    teacher = TorchTeacher(random_mlp(X.shape[1], 3), device="cpu")
    augment = Mixup(n_copies=2, random_state=0)
    params = {"temperature": 2.0, "alpha": alpha, "tol": 1e-10, "max_iter": 10000}
    student = DistilledLogisticRegression(teacher, augment=augment, **params)
    student.fit(X, y)
    X_new, _ = augment.sample(X)
    X_all = np.vstack([X, X_new])
    z_all = teacher.predict_logits(X_all)
    if alpha == 0:
        X_rep, y_rep, w_rep = replicate_rows(X_all, soften(z_all, 2.0), threshold=0)
        # The penalty is relative to the real rows: C / (1 + n_copies) on all.
        reference = LogisticRegression(C=1.0 / 3, tol=1e-10, max_iter=10000)
        reference.fit(X_rep, y_rep, sample_weight=w_rep)
        expected = softmax(2.0 * reference.decision_function(X), axis=1)
        assert_allclose(student.predict_proba(X), expected, atol=1e-5)
    coef = torch.tensor(student.coef_, requires_grad=True)
    intercept = torch.tensor(student.intercept_, requires_grad=True)
    S = torch.tensor(X_all) @ coef.T + intercept
    P_T = torch.softmax(torch.tensor(z_all) / 2.0, dim=1)
    soft = -(P_T * torch.log_softmax(S / 2.0, dim=1)).sum(dim=1)
    a = torch.zeros(len(X_all), dtype=torch.float64)
    a[: len(X)] = alpha
    hard = torch.zeros(len(X_all), dtype=torch.float64)
    hard[: len(X)] = -torch.log_softmax(S[: len(X)], dim=1)[np.arange(len(X)), y]
    loss = (a * hard + (1 - a) * 4.0 * soft).mean() + (coef**2).sum() / (2 * len(X))
    loss.backward()
    assert float(coef.grad.abs().max()) < 1e-6


def test_sample_weights_follow_their_source_rows():
    X, y = load_scaled("wine")
    teacher = TorchTeacher(random_mlp(X.shape[1], 3), device="cpu")
    weights = np.random.default_rng(0).integers(0, 3, size=len(X)).astype(float)
    augment = GaussianNoise(n_copies=2, scale=0.1, random_state=0)
    params = {"max_depth": 4, "random_state": 0, "augment": augment}
    weighted = DistilledDecisionTree(teacher, **params).fit(X, sample_weight=weights)
    # Zero-weight rows and their synthetic copies count for nothing, so the
    # tree's root weight is (1 + n_copies) * sum(weights).
    assert weighted.tree_.weighted_n_node_samples[0] == pytest.approx(3 * weights.sum())


def test_grid_search_tunes_augmentation_strength():
    X, y = load_scaled("wine")
    teacher = LogisticRegression().fit(X, y)
    search = GridSearchCV(
        DistilledDecisionTree(
            teacher, max_depth=3, random_state=0, augment=GaussianNoise(n_copies=3)
        ),
        {"augment__scale": [0.1, 0.3], "temperature": [1.0, 2.0]},
        scoring=fidelity_score,
        cv=3,
    )
    search.fit(X)  # no labels: the search scores agreement with the teacher
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()
    assert search.best_params_["augment__scale"] in (0.1, 0.3)
    assert len(search.cv_results_["params"]) == 4


def test_unlabelled_transfer_data_with_augmentation():
    X, y = load_scaled("breast_cancer")
    teacher = LogisticRegression().fit(X, y)
    student = DistilledLogisticRegression(teacher, augment="munge").fit(X)
    assert student.score(X, y) > 0.95


def test_pandas_rows_reach_the_teacher_with_their_columns():
    import warnings

    X, y = load_scaled("wine")
    frame = pd.DataFrame(X, columns=[f"c{i}" for i in range(13)])
    teacher = LogisticRegression().fit(frame, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        DistilledLogisticRegression(teacher, augment="mixup").fit(frame)
        DistilledClassifier(LogisticRegression(), teacher, augment="noise").fit(frame)


def test_augmentation_errors_name_the_fix():
    X, y = load_scaled("wine")
    teacher = LogisticRegression().fit(X, y)
    with pytest.raises(TypeError, match=r"augment='noise' needs dense numeric X"):
        DistilledLogisticRegression(teacher, augment="noise").fit(sp.csr_matrix(X))
    with pytest.raises(ValueError, match="needs a teacher to label the synthetic"):
        DistilledLogisticRegression(None, augment="noise").fit(
            X, teacher_logits=np.zeros((len(X), 3))
        )
    with pytest.raises(InvalidParameterError, match="'augment' parameter of"):
        DistilledLogisticRegression(teacher, augment="jitter").fit(X)


def test_synthetic_rows_reach_the_teacher_one_copy_at_a_time():
    X, y = load_scaled("wine")
    fitted = LogisticRegression().fit(X, y)
    calls = []

    def teacher(rows):
        calls.append(len(rows))
        return fitted.decision_function(rows)

    augment = GaussianNoise(n_copies=25, random_state=0)
    student = DistilledLogisticRegression(teacher, augment=augment).fit(X)
    assert calls == [len(X)] * 26  # the real rows, then each copy alone
    assert student.score(X, y) > 0.95


def test_any_object_with_sample_is_an_augmenter():
    class Duplicate:
        def sample(self, X):
            return X[::-1].copy(), np.arange(len(X))[::-1]

    X, y = load_scaled("wine")
    teacher = LogisticRegression().fit(X, y)
    weights = np.arange(len(X), dtype=float)
    student = DistilledDecisionTree(teacher, max_depth=3, augment=Duplicate())
    student.fit(X, sample_weight=weights)
    assert student.tree_.weighted_n_node_samples[0] == pytest.approx(2 * weights.sum())


@pytest.mark.parametrize("n_copies", [0, -1, 2.5])
def test_bad_n_copies_fails_before_the_teacher_runs(n_copies):
    X, y = load_scaled("wine")
    calls = []

    def teacher(rows):
        calls.append(len(rows))
        return np.zeros((len(rows), 3))

    student = DistilledLogisticRegression(
        teacher, augment=GaussianNoise(n_copies=n_copies)
    )
    with pytest.raises(InvalidParameterError, match="'n_copies' parameter of"):
        student.fit(X)
    assert calls == []
