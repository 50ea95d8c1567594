"""The student as an ordinary scikit-learn estimator."""

import pickle

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

from skdistill import DistilledLogisticRegression, TorchTeacher, fidelity_score


@pytest.fixture
def wine():
    return load_scaled("wine")


def _torch_teacher(n_features=13, n_classes=3):
    return TorchTeacher(random_mlp(n_features, n_classes), device="cpu")


def test_pipeline_step_after_a_transformer():
    X, y = load_wine(return_X_y=True)
    pipe = make_pipeline(
        StandardScaler(), DistilledLogisticRegression(LogisticRegression())
    )
    pipe.fit(X, y)
    assert pipe.score(X, y) > 0.95
    student = pipe[-1]
    assert student.n_features_in_ == 13
    # The student and its teacher both saw the scaled X.
    scaled = pipe[0].transform(X)
    assert student.teacher_.estimator.score(scaled, y) > 0.95
    assert fidelity_score(pipe, X) > 0.95


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


def test_grid_search_with_fidelity_scoring_and_no_labels(wine):
    X, y = wine
    teacher = TorchTeacher(RowCounter(random_mlp(13, 3)), device="cpu")
    search = GridSearchCV(
        DistilledLogisticRegression(teacher),
        {"temperature": [1.0, 3.0]},
        scoring=fidelity_score,
        cv=3,
    )
    search.fit(X)
    assert search.best_score_ > 0.8
    assert teacher.module.rows == len(X)  # scoring reused the cached rows
    assert fidelity_score(search, X) == fidelity_score(search.best_estimator_, X)


def test_grid_search_slices_teacher_logits(wine):
    X, y = wine
    teacher = _torch_teacher()
    logits = teacher.predict_logits(X)
    search = GridSearchCV(
        DistilledLogisticRegression(None), {"temperature": [1.0, 2.0]}, cv=3
    )
    search.fit(X, y, teacher_logits=logits)
    direct = DistilledLogisticRegression(teacher, **search.best_params_).fit(X, y)
    assert_allclose(search.best_estimator_.coef_, direct.coef_, rtol=1e-10)
    assert search.best_estimator_.teacher_ is None


def test_cross_val_score(wine):
    X, y = wine
    teacher = LogisticRegression().fit(X, y)
    scores = cross_val_score(DistilledLogisticRegression(teacher), X, y, cv=4)
    assert scores.shape == (4,)
    assert scores.min() > 0.9


def test_clone_keeps_params_and_shares_the_teacher(wine):
    teacher = _torch_teacher()
    student = DistilledLogisticRegression(teacher, temperature=3.0, C=0.3)
    student.fit(*wine)
    copy = clone(student)
    assert copy.get_params() == student.get_params()
    assert copy.teacher is teacher
    assert not hasattr(copy, "coef_")


def test_pickle_round_trip(wine):
    X, y = wine
    student = DistilledLogisticRegression(_torch_teacher(), temperature=2.0).fit(X, y)
    loaded = pickle.loads(pickle.dumps(student))
    assert_allclose(loaded.predict_proba(X), student.predict_proba(X))
    assert fidelity_score(loaded, X) == fidelity_score(student, X)
    plain = pickle.loads(pickle.dumps(student.to_sklearn()))
    assert_array_equal(plain.predict(X), student.predict(X))


def test_pandas_input_sets_feature_names(wine):
    X, y = wine
    columns = load_wine().feature_names
    frame = pd.DataFrame(X, columns=columns)
    student = DistilledLogisticRegression(_torch_teacher()).fit(frame, pd.Series(y))
    assert_array_equal(student.feature_names_in_, columns)
    assert_array_equal(student.to_sklearn().feature_names_in_, columns)
    with pytest.warns(UserWarning, match="X does not have valid feature names"):
        assert_allclose(student.predict_proba(frame), student.predict_proba(X))
    with pytest.warns(UserWarning, match="X does not have valid feature names"):
        student.predict(X)


def test_pandas_frame_reaches_a_fitted_sklearn_teacher_with_names(wine):
    X, y = wine
    frame = pd.DataFrame(X, columns=load_wine().feature_names)
    teacher = LogisticRegression().fit(frame, y)
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        DistilledLogisticRegression(teacher).fit(frame)
