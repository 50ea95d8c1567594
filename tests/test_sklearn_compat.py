"""Every student as an ordinary scikit-learn estimator."""

import pickle
import warnings

import pandas as pd
import pytest
from conftest import RowCounter, load_scaled, random_mlp
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone
from sklearn.datasets import load_wine
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skdistill import (
    DistilledClassifier,
    DistilledDecisionTree,
    DistilledLogisticRegression,
    TorchTeacher,
    fidelity_score,
)

STUDENTS = {
    "linear": lambda teacher, **kw: DistilledLogisticRegression(teacher, **kw),
    "tree": lambda teacher, **kw: DistilledDecisionTree(
        teacher, max_depth=4, random_state=0, **kw
    ),
    "wrapper": lambda teacher, **kw: DistilledClassifier(
        LogisticRegression(), teacher, **kw
    ),
}
# A depth-4 tree is the coarsest of the three students.
MIN_ACCURACY = {"linear": 0.95, "tree": 0.85, "wrapper": 0.95}
MIN_FIDELITY = {"linear": 0.8, "tree": 0.6, "wrapper": 0.8}
parametrize_students = pytest.mark.parametrize("name", STUDENTS)


def _params_equal(a, b):
    """get_params(deep=False) of a clone: same values, estimators compared by
    their own parameters, the teacher by identity (it is shared)."""
    assert a.keys() == b.keys()
    for key in a:
        if key == "teacher" or not hasattr(a[key], "get_params"):
            assert a[key] is b[key] or a[key] == b[key], key
        else:
            assert a[key] is not b[key], key  # cloned, not shared
            assert a[key].get_params() == b[key].get_params(), key


@pytest.fixture
def wine():
    return load_scaled("wine")


def _torch_teacher(n_features=13, n_classes=3):
    return TorchTeacher(random_mlp(n_features, n_classes), device="cpu")


@parametrize_students
def test_pipeline_step_after_a_transformer(name):
    make = STUDENTS[name]
    X, y = load_wine(return_X_y=True)
    pipe = make_pipeline(StandardScaler(), make(LogisticRegression()))
    pipe.fit(X, y)
    assert pipe.score(X, y) > MIN_ACCURACY[name]
    student = pipe[-1]
    assert student.n_features_in_ == 13
    # The student and its teacher both saw the scaled X.
    scaled = pipe[0].transform(X)
    assert student.teacher_.estimator.score(scaled, y) > 0.95
    assert fidelity_score(pipe, X) > MIN_ACCURACY[name]


@parametrize_students
def test_grid_search_over_temperature(name, wine):
    make = STUDENTS[name]
    X, y = wine
    search = GridSearchCV(
        make(LogisticRegression()), {"temperature": [1.0, 2.0, 4.0]}, cv=3
    )
    search.fit(X, y)
    assert search.best_params_["temperature"] in (1.0, 2.0, 4.0)
    assert len(search.cv_results_["mean_test_score"]) == 3
    assert search.best_score_ > MIN_ACCURACY[name] - 0.05


def test_grid_search_over_temperature_and_C(wine):
    X, y = wine
    search = GridSearchCV(
        DistilledLogisticRegression(LogisticRegression()),
        {"temperature": [1.0, 2.0, 4.0], "C": [0.1, 1.0]},
        cv=3,
    )
    search.fit(X, y)
    assert set(search.best_params_) == {"temperature", "C"}
    assert len(search.cv_results_["mean_test_score"]) == 6
    assert search.best_score_ > 0.9


@parametrize_students
def test_grid_search_with_fidelity_scoring_and_no_labels(name, wine):
    make = STUDENTS[name]
    X, y = wine
    teacher = TorchTeacher(RowCounter(random_mlp(13, 3)), device="cpu")
    # Real rows only: the cache does not keep synthetic rows, new in each fit.
    search = GridSearchCV(
        make(teacher, augment=None),
        {"temperature": [1.0, 3.0]},
        scoring=fidelity_score,
        cv=3,
    )
    search.fit(X)
    assert search.best_score_ > MIN_FIDELITY[name]
    assert teacher.module.rows == len(X)  # fits and scoring reused cached rows
    assert fidelity_score(search, X) == fidelity_score(search.best_estimator_, X)


def test_grid_search_slices_teacher_logits(wine):
    X, y = wine
    teacher = _torch_teacher()
    logits = teacher.predict_logits(X)
    search = GridSearchCV(
        DistilledLogisticRegression(None), {"temperature": [1.0, 2.0]}, cv=3
    )
    search.fit(X, y, teacher_logits=logits)
    # The search had the logits alone, so no teacher to label synthetic rows.
    direct = DistilledLogisticRegression(
        teacher, augment=None, **search.best_params_
    ).fit(X, y)
    assert_allclose(search.best_estimator_.coef_, direct.coef_, rtol=1e-10)
    assert search.best_estimator_.teacher_ is None


@parametrize_students
def test_cross_val_score(name, wine):
    make = STUDENTS[name]
    X, y = wine
    teacher = LogisticRegression().fit(X, y)
    scores = cross_val_score(make(teacher), X, y, cv=4)
    assert scores.shape == (4,)
    # The mean: wine's folds are unshuffled, and on one of them the entropy
    # tree, hard-label or distilled, scores 0.67.
    assert scores.mean() > MIN_ACCURACY[name] - 0.05


@parametrize_students
def test_clone_keeps_params_and_shares_the_teacher(name, wine):
    make = STUDENTS[name]
    teacher = _torch_teacher()
    student = make(teacher, temperature=3.0).fit(*wine)
    copy = clone(student)
    _params_equal(copy.get_params(deep=False), student.get_params(deep=False))
    assert copy.teacher is teacher
    assert copy.temperature == 3.0
    assert not hasattr(copy, "classes_")
    assert not hasattr(getattr(copy, "student", copy), "classes_")


@parametrize_students
def test_pickle_round_trip(name, wine):
    make = STUDENTS[name]
    X, y = wine
    student = make(_torch_teacher(), temperature=2.0).fit(X, y)
    loaded = pickle.loads(pickle.dumps(student))
    assert_allclose(loaded.predict_proba(X), student.predict_proba(X))
    assert fidelity_score(loaded, X) == fidelity_score(student, X)
    plain = pickle.loads(pickle.dumps(student.to_sklearn()))
    assert_array_equal(plain.predict(X), student.predict(X))


@parametrize_students
def test_pandas_input_sets_feature_names(name, wine):
    make = STUDENTS[name]
    X, y = wine
    columns = load_wine().feature_names
    frame = pd.DataFrame(X, columns=columns)
    student = make(_torch_teacher()).fit(frame, pd.Series(y))
    assert_array_equal(student.feature_names_in_, columns)
    assert_array_equal(student.to_sklearn().feature_names_in_, columns)
    with pytest.warns(UserWarning, match="X does not have valid feature names"):
        assert_allclose(student.predict_proba(X), student.predict_proba(frame))


def test_pandas_frame_reaches_a_fitted_sklearn_teacher_with_names(wine):
    X, y = wine
    frame = pd.DataFrame(X, columns=load_wine().feature_names)
    teacher = LogisticRegression().fit(frame, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        DistilledLogisticRegression(teacher).fit(frame)


@parametrize_students
def test_a_fitted_sklearn_teacher_is_shared_not_retrained(name, wine):
    X, y = wine
    teacher = LogisticRegression(C=0.01).fit(X[::3], y[::3])
    coef = teacher.coef_.copy()
    search = GridSearchCV(STUDENTS[name](teacher), {"temperature": [1.0, 2.0]}, cv=3)
    search.fit(X, y)
    assert search.best_estimator_.teacher is teacher
    assert search.best_estimator_.teacher_.estimator is teacher
    assert_array_equal(teacher.coef_, coef)  # never refitted on the folds
    unfitted = STUDENTS[name](LogisticRegression())
    assert clone(unfitted).teacher is not unfitted.teacher
