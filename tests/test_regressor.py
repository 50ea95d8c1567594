"""DistilledRegressor: oracles against the student fitted by hand, teachers, errors."""

import pickle

import numpy as np
import pandas as pd
import pytest
import torch
from conftest import RowCounter, predict_without_torch, random_mlp
from numpy.testing import assert_allclose, assert_array_equal
from sklearn import config_context
from sklearn.base import clone
from sklearn.compose import TransformedTargetRegressor
from sklearn.datasets import load_diabetes, make_friedman1
from sklearn.ensemble import HistGradientBoostingRegressor, RandomForestRegressor
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge
from sklearn.metrics import r2_score
from sklearn.model_selection import GridSearchCV
from sklearn.neighbors import KNeighborsRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from skdistill import (
    DistilledDecisionTree,
    DistilledLogisticRegression,
    DistilledRegressor,
    TorchTeacher,
    fidelity_score,
)
from skdistill.augment import GaussianNoise, Mixup
from skdistill.teachers import CallableTeacher, SklearnTeacher

X, Y = load_diabetes(return_X_y=True)
X = StandardScaler().fit_transform(X)
N, D = X.shape
TEACHER = RandomForestRegressor(n_estimators=20, max_depth=6, random_state=0).fit(X, Y)
F = TEACHER.predict(X)


def _distilled(student, teacher, **params):
    """DistilledRegressor on the real rows alone, the fit these oracles are of."""
    return DistilledRegressor(student, teacher, **{"augment": None, **params})


STUDENTS = {
    "ridge": Ridge(alpha=1.0),
    "tree": DecisionTreeRegressor(max_depth=4, random_state=0),
    "knn": KNeighborsRegressor(n_neighbors=7),
}


def _predictions_equal(a, b):
    # Ridge solves the same normal equations from the same targets: the two
    # fits agree to rounding; trees and neighbours are exactly equal.
    assert_allclose(a, b, rtol=1e-10, atol=1e-8)


@pytest.mark.parametrize("student", STUDENTS.values(), ids=STUDENTS)
def test_alpha_one_is_the_student_fitted_on_y(student):
    distilled = DistilledRegressor(student, TEACHER, alpha=1.0).fit(X, Y)
    _predictions_equal(distilled.predict(X), clone(student).fit(X, Y).predict(X))


@pytest.mark.parametrize("student", STUDENTS.values(), ids=STUDENTS)
def test_alpha_zero_is_the_student_fitted_on_the_teacher(student):
    distilled = _distilled(student, TEACHER).fit(X, Y)
    _predictions_equal(distilled.predict(X), clone(student).fit(X, F).predict(X))
    # y is not needed at alpha = 0.
    _predictions_equal(
        _distilled(student, TEACHER).fit(X).predict(X), distilled.predict(X)
    )


@pytest.mark.parametrize("alpha", [0.25, 0.7])
def test_alpha_mixes_teacher_and_labels(alpha):
    distilled = _distilled(Ridge(), TEACHER, alpha=alpha).fit(X, Y)
    target = (1 - alpha) * F + alpha * Y
    _predictions_equal(distilled.predict(X), Ridge().fit(X, target).predict(X))


def test_mixed_targets_minimise_the_mixed_squared_loss():
    # An independent computation: the gradient of the mixed loss
    # alpha ||y - Xw||^2 + (1 - alpha) ||f - Xw||^2 (+ ridge) vanishes at the
    # distilled coefficients.
    alpha, ridge = 0.3, 2.0
    student = _distilled(
        Ridge(alpha=ridge, fit_intercept=False), TEACHER, alpha=alpha
    ).fit(X, Y)
    w = student.to_sklearn().coef_
    residual_y, residual_f = X @ w - Y, X @ w - F
    gradient = 2 * (
        alpha * X.T @ residual_y + (1 - alpha) * X.T @ residual_f + ridge * w
    )
    assert np.abs(gradient).max() < 1e-8 * np.abs(X.T @ Y).max()


@pytest.mark.parametrize("student", [Ridge(), DecisionTreeRegressor(random_state=0)])
@pytest.mark.parametrize("alpha", [0.0, 0.5])
def test_sample_weight_equals_repeated_rows(student, alpha):
    # Weights from 1: a row of weight 0 still moves a tree's split threshold
    # (the midpoint between neighbouring values), a removed row does not.
    rng = np.random.default_rng(0)
    weights = rng.integers(1, 4, N)
    repeated = np.repeat(np.arange(N), weights)
    weighted = _distilled(student, TEACHER, alpha=alpha).fit(
        X, Y, sample_weight=weights
    )
    copied = _distilled(student, TEACHER, alpha=alpha).fit(X[repeated], Y[repeated])
    _predictions_equal(weighted.predict(X), copied.predict(X))


def test_unfitted_teacher_is_fitted_inside_fit_with_the_weights():
    weights = np.random.default_rng(1).uniform(0.5, 2.0, N)
    student = _distilled(Ridge(), Ridge(alpha=0.1)).fit(X, Y, sample_weight=weights)
    teacher = Ridge(alpha=0.1).fit(X, Y, sample_weight=weights)
    assert_allclose(student.teacher_.estimator.coef_, teacher.coef_, rtol=1e-12)
    assert_allclose(
        student.predict(X),
        Ridge().fit(X, teacher.predict(X), sample_weight=weights).predict(X),
        rtol=1e-10,
    )


def test_torch_module_with_one_output_gives_1d_predictions():
    module = random_mlp(D, 1)
    f = module(torch.as_tensor(X)).detach().numpy()[:, 0]
    student = _distilled(Ridge(), module).fit(X)
    assert student.teacher_.output == "values"
    assert student.predict(X).shape == (N,)
    _predictions_equal(student.predict(X), Ridge().fit(X, f).predict(X))
    # As a TorchTeacher, a 1-d output and a (n, 1) y give the same student.
    teacher = TorchTeacher(module, device="cpu", output="values")
    on_column = _distilled(Ridge(), teacher, alpha=0.5).fit(X, Y[:, None])
    on_vector = _distilled(Ridge(), teacher, alpha=0.5).fit(X, Y)
    _predictions_equal(on_column.predict(X).reshape(-1), on_vector.predict(X))


@pytest.mark.parametrize("alpha", [0.0, 0.4, 1.0])
def test_multi_output_teacher_and_student(alpha):
    X2, _ = make_friedman1(300, n_features=6, random_state=0)
    module = random_mlp(6, 3)
    f = module(torch.as_tensor(X2)).detach().numpy()
    y = f + np.random.default_rng(0).normal(size=f.shape)
    student = _distilled(
        DecisionTreeRegressor(max_depth=5, random_state=0), module, alpha=alpha
    ).fit(X2, y)
    expected = DecisionTreeRegressor(max_depth=5, random_state=0).fit(
        X2, (1 - alpha) * f + alpha * y
    )
    assert student.predict(X2).shape == (300, 3)
    assert_array_equal(student.predict(X2), expected.predict(X2))
    assert fidelity_score(student, X2) == pytest.approx(
        r2_score(f, student.predict(X2)), abs=1e-12
    )


def test_callable_and_teacher_predictions_give_the_same_student():
    by_model = _distilled(Ridge(), TEACHER).fit(X)
    by_callable = _distilled(Ridge(), TEACHER.predict).fit(X)
    assert isinstance(by_callable.teacher_, CallableTeacher)
    by_values = _distilled(Ridge(), None).fit(X, teacher_predictions=F)
    for other in (by_callable, by_values):
        _predictions_equal(other.predict(X), by_model.predict(X))
    assert by_values.teacher_ is None
    with pytest.raises(ValueError, match="pass fidelity_score.student, X, teacher_"):
        fidelity_score(by_values, X)
    assert fidelity_score(by_values, X, teacher_predictions=F) == pytest.approx(
        fidelity_score(by_model, X), abs=1e-12
    )


def test_fidelity_is_r2_against_the_teacher_and_a_scorer():
    student = DistilledRegressor(
        DecisionTreeRegressor(max_depth=3, random_state=0), TEACHER
    ).fit(X)
    weights = np.linspace(0.5, 2.0, N)
    assert fidelity_score(student, X) == pytest.approx(
        r2_score(F, student.predict(X)), abs=1e-12
    )
    assert fidelity_score(student, X, sample_weight=weights) == pytest.approx(
        r2_score(F, student.predict(X), sample_weight=weights), abs=1e-12
    )
    # score: R² against y with labels, against the teacher without.
    assert student.score(X, Y) == pytest.approx(r2_score(Y, student.predict(X)))
    assert student.score(X) == fidelity_score(student, X)
    search = GridSearchCV(
        DistilledRegressor(DecisionTreeRegressor(random_state=0), TEACHER),
        {"student__max_depth": [2, 4]},
        scoring=fidelity_score,
        cv=3,
    ).fit(X)
    assert search.best_params_ == {"student__max_depth": 4}
    assert fidelity_score(search, X) == fidelity_score(search.best_estimator_, X)


def test_search_shares_one_teacher_and_runs_each_row_once():
    counter = RowCounter(random_mlp(D, 1))
    search = GridSearchCV(
        _distilled(Ridge(), counter),
        {"alpha": [0.0, 0.5, 1.0], "student__alpha": [0.1, 10.0]},
        cv=3,
    ).fit(X, Y)
    # Each row is forwarded once, however many folds and candidates.
    assert counter.rows == N
    assert search.best_estimator_.teacher_.module is counter


def test_augmented_rows_are_labelled_by_the_teacher_alone():
    alpha = 0.5
    augment = GaussianNoise(2, scale=0.3, random_state=0)
    student = DistilledRegressor(Ridge(), TEACHER, alpha=alpha, augment=augment)
    student.fit(X, Y)
    X_new, _ = clone(augment).sample(X)
    X_all = np.vstack([X, X_new])
    target = np.concatenate([(1 - alpha) * F + alpha * Y, TEACHER.predict(X_new)])
    _predictions_equal(student.predict(X), Ridge().fit(X_all, target).predict(X))


@pytest.mark.parametrize("augment", ["noise", "munge", "mixup"])
def test_named_augmentations_follow_random_state(augment):
    make = DistilledRegressor(
        DecisionTreeRegressor(max_depth=4, random_state=0),
        TEACHER,
        augment=augment,
        random_state=3,
    )
    first, second = clone(make).fit(X), clone(make).fit(X)
    assert_array_equal(first.predict(X), second.predict(X))


def test_pipeline_student_gets_the_weights_on_its_last_step():
    weights = np.random.default_rng(2).uniform(0.5, 2.0, N)
    pipeline = make_pipeline(StandardScaler(), Ridge())
    student = _distilled(pipeline, TEACHER).fit(X, sample_weight=weights)
    expected = clone(pipeline).fit(X, F, ridge__sample_weight=weights)
    _predictions_equal(student.predict(X), expected.predict(X))


def test_student_without_sample_weight_works_unweighted_and_refuses_weights():
    student = DistilledRegressor(KNeighborsRegressor(), TEACHER, augment="noise")
    student.fit(X)  # the synthetic rows weigh 1: no weights to pass
    with pytest.raises(
        TypeError,
        match="DistilledRegressor: the student KNeighborsRegressor does not accept "
        "sample_weight in fit, and the rows are weighted",
    ):
        student.fit(X, sample_weight=np.linspace(1, 2, N))


def test_pandas_nullable_frame_keeps_column_names():
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(D)]).astype("Float64")
    teacher = Ridge().fit(frame.astype("float64"), Y)
    student = DistilledRegressor(DecisionTreeRegressor(max_depth=3), teacher)
    student.fit(frame, pd.Series(Y).astype("Float64"))
    assert list(student.feature_names_in_) == list(frame.columns)
    assert list(student.to_sklearn().feature_names_in_) == list(frame.columns)
    assert student.predict(frame).shape == (N,)


def test_to_sklearn_predicts_without_torch_or_skdistill(tmp_path):
    student = DistilledRegressor(
        DecisionTreeRegressor(max_depth=4, random_state=0), random_mlp(D, 1)
    ).fit(X)
    predicted = predict_without_torch(student.to_sklearn(), X, tmp_path)
    assert_array_equal(predicted, student.predict(X))


def test_pickled_student_with_a_torch_teacher_round_trips():
    student = DistilledRegressor(Ridge(), random_mlp(D, 1)).fit(X)
    loaded = pickle.loads(pickle.dumps(student))
    assert_array_equal(loaded.predict(X), student.predict(X))
    assert loaded.teacher is loaded.teacher_.module
    assert fidelity_score(loaded, X) == pytest.approx(fidelity_score(student, X))


# Errors: each names the class, the value, the cause and the fix.


def test_classifier_teacher_is_refused_naming_both():
    fitted = LogisticRegression().fit(X, Y > 150)
    for teacher in (fitted, LogisticRegression()):
        with pytest.raises(
            ValueError,
            match="DistilledRegressor: the teacher LogisticRegression is a "
            "classifier, but DistilledRegressor distils a regressor's predictions. "
            "Distil a classifier with DistilledLogisticRegression",
        ):
            DistilledRegressor(Ridge(), teacher).fit(X, Y > 150)
    with pytest.raises(
        ValueError,
        match=r"the teacher TorchTeacher\(Sequential\) is a classifier, .*"
        r"TorchTeacher\(module, output='values'\)",
    ):
        DistilledRegressor(Ridge(), TorchTeacher(random_mlp(D, 1))).fit(X)


@pytest.mark.parametrize(
    "make",
    [
        lambda t: DistilledLogisticRegression(t),
        lambda t: DistilledDecisionTree(t, max_depth=3),
    ],
)
def test_regressor_teacher_given_to_a_classifier_is_refused_naming_both(make):
    labels = (Y > 150).astype(int)
    for teacher in (
        TEACHER,
        Ridge(),
        TorchTeacher(random_mlp(D, 1), output="values"),
        CallableTeacher(TEACHER.predict, output="values"),
    ):
        name = type(make(teacher)).__name__
        with pytest.raises(
            ValueError,
            match=f"{name}: the teacher .* is a regressor, but {name} distils a "
            "classifier's class scores. Distil a regressor with DistilledRegressor",
        ):
            make(teacher).fit(X, labels)


def test_classifier_student_is_refused():
    with pytest.raises(
        TypeError,
        match="DistilledRegressor: the student DecisionTreeClassifier is a "
        "classifier, not a regressor; .* distil a classifier teacher with "
        "DistilledClassifier",
    ):
        DistilledRegressor(DecisionTreeClassifier(), TEACHER).fit(X)


@pytest.mark.parametrize(
    "value, message",
    [
        (np.full(N, np.nan), r"teacher's output contains NaN or infinity in 442 row"),
        (np.zeros((N, 2, 2)), r"teacher's output has shape \(442, 2, 2\)"),
        (np.zeros(N - 1), "the teacher returned 441 rows for 442 rows of input"),
        (np.array(["a"] * N), r"CallableTeacher: the teacher returned str\w* values"),
    ],
)
def test_bad_teacher_outputs_are_named(value, message):
    with pytest.raises(ValueError, match=message):
        DistilledRegressor(Ridge(), lambda X: value).fit(X)


def test_output_width_must_match_y():
    with pytest.raises(
        ValueError,
        match="DistilledRegressor: the teacher's output has 3 output.s. per row but "
        "y has 1; pass y with one column per output",
    ):
        DistilledRegressor(Ridge(), random_mlp(D, 3), alpha=0.5).fit(X, Y)


def test_constant_teacher_warns():
    with pytest.warns(UserWarning, match="the teacher predicts the same value"):
        DistilledRegressor(Ridge(), lambda X: np.full(len(X), 3.0)).fit(X)


def test_alpha_needs_y_and_augmentation_needs_a_teacher():
    with pytest.raises(
        ValueError, match="alpha=0.5 mixes in y, the true labels or values"
    ):
        DistilledRegressor(Ridge(), TEACHER, alpha=0.5).fit(X)
    with pytest.raises(
        ValueError, match=r"\(teacher_predictions only cover the real rows\)"
    ):
        DistilledRegressor(Ridge(), None, augment=Mixup(2)).fit(
            X, teacher_predictions=F
        )


def test_wrong_precomputed_name_in_fidelity_score():
    student = DistilledRegressor(Ridge(), TEACHER).fit(X)
    with pytest.raises(
        ValueError,
        match="fidelity_score: teacher_logits was passed, but DistilledRegressor "
        "is a regression student; pass the teacher's outputs as "
        "teacher_predictions",
    ):
        fidelity_score(student, X, teacher_logits=np.zeros((N, 2)))


def test_teacher_objects_refuse_the_other_task():
    values = TorchTeacher(random_mlp(D, 1), device="cpu", output="values")
    assert values.predict_values(X).shape == (N, 1)
    with pytest.raises(ValueError, match="TorchTeacher: predict_logits needs a "):
        values.predict_logits(X)
    with pytest.raises(ValueError, match="TorchTeacher: predict_values needs a "):
        TorchTeacher(random_mlp(D, 2)).predict_values(X)
    with pytest.raises(ValueError, match="SklearnTeacher: predict_logits needs a "):
        SklearnTeacher(TEACHER).predict_logits(X)
    assert SklearnTeacher(TEACHER).classes is None
    with pytest.raises(ValueError, match="CallableTeacher: predict_logits needs a "):
        CallableTeacher(TEACHER.predict, output="values").predict_logits(X)


@pytest.mark.parametrize("student", [Ridge(), DecisionTreeRegressor(max_depth=4)])
def test_exported_student_round_trips_through_skops_and_onnx(student):
    import onnxruntime
    import skops.io as sio
    from skl2onnx import to_onnx

    distilled = DistilledRegressor(student, random_mlp(D, 1)).fit(X)
    plain = distilled.to_sklearn()
    data = sio.dumps(plain)
    loaded = sio.loads(data, trusted=sio.get_untrusted_types(data=data))
    assert set(sio.get_untrusted_types(data=data)) <= {"sklearn.tree._tree.Tree"}
    assert_array_equal(loaded.predict(X), distilled.predict(X))
    session = onnxruntime.InferenceSession(
        to_onnx(plain, X[:1].astype(np.float32)).SerializeToString(),
        providers=["CPUExecutionProvider"],
    )
    (predicted,) = session.run(None, {session.get_inputs()[0].name: X.astype("f4")})
    # float32 inference: agreement to float32 precision of the targets' scale.
    assert_allclose(predicted[:, 0], distilled.predict(X), rtol=1e-5, atol=1e-4)


def test_as_the_last_step_of_a_pipeline_with_fidelity_score():
    # The teacher sees what the student sees: the scaled rows.
    pipeline = make_pipeline(
        StandardScaler(), DistilledRegressor(Ridge(), Ridge(alpha=0.1))
    ).fit(X * 10, Y)
    teacher = pipeline[-1].teacher_.estimator
    scaled = pipeline[0].transform(X * 10)
    assert fidelity_score(pipeline, X * 10) == pytest.approx(
        r2_score(teacher.predict(scaled), pipeline.predict(X * 10)), abs=1e-12
    )
    assert pipeline.score(X * 10, Y) == pytest.approx(
        r2_score(Y, pipeline.predict(X * 10))
    )


# What a user trial found, each fixed.


@pytest.mark.parametrize(
    "make",
    [
        lambda t: DistilledRegressor(Ridge(), t),
        lambda t: DistilledLogisticRegression(t),
    ],
)
def test_parameters_of_a_trained_teacher_are_refused(make):
    trained = Ridge(alpha=0.01).fit(X, Y)
    if "Logistic" in type(make(trained)).__name__:
        trained = LogisticRegression(C=0.5).fit(X, Y > 150)
    name = type(make(trained)).__name__
    param = "teacher__" + next(iter({"alpha", "C"} & set(trained.get_params())))
    before = trained.get_params()
    with pytest.raises(
        ValueError,
        match=rf"{name}: cannot set \['{param}'\]: the teacher .* is trained and "
        "shared by every clone",
    ):
        clone(make(trained)).set_params(**{param: 5.0})
    assert trained.get_params() == before
    # An unfitted teacher is trained inside fit, so its parameters are tuned.
    search = GridSearchCV(
        DistilledRegressor(Ridge(), Ridge()), {"teacher__alpha": [1e-3, 1e3]}, cv=3
    ).fit(X, Y)
    assert search.best_params_ == {"teacher__alpha": 1e-3}


def test_a_method_of_a_refitted_model_is_run_again():
    model = Ridge().fit(X, Y)
    DistilledRegressor(Ridge(), model.predict).fit(X)
    model.fit(X, -Y)
    student = DistilledRegressor(LinearRegression(), model.predict).fit(X)
    _predictions_equal(student.predict(X), model.predict(X))


def test_int64_frame_columns_beyond_float_precision_keep_distinct_rows():
    stamps = 1_700_000_000_000_000_000 + np.arange(200)
    frame = pd.DataFrame({"t": stamps, "u": 1})

    def teacher(Z):
        return (np.asarray(Z)[:, 0] % 7).astype(float)

    values = CallableTeacher(teacher, output="values").predict_values(frame)
    assert_array_equal(values, teacher(frame))


def test_a_module_that_squeezes_its_output_works_on_batches_of_one_row():
    class Squeezed(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.linear = torch.nn.Linear(D, 1).double()

        def forward(self, x):
            return self.linear(x).squeeze()

    module = Squeezed()
    expected = module(torch.as_tensor(X)).detach().numpy()
    teacher = TorchTeacher(module, batch_size=100, output="values")
    assert_allclose(teacher.predict_values(X[:301]), expected[:301], rtol=1e-12)
    student = DistilledRegressor(Ridge(), teacher).fit(X[:300])
    assert student.score(X[:301]) > 0.99  # row 300 alone is new to the cache


def test_students_passing_weights_on_through_fit_params_get_them():
    weights = np.linspace(0.5, 2.0, N)
    student = TransformedTargetRegressor(Ridge(), func=np.log1p, inverse_func=np.expm1)
    distilled = _distilled(student, TEACHER).fit(X, sample_weight=weights)
    expected = clone(student).fit(X, F, sample_weight=weights)
    _predictions_equal(distilled.predict(X), expected.predict(X))


def test_pipeline_weights_reach_the_last_step_with_metadata_routing_on():
    weights = np.linspace(0.5, 2.0, N)
    pipeline = make_pipeline(StandardScaler(), Ridge())
    with config_context(enable_metadata_routing=True):
        student = _distilled(pipeline, TEACHER).fit(X, sample_weight=weights)
    expected = clone(pipeline).fit(X, F, ridge__sample_weight=weights)
    _predictions_equal(student.predict(X), expected.predict(X))


def test_more_teacher_outputs_than_the_student_fits_names_the_wrapper():
    with pytest.raises(
        ValueError,
        match="the teacher predicts 3 outputs per row, but the student "
        "HistGradientBoostingRegressor fits one; wrap it in "
        "sklearn.multioutput.MultiOutputRegressor",
    ):
        DistilledRegressor(HistGradientBoostingRegressor(), random_mlp(D, 3)).fit(X)


def test_messages_name_what_a_regressor_needs():
    with pytest.raises(
        ValueError,
        match="DistilledRegressor: teacher=None; pass the model to distil, a "
        "regressor: .* \\(or pass teacher_predictions to fit\\)",
    ):
        DistilledRegressor(Ridge(), None).fit(X, Y)
    with pytest.raises(TypeError, match="fidelity_score: Ridge is not a skdistill"):
        fidelity_score(Ridge().fit(X, Y), X)
    with pytest.raises(ValueError, match="wrap each fitted one in sklearn.frozen"):
        DistilledRegressor(Ridge(), Ridge()).fit(X)
