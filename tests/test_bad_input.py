"""The reliability matrix: bad input across every student and teacher.

Each case gets an error that names the class, the parameter or input, the
value and the fix (``ERRORS``), or a correct, documented recovery
(``RECOVERIES``). ``docs/reliability.rst`` lists the same cases; a test below
keeps the two in step.
"""

import functools
import re
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
import torch
from conftest import load_scaled, random_mlp
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.neighbors import KNeighborsClassifier
from sklearn.utils._param_validation import InvalidParameterError

from skdistill import (
    DistilledClassifier,
    DistilledDecisionTree,
    DistilledLogisticRegression,
    TorchTeacher,
    fidelity_score,
)
from skdistill.augment import GaussianNoise, Munge
from skdistill.teachers import CallableTeacher

X, Y = load_scaled("wine")
N, D = X.shape
FITTED_TEACHER = LogisticRegression(max_iter=1000).fit(X, Y)

STUDENTS = {
    "linear": lambda teacher, **kw: DistilledLogisticRegression(
        teacher, **{"random_state": 0, **kw}
    ),
    "tree": lambda teacher, **kw: DistilledDecisionTree(
        teacher, **{"max_depth": 4, "random_state": 0, **kw}
    ),
    "wrapper": lambda teacher, **kw: DistilledClassifier(
        LogisticRegression(), teacher, **{"random_state": 0, **kw}
    ),
}
NAMES = {
    "linear": "DistilledLogisticRegression",
    "tree": "DistilledDecisionTree",
    "wrapper": "DistilledClassifier",
}
ALL = tuple(STUDENTS)
VALIDATING = ("linear", "tree")  # the wrapper leaves X to teacher and student


def _torch_teacher(**kwargs):
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


def _masked_row(X):
    logits = np.zeros((len(X), 3))
    logits[7] = -np.inf
    logits[3, 1] = -np.inf  # a masked class: allowed
    return logits


def _offline(X):
    raise ConnectionError("the model server is offline")


class _Widening:
    """A callable teacher that returns one more column on every call."""

    def __init__(self):
        self.calls = 0

    def __call__(self, X):
        self.calls += 1
        return np.tile(np.arange(2.0 + self.calls), (len(X), 1))


class _WideningModule(torch.nn.Module):
    """A torch model that returns one more column on every batch."""

    def __init__(self):
        super().__init__()
        self.calls = 0

    def forward(self, x):
        self.calls += 1
        return torch.zeros(x.shape[0], 2 + self.calls)


def _fit(**params):
    """A case that builds the student with ``params`` and fits it."""
    args = params.pop("args", (X,))
    fit_kwargs = params.pop("fit_kwargs", {})
    teacher = params.pop("teacher", FITTED_TEACHER)
    new_teacher = params.pop("new_teacher", None)  # for teachers with state

    def run(make):
        fresh = teacher if new_teacher is None else new_teacher()
        return make(fresh, **params).fit(*args, **fit_kwargs)

    return run


def _fidelity_after_the_teacher_widens(make):
    # No synthetic rows: the teacher's second call is fidelity_score's.
    student = make(CallableTeacher(_Widening(), cache=False), augment=None).fit(X)
    fidelity_score(student, X)


def _fidelity_without_teacher(make):
    student = make(None).fit(X, teacher_logits=4.0 * np.eye(3)[Y])
    fidelity_score(student, X)


def _predict_width(make):
    make(FITTED_TEACHER).fit(X).predict(X[:, :4])


def _predict_unfitted(make):
    make(FITTED_TEACHER).predict(X)


def _wrapper(student, **params):
    """A case for DistilledClassifier with its own student."""
    teacher = params.pop("teacher", FITTED_TEACHER)
    return lambda make: DistilledClassifier(student, teacher, **params).fit(X)


def _case(case_id, run, error, match, students=ALL, marks=()):
    return case_id, run, error, match, students, marks


no_cuda = pytest.mark.skipif(torch.cuda.is_available(), reason="CUDA is present")

# (id, run(make_student), error, message with {name} for the student, students)
ERRORS = [
    # The teacher: what it is.
    _case("no teacher", _fit(teacher=None), ValueError, "{name}: teacher=None; pass"),
    _case(
        "not a teacher",
        _fit(teacher="model.pt"),
        TypeError,
        "{name}: teacher='model.pt' is not a TorchTeacher",
    ),
    _case(
        "regressor as teacher",
        _fit(teacher=LinearRegression().fit(X, Y)),
        ValueError,
        r"{name}: the teacher LinearRegression is a regressor, but {name} distils "
        "a classifier's class scores. Distil a regressor with DistilledRegressor",
    ),
    _case(
        "unfitted teacher without y",
        _fit(teacher=LogisticRegression()),
        ValueError,
        r"{name}: the teacher LogisticRegression\(\) is not fitted and y is None",
    ),
    _case(
        "unfitted teacher, single-class y",
        _fit(teacher=LogisticRegression(), args=(X[Y == 0], Y[Y == 0])),
        ValueError,
        r"{name}: training the unfitted teacher LogisticRegression on \(X, y\) "
        "inside fit failed; fit the teacher yourself.*It raised ValueError: "
        "This solver needs samples of at least 2 classes",
    ),
    # The teacher: what it does.
    _case(
        "teacher raises",
        _fit(teacher=_offline),
        RuntimeError,
        rf"{{name}}: the teacher CallableTeacher\(_offline\) failed on X of shape "
        rf"\({N}, {D}\); check that it takes X as the student receives it.*It "
        "raised ConnectionError: the model server is offline",
    ),
    _case(
        "torch teacher, wrong input width",
        _fit(teacher=TorchTeacher(random_mlp(D + 1, 3), device="cpu")),
        RuntimeError,
        r"{name}: the teacher TorchTeacher\(Sequential\) failed on X of shape "
        r"\(178, 13\).*It raised RuntimeError: mat1 and mat2 shapes",
    ),
    _case(
        "teacher rows != n",
        _fit(teacher=_returning(np.zeros((5, 3)))),
        ValueError,
        f"CallableTeacher: the teacher returned 5 rows for {N} rows of input",
    ),
    _case(
        "teacher returns NaN",
        _fit(teacher=_nan_rows),
        ValueError,
        r"{name}: the teacher's output contains NaN or \+inf in 1 row\(s\) "
        r"\(first: row 4: \[0.0, nan, 0.0\]\); check the teacher on those rows",
    ),
    _case(
        "teacher returns inf",
        _fit(teacher=_inf_rows),
        ValueError,
        r"{name}: .*NaN or \+inf in 2 row\(s\) \(first: row 2",
    ),
    _case(
        "teacher masks every class of a row",
        _fit(teacher=_masked_row),
        ValueError,
        r"{name}: the teacher's output is -inf for every class in 1 row\(s\) "
        r"\(first: row 7\); each row needs at least one possible class",
    ),
    _case(
        "teacher returns labels",
        _fit(teacher=FITTED_TEACHER.predict),
        ValueError,
        r"CallableTeacher: the teacher returned int64 values .*class labels "
        "rather than class scores; pass the fitted estimator itself",
    ),
    _case(
        "teacher returns probabilities as logits",
        _fit(teacher=FITTED_TEACHER.predict_proba),
        ValueError,
        r"CallableTeacher: output='logits', but every row of the teacher's output "
        r"lies in \[0, 1\] and sums to 1: these are probabilities.*"
        r"CallableTeacher\(func, output='proba'\)",
    ),
    _case(
        "teacher returns 3-d",
        _fit(teacher=_returning(np.zeros((N, 3, 2)))),
        ValueError,
        rf"{{name}}: the teacher's output has shape \({N}, 3, 2\)",
    ),
    _case(
        "teacher returns no class",
        _fit(teacher=_returning(np.zeros((N, 0)))),
        ValueError,
        r"{name}: the teacher's output has 0 column\(s\); a teacher needs at "
        "least 2 classes",
    ),
    _case(
        "teacher returns text",
        _fit(teacher=_returning(np.full((N, 3), "x"))),
        ValueError,
        r"CallableTeacher: the teacher returned str\d+ values \(first: \['x', 'x'"
        r".*class labels rather than class scores; pass the fitted estimator "
        "itself as the teacher",
    ),
    _case(
        "teacher sure of one class",
        _fit(teacher=lambda X: np.tile([50.0, 0.0, 0.0], (len(X), 1))),
        ValueError,
        r"DistilledClassifier: fitting the student LogisticRegression on \d+ "
        r"replicated rows failed. They keep 1 of the teacher's 3 classes \(missing "
        r"\[1, 2\].*raise temperature",
        students=("wrapper",),
    ),
    _case(
        "torch output='proba' on raw scores",
        _fit(teacher=_torch_teacher(output="proba")),
        ValueError,
        r"TorchTeacher: output='proba', but the teacher's outputs are not "
        r"probabilities in \d+ row\(s\).*use output='logits'",
    ),
    _case(
        "torch output='log_proba' on raw scores",
        _fit(teacher=_torch_teacher(output="log_proba")),
        ValueError,
        "TorchTeacher: output='log_proba', but the teacher's outputs are not "
        "log-probabilities",
    ),
    _case(
        "teacher widens between calls (augment)",
        _fit(new_teacher=_Widening, augment=GaussianNoise(2, random_state=0)),
        ValueError,
        "{name}: the teacher's output on the synthetic rows has 4 columns but 3 "
        "columns on the real rows; a teacher's output shape must not change",
    ),
    _case(
        "torch teacher widens between batches",
        _fit(new_teacher=lambda: TorchTeacher(_WideningModule(), batch_size=100)),
        ValueError,
        r"TorchTeacher: the module returned \(4,\) outputs per row for rows "
        r"100-177 but \(3,\) for earlier rows",
    ),
    _case(
        "teacher widens between fit and fidelity_score",
        _fidelity_after_the_teacher_widens,
        ValueError,
        "fidelity_score: the teacher's output has 4 columns but {name} was "
        "fitted on 3 classes; .*Refit the student",
    ),
    _case(
        "fidelity_score without a teacher",
        _fidelity_without_teacher,
        ValueError,
        r"fidelity_score: {name} has no teacher_ \(it was fitted from "
        r"teacher_logits alone\), so the teacher's outputs on X are unknown; pass "
        r"fidelity_score\(student, X, teacher_logits=...\)",
    ),
    # The teacher's classes.
    _case(
        "teacher columns != classes",
        _fit(teacher=_torch_teacher(classes=["a", "b"])),
        ValueError,
        "{name}: the teacher's output has 3 columns but the teacher's classes "
        r"has 2 entries; pass TorchTeacher\(model, classes=...\)",
    ),
    _case(
        "teacher classes mix types",
        _fit(teacher=_torch_teacher(classes=["a", 1, 2.5])),
        ValueError,
        r"{name}: the teacher's classes \['a', 1, 2.5\] mix strings and other",
    ),
    _case(
        "duplicate teacher classes",
        _fit(teacher=_torch_teacher(classes=[0, 1, 1])),
        ValueError,
        r"{name}: the teacher's classes \[0, 1, 1\] contain duplicates",
    ),
    # TorchTeacher's own parameters.
    _case(
        "torch device unknown",
        _fit(teacher=TorchTeacher(random_mlp(D, 3), device="tpu")),
        ValueError,
        "TorchTeacher: device='tpu' is not a device torch knows; use 'auto'",
    ),
    _case(
        "torch device cuda without CUDA",
        _fit(teacher=TorchTeacher(random_mlp(D, 3), device="cuda")),
        ValueError,
        "TorchTeacher: device='cuda' but CUDA is not available on this machine",
        marks=(no_cuda,),
    ),
    _case(
        "torch dtype not a 16-bit float",
        _fit(teacher=_torch_teacher(dtype="int8")),
        ValueError,
        "TorchTeacher: dtype='int8' is not a precision autocast runs in; pass "
        "'bfloat16' or 'float16'",
    ),
    _case(
        "torch module not a module",
        _fit(teacher=TorchTeacher("model.pt")),
        TypeError,
        "TorchTeacher: module='model.pt' is not a torch.nn.Module",
    ),
    _case(
        "torch batch_size 0",
        _fit(teacher=_torch_teacher(batch_size=0)),
        InvalidParameterError,
        r"The 'batch_size' parameter of TorchTeacher must be an int in the "
        r"range \[1, inf\). Got 0 instead.",
    ),
    # teacher_logits.
    _case(
        "teacher_logits rows",
        _fit(teacher=None, fit_kwargs={"teacher_logits": np.zeros((3, 3))}),
        ValueError,
        f"{{name}}: teacher_logits has 3 rows but X has {N}",
    ),
    _case(
        "teacher_logits columns vs classes",
        _fit(
            teacher=_torch_teacher(classes=[0, 1, 2]),
            fit_kwargs={"teacher_logits": np.zeros((N, 4))},
        ),
        ValueError,
        "{name}: teacher_logits has 4 columns but the teacher's classes has 3",
    ),
    _case(
        "teacher_logits not numeric",
        _fit(teacher=None, fit_kwargs={"teacher_logits": np.full((N, 3), "x")}),
        ValueError,
        "{name}: teacher_logits is not a numeric array",
    ),
    # y.
    _case(
        "labels not teacher classes",
        _fit(alpha=0.5, args=(X, np.where(Y == 2, 7, Y))),
        ValueError,
        r"{name}: y contains labels \[7\] that are not among the teacher's classes "
        r"\[0, 1, 2\]; the teacher was fitted on fewer classes than y holds",
    ),
    _case(
        "alpha > 0 without y",
        _fit(alpha=0.5),
        ValueError,
        "{name}: alpha=0.5 mixes in y, the true labels or values, but y is None; "
        "pass y",
    ),
    _case(
        "y of the wrong length",
        _fit(args=(X, Y[:60])),
        ValueError,
        f"{{name}}: y has 60 labels but X has {N} rows; pass one label per row",
    ),
    _case(
        "continuous y",
        _fit(alpha=0.5, args=(X, Y + 0.5)),
        ValueError,
        "{name}: Unknown label type: continuous.* y holds the class labels of X",
    ),
    # X.
    _case(
        "X with NaN",
        _fit(args=(np.where(X > 2.5, np.nan, X),)),
        ValueError,
        "Input X contains NaN.\n{name} does not accept missing values",
        students=VALIDATING,
    ),
    _case(
        "X with inf",
        _fit(args=(np.where(X > 2.5, np.inf, X),)),
        ValueError,
        "Input X contains infinity",
        students=VALIDATING,
    ),
    _case(
        "empty X",
        _fit(args=(np.empty((0, D)),)),
        ValueError,
        rf"0 sample\(s\) \(shape=\(0, {D}\)\) while a minimum of 1 is required "
        "by {name}",
        students=VALIDATING,
    ),
    _case(
        "1-d X",
        _fit(args=(X[:, 0],)),
        ValueError,
        r"(?s)Expected 2D array, got 1D array instead.*Reshape your data",
        students=VALIDATING,
    ),
    _case(
        "object-dtype X with text",
        _fit(args=(np.where(X > 2.5, "high", X.astype(object)),)),
        ValueError,
        r"{name}: X holds values that are not numbers \(could not convert string "
        "to float: 'high'\\); {name} needs numeric X. Encode the columns first",
        students=VALIDATING,
    ),
    _case(
        "object-dtype X with text, wrapper",
        _fit(args=(np.where(X > 2.5, "high", X.astype(object)),)),
        ValueError,
        r"{name}: the teacher SklearnTeacher\(LogisticRegression\) failed on X "
        r"of shape \(178, 13\).*could not convert string to float: 'high'",
        students=("wrapper",),
    ),
    # sample_weight.
    _case(
        "negative sample_weight",
        _fit(fit_kwargs={"sample_weight": -np.ones(N)}),
        ValueError,
        "{name}: bad sample_weight: Negative values in data passed to",
    ),
    _case(
        "inf in sample_weight",
        _fit(fit_kwargs={"sample_weight": np.r_[np.inf, np.ones(N - 1)]}),
        ValueError,
        "{name}: bad sample_weight: Input sample_weight contains infinity",
    ),
    _case(
        "NaN in sample_weight",
        _fit(fit_kwargs={"sample_weight": np.r_[np.nan, np.ones(N - 1)]}),
        ValueError,
        "{name}: bad sample_weight: Input sample_weight contains NaN",
    ),
    _case(
        "all-zero sample_weight",
        _fit(fit_kwargs={"sample_weight": np.zeros(N)}),
        ValueError,
        "{name}: bad sample_weight: Sample weights must contain at least one "
        "non-zero number",
    ),
    _case(
        "sample_weight of wrong length",
        _fit(fit_kwargs={"sample_weight": np.ones(3)}),
        ValueError,
        rf"{{name}}: bad sample_weight: sample_weight.shape == \(3,\), expected "
        rf"\({N},\)",
    ),
    # Parameters of every student.
    _case(
        "temperature 0",
        _fit(temperature=0.0),
        InvalidParameterError,
        r"The 'temperature' parameter of {name} must be a float in the range "
        r"\(0.0, inf\). Got 0.0 instead.",
    ),
    _case(
        "temperature as text",
        _fit(temperature="2"),
        InvalidParameterError,
        r"The 'temperature' parameter of {name} must be a float in the range "
        r"\(0.0, inf\). Got '2' instead.",
    ),
    _case(
        "alpha above 1",
        _fit(alpha=1.5, args=(X, Y)),
        InvalidParameterError,
        r"The 'alpha' parameter of {name} must be a float in the range "
        r"\[0.0, 1.0\]. Got 1.5 instead.",
    ),
    _case(
        "C 0",
        _fit(C=0.0),
        InvalidParameterError,
        r"The 'C' parameter of {name} must be a float in the range \(0.0, inf\]. "
        "Got 0.0 instead.",
        students=("linear",),
    ),
    _case(
        "max_depth 0",
        _fit(max_depth=0),
        InvalidParameterError,
        r"The 'max_depth' parameter of {name} must be an int in the range "
        r"\[1, inf\) or None. Got 0 instead.",
        students=("tree",),
    ),
    # Augmentation.
    _case(
        "unknown augmentation name",
        _fit(augment="gauss"),
        InvalidParameterError,
        r"The 'augment' parameter of {name} must be None, a str among .*'noise'"
        ".* or an object implementing 'sample'. Got 'gauss' instead.",
    ),
    _case(
        "n_copies 0",
        _fit(augment=GaussianNoise(n_copies=0)),
        InvalidParameterError,
        r"The 'n_copies' parameter of GaussianNoise must be an int in the range "
        r"\[1, inf\). Got 0 instead.",
    ),
    _case(
        "n_copies negative",
        _fit(augment=Munge(n_copies=-2)),
        InvalidParameterError,
        r"The 'n_copies' parameter of Munge must be an int in the range "
        r"\[1, inf\). Got -2 instead.",
    ),
    _case(
        "augment with sparse X",
        _fit(augment="noise", args=(sp.csr_array(X),)),
        TypeError,
        "{name}: augment='noise' needs dense numeric X",
    ),
    _case(
        "augment with teacher_logits only",
        _fit(
            teacher=None,
            augment="noise",
            fit_kwargs={"teacher_logits": 4.0 * np.eye(3)[Y]},
        ),
        ValueError,
        "{name}: augment='noise' needs a teacher to label the synthetic rows, "
        "but teacher is None",
    ),
    # Prediction.
    _case(
        "predict with the wrong number of features",
        _predict_width,
        ValueError,
        f"X has 4 features, but .*{{name}}.* is expecting {D} features",
        students=VALIDATING,
    ),
    _case(
        "predict before fit",
        _predict_unfitted,
        NotFittedError,
        "This {name} instance is not fitted yet",
    ),
    # DistilledClassifier's student.
    _case(
        "student without sample_weight",
        _wrapper(KNeighborsClassifier()),
        TypeError,
        "DistilledClassifier: the student KNeighborsClassifier does not accept "
        "sample_weight in fit, which soft-label weighting needs",
        students=("wrapper",),
    ),
    _case(
        "regressor as student",
        _wrapper(LinearRegression()),
        TypeError,
        "DistilledClassifier: the student LinearRegression is a regressor, not a "
        "classifier",
        students=("wrapper",),
    ),
    _case(
        "student not an estimator",
        _wrapper("logreg"),
        InvalidParameterError,
        "The 'student' parameter of DistilledClassifier must be an object "
        "implementing 'fit' and 'predict'. Got 'logreg' instead.",
        students=("wrapper",),
    ),
    _case(
        "threshold drops every class",
        _wrapper(LogisticRegression(), threshold=0.9, temperature=100.0),
        ValueError,
        r"DistilledClassifier: threshold=0.9 drops every class of \d+ row\(s\); "
        "use a threshold below 1 / n_classes",
        students=("wrapper",),
    ),
]


def _error_params():
    for case_id, run, error, match, students, marks in ERRORS:
        for student in students:
            yield pytest.param(
                run, student, error, match, id=f"{case_id}-{student}", marks=marks
            )


@pytest.mark.parametrize("run, student, error, match", list(_error_params()))
def test_bad_input_gets_a_clear_error(run, student, error, match):
    with pytest.raises(error, match=match.replace("{name}", NAMES[student])):
        run(STUDENTS[student])


def _reference(make, X_fit=X, **fit_kwargs):
    return make(FITTED_TEACHER).fit(X_fit, **fit_kwargs)


def _single_class_y(make):
    """A fold whose y has one class: the teacher knows all three."""
    student = make(FITTED_TEACHER, alpha=0.5).fit(X[Y == 0], Y[Y == 0])
    assert_array_equal(student.classes_, [0, 1, 2])
    assert student.predict_proba(X).shape == (N, 3)


def _string_labels(make):
    """String labels: the teacher's classes, mixed in by alpha."""
    labels = np.array(["barolo", "grignolino", "barbera"])[Y]
    teacher = LogisticRegression(max_iter=1000).fit(X, labels)
    student = make(teacher, alpha=0.5).fit(X, labels)
    assert_array_equal(student.classes_, teacher.classes_)
    assert set(student.predict(X)) <= set(labels)
    assert np.mean(student.predict(X) == labels) > 0.9


def _numeric_object_X(make):
    """Numbers in an object array are read as numbers."""
    # The reading of X; "auto" adds noise rows to float X alone.
    make = functools.partial(make, augment=None)
    expected = _reference(make).predict_proba(X)
    student = make(FITTED_TEACHER).fit(X.astype(object))
    assert_allclose(student.predict_proba(X.astype(object)), expected, atol=1e-12)


def _integer_X(make):
    """Integer X is read as floats."""
    make = functools.partial(make, augment=None)  # as above
    X_int = np.round(X * 4).astype(np.int64)
    expected = _reference(make, X_int.astype(float)).predict_proba(X_int)
    assert_allclose(make(FITTED_TEACHER).fit(X_int).predict_proba(X_int), expected)


def _zero_weight_rows(make):
    """Rows of weight 0 are ignored: the fit equals the one without them."""
    # Of the real rows: fewer rows would draw other synthetic rows.
    make = functools.partial(make, augment=None)
    keep = np.arange(N) % 3 > 0
    expected = _reference(make, X[keep]).predict_proba(X)
    student = make(FITTED_TEACHER).fit(X, sample_weight=keep.astype(float))
    assert_allclose(student.predict_proba(X), expected, atol=1e-5)


def _single_logit(make):
    """One output column is a binary logit z, meaning [0, z]."""
    w = np.random.default_rng(0).normal(size=D)
    student = make(lambda X: X @ w).fit(X)
    assert_array_equal(student.classes_, [0, 1])
    assert np.mean(student.predict(X) == (X @ w > 0)) > 0.9


def _huge_logits(make):
    """Logits of 1e4 soften without overflow: the targets are one-hot."""
    student = make(lambda X: 1e4 * np.eye(3)[Y]).fit(X)
    assert np.isfinite(student.predict_proba(X)).all()
    assert np.mean(student.predict(X) == Y) > 0.95


def _masked_logits(make):
    """-inf logits (a class impossible for a row) are kept as probability 0."""
    logits = np.where(np.eye(3)[(Y + 1) % 3] > 0, -np.inf, 3.0 * np.eye(3)[Y])
    student = make(lambda X: logits[: len(X)]).fit(X)
    assert np.isfinite(student.predict_proba(X)).all()
    assert np.mean(student.predict(X) == Y) > 0.9


class _DuckTeacher:
    """Not a scikit-learn estimator: only predict_logits and classes."""

    classes = np.array(["barolo", "grignolino", "barbera"])

    def predict_logits(self, X):
        return FITTED_TEACHER.decision_function(X)


def _duck_typed_teacher(make):
    """Any object with predict_logits(X) and classes is a teacher."""
    student = make(_DuckTeacher()).fit(X)
    assert_array_equal(student.classes_, _DuckTeacher.classes)
    expected = _DuckTeacher.classes[FITTED_TEACHER.predict(X)]
    assert np.mean(student.predict(X) == expected) > 0.9


def _nullable_frame(make):
    """pandas nullable dtypes (convert_dtypes) reach a torch teacher as floats."""
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame(np.round(X, 3), columns=[f"c{i}" for i in range(D)])
    teacher = _torch_teacher()
    expected = make(teacher).fit(frame).predict_proba(frame)
    nullable = frame.convert_dtypes()
    assert str(nullable.dtypes.iloc[0]) == "Float64"
    got = make(teacher).fit(nullable).predict_proba(nullable)
    assert_allclose(got, expected, atol=1e-12)


def _cached_teacher_after_a_new_module(make):
    """A teacher whose weights change: the row cache is dropped, not reused."""
    module = random_mlp(D, 3)
    teacher = TorchTeacher(module, device="cpu")
    assert np.mean(make(teacher).fit(X).predict(X) == 0) < 0.6
    with torch.no_grad():
        module[-1].bias.add_(torch.tensor([5.0, 0.0, 0.0], dtype=torch.float64))
    assert np.mean(make(teacher).fit(X).predict(X) == 0) > 0.9


RECOVERIES = [
    ("single-class y", _single_class_y),
    ("string labels", _string_labels),
    ("object-dtype X of numbers", _numeric_object_X),
    ("integer X", _integer_X),
    ("rows of zero weight", _zero_weight_rows),
    ("single binary logit", _single_logit),
    ("huge logits", _huge_logits),
    ("teacher updated in place", _cached_teacher_after_a_new_module),
    ("masked logits", _masked_logits),
    ("duck-typed teacher", _duck_typed_teacher),
    ("pandas nullable dtypes", _nullable_frame),
]


@pytest.mark.parametrize("student", ALL)
@pytest.mark.parametrize(
    "run", [run for _, run in RECOVERIES], ids=[i for i, _ in RECOVERIES]
)
def test_bad_input_gets_a_correct_recovery(run, student):
    run(STUDENTS[student])


def test_the_docs_list_the_matrix():
    page = Path(__file__).parents[1] / "docs" / "reliability.rst"
    rows = re.findall(r"^   \* - (.+)$", page.read_text(), flags=re.M)
    listed = set(rows[1:])  # the first row is the header
    cases = {case[0] for case in ERRORS} | {case_id for case_id, _ in RECOVERIES}
    assert listed == cases
