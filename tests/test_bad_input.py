"""Bad input: every case gets an error naming the class, parameter, value and fix."""

import numpy as np
import pytest
from conftest import load_scaled, random_mlp
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.utils._param_validation import InvalidParameterError

from skdistill import DistilledLogisticRegression, TorchTeacher

X, Y = load_scaled("wine")
N, D = X.shape
NAME = "DistilledLogisticRegression"


def _teacher(**kwargs):
    return TorchTeacher(random_mlp(D, 3), device="cpu", **kwargs)


def _returning(value):
    return lambda X: value


def _nan_rows(X):
    logits = np.zeros((len(X), 3))
    logits[4, 1] = np.nan
    return logits


def _inf_rows(X):
    logits = np.zeros((len(X), 3))
    logits[[2, 5], 0] = np.inf
    return logits


# (id, student params, fit args, fit kwargs, error, message)
FIT_CASES = [
    (
        "no teacher",
        {"teacher": None},
        (X, Y),
        {},
        ValueError,
        f"{NAME}: teacher=None; pass",
    ),
    (
        "not a teacher",
        {"teacher": "model.pt"},
        (X, Y),
        {},
        TypeError,
        f"{NAME}: teacher='model.pt' is not a TorchTeacher",
    ),
    (
        "teacher rows != n",
        {"teacher": _returning(np.zeros((5, 3)))},
        (X,),
        {},
        ValueError,
        f"{NAME}: the teacher's output has 5 rows but X has {N}",
    ),
    (
        "teacher columns != classes",
        {"teacher": _teacher(classes=["a", "b"])},
        (X,),
        {},
        ValueError,
        f"{NAME}: the teacher's output has 3 columns but the teacher's classes "
        r"has 2 entries; pass TorchTeacher\(model, classes=...\)",
    ),
    (
        "teacher returns NaN",
        {"teacher": _nan_rows},
        (X,),
        {},
        ValueError,
        rf"{NAME}: the teacher's output contains NaN or infinite values in 1 "
        r"row\(s\) \(first: row 4\)",
    ),
    (
        "teacher returns inf",
        {"teacher": _inf_rows},
        (X,),
        {},
        ValueError,
        r"NaN or infinite values in 2 row\(s\) \(first: row 2\)",
    ),
    (
        "teacher returns 3-d",
        {"teacher": _returning(np.zeros((N, 3, 2)))},
        (X,),
        {},
        ValueError,
        rf"{NAME}: the teacher's output has shape \({N}, 3, 2\)",
    ),
    (
        "teacher returns no class",
        {"teacher": _returning(np.zeros((N, 0)))},
        (X,),
        {},
        ValueError,
        r"has 0 column\(s\); a teacher needs at least 2 classes",
    ),
    (
        "labels not teacher classes",
        {"teacher": _teacher(), "alpha": 0.5},
        (X, np.where(Y == 2, 7, Y)),
        {},
        ValueError,
        rf"{NAME}: y contains labels \[7\] that are not among the teacher's classes",
    ),
    (
        "alpha > 0 without y",
        {"teacher": _teacher(), "alpha": 0.5},
        (X,),
        {},
        ValueError,
        f"{NAME}: alpha=0.5 mixes in the hard labels, but y is None; pass y",
    ),
    (
        "teacher_logits rows",
        {"teacher": None},
        (X,),
        {"teacher_logits": np.zeros((3, 3))},
        ValueError,
        f"{NAME}: teacher_logits has 3 rows but X has {N}",
    ),
    (
        "teacher_logits columns vs classes",
        {"teacher": _teacher(classes=[0, 1, 2])},
        (X,),
        {"teacher_logits": np.zeros((N, 4))},
        ValueError,
        f"{NAME}: teacher_logits has 4 columns but the teacher's classes has 3",
    ),
    (
        "teacher_logits not numeric",
        {"teacher": None},
        (X,),
        {"teacher_logits": np.full((N, 3), "x")},
        ValueError,
        f"{NAME}: teacher_logits is not a numeric array",
    ),
    (
        "unfitted teacher without y",
        {"teacher": LogisticRegression()},
        (X,),
        {},
        ValueError,
        f"{NAME}: the teacher LogisticRegression\\(\\) is not fitted and y is None",
    ),
    (
        "teacher classes mix types",
        {"teacher": _teacher(classes=["a", 1, 2.5])},
        (X,),
        {},
        ValueError,
        rf"{NAME}: the teacher's classes \['a', 1, 2.5\] mix strings and other",
    ),
    (
        "duplicate teacher classes",
        {"teacher": _teacher(classes=[0, 1, 1])},
        (X,),
        {},
        ValueError,
        rf"{NAME}: the teacher's classes \[0, 1, 1\] contain duplicates",
    ),
    (
        "X with NaN",
        {"teacher": _teacher()},
        (np.where(X > 2.5, np.nan, X),),
        {},
        ValueError,
        f"Input X contains NaN.\n{NAME} does not accept missing values",
    ),
    (
        "X with inf",
        {"teacher": _teacher()},
        (np.where(X > 2.5, np.inf, X),),
        {},
        ValueError,
        "Input X contains infinity",
    ),
    (
        "empty X",
        {"teacher": _teacher()},
        (np.empty((0, D)),),
        {},
        ValueError,
        rf"0 sample\(s\) \(shape=\(0, {D}\)\) while a minimum of 1 is "
        f"required by {NAME}",
    ),
    (
        "negative sample_weight",
        {"teacher": _teacher()},
        (X,),
        {"sample_weight": -np.ones(N)},
        ValueError,
        f"{NAME}: bad sample_weight: Negative values in data passed to",
    ),
    (
        "inf in sample_weight",
        {"teacher": _teacher()},
        (X,),
        {"sample_weight": np.r_[np.inf, np.ones(N - 1)]},
        ValueError,
        f"{NAME}: bad sample_weight: Input sample_weight contains infinity",
    ),
    (
        "sample_weight of wrong length",
        {"teacher": _teacher()},
        (X,),
        {"sample_weight": np.ones(3)},
        ValueError,
        rf"{NAME}: bad sample_weight: sample_weight.shape == \(3,\), expected \({N},\)",
    ),
]


@pytest.mark.parametrize(
    "params, args, kwargs, error, match",
    [case[1:] for case in FIT_CASES],
    ids=[case[0] for case in FIT_CASES],
)
def test_fit_rejects_bad_input(params, args, kwargs, error, match):
    student = DistilledLogisticRegression(**params)
    with pytest.raises(error, match=match):
        student.fit(*args, **kwargs)


@pytest.mark.parametrize(
    "param, value, allowed",
    [
        ("temperature", 0.0, r"a float in the range \(0.0, inf\)"),
        ("temperature", -1.0, r"a float in the range \(0.0, inf\)"),
        ("temperature", np.inf, r"a float in the range \(0.0, inf\)"),
        ("temperature", np.nan, r"a float in the range \(0.0, inf\)"),
        ("alpha", -0.1, r"a float in the range \[0.0, 1.0\]"),
        ("alpha", 1.5, r"a float in the range \[0.0, 1.0\]"),
        ("C", 0.0, r"a float in the range \(0.0, inf\)"),
        ("penalty", "l1", r"a str among \{'l2'\} or None"),
    ],
)
def test_parameter_ranges_name_class_parameter_and_value(param, value, allowed):
    student = DistilledLogisticRegression(_teacher(), **{param: value})
    match = f"The '{param}' parameter of {NAME} must be {allowed}. Got {value!r}"
    with pytest.raises(InvalidParameterError, match=match):
        student.fit(X)


def test_predict_with_wrong_number_of_features():
    student = DistilledLogisticRegression(_teacher()).fit(X)
    match = f"X has 4 features, but {NAME} is expecting {D} features as input"
    with pytest.raises(ValueError, match=match):
        student.predict(X[:, :4])


@pytest.mark.parametrize(
    "method", ["predict", "predict_proba", "predict_log_proba", "decision_function"]
)
def test_predict_before_fit(method):
    student = DistilledLogisticRegression(_teacher())
    with pytest.raises(NotFittedError, match=f"This {NAME} instance is not fitted"):
        getattr(student, method)(X)
    with pytest.raises(NotFittedError, match=f"This {NAME} instance is not fitted"):
        student.to_sklearn()
