"""augment="auto", every student's default: what it stands for, and when not."""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from conftest import RowCounter, load_scaled, random_mlp
from numpy.testing import assert_array_equal
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.naive_bayes import GaussianNB
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor
from sklearn.utils import get_tags

from skdistill import (
    DistilledClassifier,
    DistilledDecisionTree,
    DistilledLogisticRegression,
    DistilledMLPClassifier,
    DistilledRegressor,
    TorchTeacher,
)
from skdistill.augment import GaussianNoise

X, Y = load_scaled("wine")
N = len(X)
TEACHER = LogisticRegression(max_iter=1000).fit(X, Y)

# The rule of docs/user_guide.rst ("What augment="auto" does"): copies per row.
RULE = [
    (lambda **kw: DistilledLogisticRegression(TEACHER, **kw), 30),
    (lambda **kw: DistilledDecisionTree(TEACHER, **kw), 100),
    (lambda **kw: DistilledDecisionTree(TEACHER, max_depth=8, **kw), 100),
    (lambda **kw: DistilledDecisionTree(TEACHER, max_depth=7, **kw), 0),
    (lambda **kw: DistilledDecisionTree(TEACHER, max_leaf_nodes=255, **kw), 0),
    (lambda **kw: DistilledDecisionTree(TEACHER, max_leaf_nodes=256, **kw), 100),
    (
        lambda **kw: DistilledMLPClassifier(
            TEACHER, hidden_layer_sizes=(4,), max_iter=2, **kw
        ),
        30,
    ),
    (lambda **kw: DistilledClassifier(GaussianNB(), TEACHER, **kw), 30),
]
IDS = ["linear", "tree", "tree 8", "tree 7", "255 leaves", "256 leaves", "mlp", "nb"]


def _fit(student):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # a 2-epoch MLP
        return student.fit(X)


def _tree():
    return DecisionTreeClassifier(max_depth=3, random_state=0)


@pytest.mark.parametrize(("make", "copies"), RULE, ids=IDS)
def test_auto_is_the_students_noise_copies_seeded_by_its_random_state(make, copies):
    student = _fit(make(random_state=3))
    if copies == 0:
        assert student.augment_ is None
        return
    assert (
        student.augment_.get_params()
        == GaussianNoise(n_copies=copies, random_state=3).get_params()
    )
    # It is that augmenter: the same fit as passing it.
    explicit = _fit(make(random_state=3, augment=student.augment_))
    assert_array_equal(explicit.predict_proba(X), student.predict_proba(X))


def test_the_regressor_takes_ten_copies():
    y = X[:, 0]
    student = DistilledRegressor(
        DecisionTreeRegressor(max_depth=8, random_state=0),
        Ridge().fit(X, y),
        random_state=0,
    ).fit(X)
    assert student.augment_.n_copies == 10


def test_the_teacher_labels_the_real_rows_and_the_copies():
    module = RowCounter(random_mlp(X.shape[1], 3))
    student = DistilledLogisticRegression(TorchTeacher(module, device="cpu")).fit(X)
    assert module.rows == N + 30 * N
    assert student.augment_.n_copies == 30


def test_copies_are_capped_at_auto_rows_in_all():
    X_big = np.tile(X, (12, 1))  # 2 136 rows: 40 000 // 2 136 = 18 copies
    student = DistilledDecisionTree(TEACHER, random_state=0).fit(X_big)
    assert student.AUTO_ROWS == 40_000
    assert student.augment_.n_copies == 40_000 // len(X_big) == 18
    X_huge = np.tile(X[:, :2], (225, 1))  # 40 050 rows: none at all
    teacher = Ridge().fit(X_huge, X_huge[:, 0])
    regressor = DistilledRegressor(Ridge(), teacher).fit(X_huge)
    assert regressor.augment_ is None


def test_alpha_one_adds_no_rows_and_is_the_hard_label_model():
    # Synthetic rows carry no hard label: with alpha=1 they would weigh
    # nothing, so none are made (and the fit stays LogisticRegression's).
    tight = {"C": 0.5, "tol": 1e-10, "max_iter": 10_000}
    student = DistilledLogisticRegression(TEACHER, alpha=1.0, **tight).fit(X, Y)
    assert student.augment_ is None
    twin = LogisticRegression(**tight).fit(X, Y)
    np.testing.assert_allclose(
        student.predict_proba(X), twin.predict_proba(X), rtol=0, atol=1e-6
    )


def test_no_rows_without_a_teacher_to_label_them():
    logits = TEACHER.decision_function(X)
    student = DistilledDecisionTree(None).fit(X, teacher_logits=logits)
    assert student.augment_ is None


def test_no_rows_for_sparse_x_which_auto_accepts():
    student = DistilledLogisticRegression(TEACHER)
    assert get_tags(student).input_tags.sparse
    assert student.fit(sp.csr_matrix(X)).augment_ is None
    # An explicit augmenter still refuses sparse X, as before.
    assert not get_tags(
        DistilledLogisticRegression(TEACHER, augment="noise")
    ).input_tags.sparse


def test_no_rows_for_missing_values():
    # Teacher and student take NaN; noise around NaN would spread it.
    X_nan = X.copy()
    X_nan[::7, 1] = np.nan
    teacher = HistGradientBoostingClassifier(max_iter=10, random_state=0).fit(X_nan, Y)
    assert DistilledClassifier(_tree(), teacher).fit(X_nan).augment_ is None
    assert DistilledClassifier(_tree(), teacher).fit(X).augment_.n_copies == 30


def test_no_rows_for_a_frame_with_pd_na_and_rows_for_a_nullable_float_frame():
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame(X, columns=[f"c{i}" for i in range(X.shape[1])])
    teacher = LogisticRegression(max_iter=1000).fit(frame, Y)
    nullable = frame.convert_dtypes()
    student = DistilledDecisionTree(teacher, max_depth=8, random_state=0)
    assert student.fit(nullable).augment_.n_copies == 100
    with_na = nullable.copy()
    with_na.iloc[0, 0] = pd.NA
    hgb = HistGradientBoostingClassifier(max_iter=10, random_state=0)
    hgb.fit(with_na.astype("float64"), Y)

    def teacher(frame):  # takes the frame with pd.NA
        return np.log(hgb.predict_proba(frame.astype("float64")))

    fitted = DistilledClassifier(_tree(), teacher).fit(with_na)
    assert fitted.augment_ is None


def test_random_state_makes_the_default_fit_reproducible():
    first = DistilledLogisticRegression(TEACHER, random_state=0).fit(X)
    again = DistilledLogisticRegression(TEACHER, random_state=0).fit(X)
    assert_array_equal(first.coef_, again.coef_)
    other = DistilledLogisticRegression(TEACHER, random_state=1).fit(X)
    assert not np.array_equal(other.coef_, first.coef_)


def test_no_rows_for_integer_boolean_or_categorical_columns():
    # Codes, counts and flags: noise would give them values they never take
    # (a teacher that one-hot encodes a code fails on them).
    pd = pytest.importorskip("pandas")
    student = DistilledLogisticRegression(TEACHER, random_state=0)
    assert student.fit(np.round(X * 4).astype(np.int64)).augment_ is None
    frame = pd.DataFrame(X[:, :3], columns=["a", "b", "c"])
    on_frame = LogisticRegression(max_iter=1000).fit(frame, Y)
    assert DistilledLogisticRegression(on_frame).fit(frame).augment_.n_copies == 30
    for column in (
        np.arange(N) % 3,
        np.arange(N) % 2 == 0,
        pd.Categorical(np.arange(N) % 3),
        pd.array(np.arange(N) % 3, dtype="Int64"),
    ):
        coded = frame.assign(code=column)
        teacher = LogisticRegression(max_iter=1000).fit(coded.astype(float), Y)
        fitted = DistilledLogisticRegression(teacher).fit(coded.astype(float))
        assert fitted.augment_ is not None  # the same numbers as floats
        fitted = DistilledClassifier(
            _tree(), lambda Z: teacher.decision_function(Z.astype(float))
        ).fit(coded)
        assert fitted.augment_ is None


def test_tuning_the_noise_needs_an_augmenter_object():
    student = DistilledLogisticRegression(TEACHER)
    with pytest.raises(
        ValueError,
        match=r"DistilledLogisticRegression: cannot set \['augment__scale'\]: "
        r"augment='auto' is not an augmenter object.*augment=GaussianNoise",
    ):
        student.set_params(augment__scale=0.2)
    student.set_params(augment=GaussianNoise(random_state=0), augment__scale=0.2)
    assert student.augment.scale == 0.2


def test_the_noise_does_not_depend_on_the_layout_of_x():
    # A DataFrame's values are in Fortran order; the spreads of the noise
    # are computed on C-ordered values, so both give the same rows.
    pd = pytest.importorskip("pandas")
    on_array = DistilledLogisticRegression(TEACHER, random_state=0).fit(X)
    on_frame = DistilledLogisticRegression(TEACHER, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # teacher fitted on arrays
        on_frame.fit(pd.DataFrame(X))
    assert_array_equal(on_frame.coef_, on_array.coef_)
