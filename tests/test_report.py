"""fidelity_report: every number against an independent computation."""

import re

import numpy as np
import pytest
from conftest import load_scaled
from scipy.special import log_softmax, rel_entr, softmax
from scipy.stats import entropy
from sklearn.datasets import load_iris
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.metrics import log_loss, recall_score
from sklearn.naive_bayes import GaussianNB
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeRegressor

from skdistill import (
    DistilledDecisionTree,
    DistilledLogisticRegression,
    DistilledRegressor,
    fidelity_report,
    fidelity_score,
)

EPS = np.finfo(np.float64).eps


@pytest.fixture(scope="module")
def wine():
    X, y = load_scaled("wine")
    teacher = LogisticRegression(C=0.05).fit(X[::2], y[::2])
    return X, y, teacher


def _students(teacher, X, y):
    return {
        # Hard labels give pure leaves, exact zeros: the clipped case.
        "tree": DistilledDecisionTree(
            teacher, alpha=1.0, max_depth=2, random_state=0
        ).fit(X, y),
        "linear": DistilledLogisticRegression(teacher, C=0.01).fit(X),
    }


@pytest.mark.parametrize("kind", ["tree", "linear"])
def test_report_numbers_equal_independent_computations(wine, kind):
    X, y, teacher = wine
    student = _students(teacher, X[::2], y[::2])[kind]
    report = fidelity_report(student, X, y, output_dict=True)

    P_T = teacher.predict_proba(X)  # softmax of the teacher's logits, T = 1
    P_S = student.predict_proba(X)
    clipped = np.clip(P_S, EPS, 1 - EPS)
    teacher_top, student_top = P_T.argmax(axis=1), P_S.argmax(axis=1)

    assert report["teacher_accuracy"] == pytest.approx(teacher.score(X, y))
    assert report["student_accuracy"] == pytest.approx(student.score(X, y))
    assert report["fidelity"] == pytest.approx(fidelity_score(student, X))
    kl = rel_entr(P_T, clipped).sum(axis=1).mean()
    assert report["kl_divergence"] == pytest.approx(kl, rel=1e-9)
    # The log-loss against the teacher's distribution is scikit-learn's
    # log_loss on the replicated rows, each class weighted by P_T.
    K = P_T.shape[1]
    replicated = log_loss(
        np.tile(student.classes_, len(X)),
        np.repeat(P_S, K, axis=0),
        sample_weight=P_T.ravel(),
        labels=student.classes_,
    )
    assert report["log_loss"] == pytest.approx(replicated, rel=1e-9)
    assert report["log_loss"] == pytest.approx(
        report["kl_divergence"] + entropy(P_T, axis=1).mean(), rel=1e-9
    )
    agreement = recall_score(teacher_top, student_top, average=None, labels=range(K))
    per_class = report["per_class"]
    assert list(per_class) == ["0", "1", "2"]
    assert [row["agreement"] for row in per_class.values()] == pytest.approx(agreement)
    assert [row["support"] for row in per_class.values()] == np.bincount(
        teacher_top, minlength=K
    ).tolist()
    assert report["support"] == len(X)
    assert 0.5 < report["fidelity"] < 1.0  # a weak student disagrees somewhere
    if kind == "tree":
        assert (P_S == 0).any()  # the clipping is exercised


def test_kl_is_zero_for_a_student_equal_to_its_teacher(wine):
    X, y, teacher = wine
    logits = teacher.predict_log_proba(X)
    # A linear teacher distilled without a penalty is recovered exactly.
    student = DistilledLogisticRegression(
        teacher, temperature=1.0, penalty=None, tol=1e-10, max_iter=5000
    ).fit(X)
    report = fidelity_report(student, X, teacher_logits=logits, output_dict=True)
    assert report["fidelity"] == 1.0
    assert report["kl_divergence"] == pytest.approx(0.0, abs=1e-6)
    assert report["log_loss"] == pytest.approx(
        entropy(softmax(logits, axis=1), axis=1).mean(), rel=1e-5
    )


def test_a_class_the_teacher_rules_out_costs_nothing():
    X, y = load_scaled("wine")
    logits = LogisticRegression().fit(X, y).decision_function(X)
    logits[:, 2] = -np.inf  # class 2 impossible everywhere
    student = DistilledLogisticRegression(None).fit(X, teacher_logits=logits)
    report = fidelity_report(student, X, teacher_logits=logits, output_dict=True)
    P_T = np.exp(log_softmax(logits, axis=1))
    clipped = np.clip(student.predict_proba(X), EPS, 1 - EPS)
    expected = rel_entr(P_T, clipped).sum(axis=1).mean()
    assert np.isfinite(report["kl_divergence"])
    assert report["kl_divergence"] == pytest.approx(expected, rel=1e-9)
    # No row has class 2 on top: its agreement is undefined, not 0.
    assert report["per_class"]["2"]["support"] == 0
    assert np.isnan(report["per_class"]["2"]["agreement"])
    assert re.search(
        r"^2\s+nan\s+0$", fidelity_report(student, X, teacher_logits=logits), re.M
    )


def test_integer_weights_equal_repeated_rows(wine):
    X, y, teacher = wine
    student = _students(teacher, X[::2], y[::2])["tree"]
    weights = np.random.default_rng(0).integers(0, 4, len(X))
    weighted = fidelity_report(student, X, y, sample_weight=weights, output_dict=True)
    repeated = fidelity_report(
        student,
        np.repeat(X, weights, axis=0),
        np.repeat(y, weights),
        output_dict=True,
    )
    for label, row in weighted.pop("per_class").items():
        assert row == pytest.approx(repeated["per_class"][label])
    del repeated["per_class"]
    assert weighted == pytest.approx(repeated)
    assert weighted["support"] == weights.sum()


def test_teacher_logits_replace_the_teacher(wine):
    X, y, teacher = wine
    logits = teacher.predict_log_proba(X)
    # The same fit from both: no synthetic rows (the logits cannot label any).
    with_teacher = DistilledLogisticRegression(teacher, C=0.01, augment=None).fit(X)
    without = DistilledLogisticRegression(None, C=0.01).fit(X, teacher_logits=logits)
    assert fidelity_report(without, X, y, teacher_logits=logits) == fidelity_report(
        with_teacher, X, y
    )
    with pytest.raises(
        ValueError,
        match="fidelity_report: DistilledLogisticRegression has no teacher_.*"
        r"teacher_logits=\.\.\.",
    ):
        fidelity_report(without, X)


def test_text_report_rounds_the_dict(wine):
    X, y, teacher = wine
    student = _students(teacher, X[::2], y[::2])["tree"]
    report = fidelity_report(student, X, y, output_dict=True)
    text = fidelity_report(student, X, y, digits=4)
    lines = text.splitlines()
    assert lines[0].split() == ["teacher", "student"]
    assert lines[1].split() == [
        "accuracy",
        f"{report['teacher_accuracy']:.4f}",
        f"{report['student_accuracy']:.4f}",
    ]
    assert lines[2].split() == ["fidelity", f"{report['fidelity']:.4f}"]
    assert lines[3].split() == [
        "KL(teacher||student)",
        f"{report['kl_divergence']:.4f}",
    ]
    assert lines[4].split() == [
        "log-loss",
        "vs",
        "teacher",
        f"{report['log_loss']:.4f}",
    ]
    assert lines[5] == ""
    assert lines[6].split() == ["teacher's", "class", "agreement", "support"]
    for line, (label, row) in zip(lines[7:], report["per_class"].items()):
        assert line.split() == [label, f"{row['agreement']:.4f}", str(row["support"])]
    assert lines[-1].split() == ["all", f"{report['fidelity']:.4f}", str(len(X))]


def test_without_labels_there_is_no_accuracy(wine):
    X, y, teacher = wine
    student = _students(teacher, X[::2], y[::2])["linear"]
    report = fidelity_report(student, X, output_dict=True)
    assert "teacher_accuracy" not in report and "student_accuracy" not in report
    text = fidelity_report(student, X)
    assert "accuracy" not in text
    assert text.splitlines()[1].split()[0] == "fidelity"


def test_pipeline_sees_the_transformed_rows():
    X, y = load_scaled("wine")
    X_raw = X * 10 + 3
    teacher = LogisticRegression().fit(X, y)
    pipe = make_pipeline(
        StandardScaler(), DistilledDecisionTree(teacher, max_depth=2, random_state=0)
    ).fit(X_raw)
    direct = fidelity_report(pipe[-1], pipe[0].transform(X_raw), y, output_dict=True)
    assert fidelity_report(pipe, X_raw, y, output_dict=True) == direct


def test_string_classes_label_the_rows():
    X, y = load_scaled("wine")
    names = np.array(["barolo", "grignolino", "barbera"])[y]
    teacher = LogisticRegression().fit(X, names)
    student = DistilledDecisionTree(teacher, max_depth=1).fit(X)
    report = fidelity_report(student, X, names, output_dict=True)
    assert list(report["per_class"]) == ["barbera", "barolo", "grignolino"]
    assert report["student_accuracy"] == pytest.approx(student.score(X, names))


def test_regressor_is_refused_with_the_way_out():
    X, y = load_scaled("wine")
    student = DistilledRegressor(
        DecisionTreeRegressor(max_depth=2), LinearRegression().fit(X, y.astype(float))
    ).fit(X)
    with pytest.raises(
        TypeError,
        match=r"fidelity_report: DistilledRegressor is a regression student.*"
        r"fidelity_score\(student, X\)",
    ):
        fidelity_report(student, X)


def test_other_bad_input_is_named(wine):
    X, y, teacher = wine
    student = _students(teacher, X[::2], y[::2])["linear"]
    with pytest.raises(
        TypeError, match="fidelity_report: LogisticRegression is not a skdistill"
    ):
        fidelity_report(teacher, X)
    with pytest.raises(
        ValueError, match="fidelity_report: y has 10 labels but X has 178 rows"
    ):
        fidelity_report(student, X, y[:10])
    with pytest.raises(
        ValueError, match="fidelity_report: the teacher's logits have 2 columns"
    ):
        fidelity_report(student, X, teacher_logits=np.zeros((len(X), 2)))
    with pytest.raises(
        ValueError, match="fidelity_report: teacher_logits has 5 rows but X has 178"
    ):
        fidelity_report(student, X, teacher_logits=np.zeros((5, 3)))
    with pytest.raises(ValueError, match="fidelity_report: bad sample_weight"):
        fidelity_report(student, X, sample_weight=-np.ones(len(X)))


def test_y_of_another_label_type_is_refused():
    X, y = load_iris(return_X_y=True)
    names = np.array(["setosa", "versicolor", "virginica"])[y]
    student = DistilledDecisionTree(GaussianNB(), max_depth=2).fit(X, names)
    with pytest.raises(ValueError, match=r"y holds labels the student has no class"):
        fidelity_report(student, X, y)


@pytest.mark.parametrize("digits", [-1, 1.5, True])
def test_bad_digits_are_refused(digits):
    X, y = load_iris(return_X_y=True)
    student = DistilledDecisionTree(GaussianNB(), max_depth=2).fit(X, y)
    with pytest.raises(ValueError, match=r"digits=.* must be a non-negative int"):
        fidelity_report(student, X, digits=digits)
