"""AgreementDisplay and FidelityCurveDisplay: numbers against oracles, plots."""

import matplotlib.pyplot as plt
import numpy as np
import pytest
from conftest import RowCounter, load_scaled, random_mlp
from scipy.special import softmax
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.metrics import accuracy_score, confusion_matrix
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from skdistill import (
    AgreementDisplay,
    DistilledClassifier,
    DistilledDecisionTree,
    DistilledLogisticRegression,
    DistilledMLPClassifier,
    DistilledRegressor,
    FidelityCurveDisplay,
    TorchTeacher,
    fidelity_score,
)
from skdistill.augment import GaussianNoise
from skdistill.teachers import CallableTeacher

plt.switch_backend("Agg")


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def split():
    X, y = load_scaled("wine")
    return train_test_split(X, y, test_size=0.5, stratify=y, random_state=0)


@pytest.fixture(scope="module")
def teacher(split):
    X_train, _, y_train, _ = split
    return LogisticRegression(C=0.05).fit(X_train, y_train)


class CountingTeacher:
    """Logits of a fitted classifier, counting the calls and rows it runs."""

    def __init__(self, model):
        self.model = model
        self.calls = 0
        self.rows = 0

    def __call__(self, X):
        self.calls += 1
        self.rows += len(X)
        return self.model.predict_log_proba(X)


def counting(model):
    """A teacher without a row cache, so every row it is asked is run."""
    counter = CountingTeacher(model)
    return counter, CallableTeacher(counter, classes=model.classes_, cache=False)


# --------------------------------------------------------------------------
# AgreementDisplay


@pytest.mark.parametrize(
    "normalize, sklearn_normalize",
    [("teacher", "true"), ("student", "pred"), ("all", "all"), (None, None)],
)
def test_agreement_matrix_is_the_confusion_matrix_of_top_classes(
    split, teacher, normalize, sklearn_normalize
):
    X_train, X_test, _, _ = split
    student = DistilledDecisionTree(teacher, max_depth=1).fit(X_train)
    display = AgreementDisplay.from_estimator(student, X_test, normalize=normalize)
    teacher_top = teacher.predict(X_test)
    student_top = student.predict(X_test)
    expected = confusion_matrix(teacher_top, student_top, normalize=sklearn_normalize)
    np.testing.assert_allclose(display.agreement, expected)
    counts = confusion_matrix(teacher_top, student_top)
    np.testing.assert_allclose(
        display.per_class_agreement, np.diag(counts) / counts.sum(axis=1)
    )
    np.testing.assert_array_equal(display.support, np.bincount(teacher_top))
    assert display.fidelity == pytest.approx(fidelity_score(student, X_test))
    assert display.fidelity < 1  # a depth-1 tree cannot hold three classes
    np.testing.assert_array_equal(display.display_labels, student.classes_)


def test_lowest_agreement_rows_have_the_lowest_proba_of_the_teachers_class(
    split, teacher
):
    X_train, X_test, _, _ = split
    student = DistilledDecisionTree(teacher, max_depth=2, random_state=0)
    student.fit(X_train)
    disagree = np.flatnonzero(student.predict(X_test) != teacher.predict(X_test))
    assert len(disagree) > 0
    n_lowest = len(disagree) + 3
    display = AgreementDisplay.from_estimator(student, X_test, n_lowest=n_lowest)
    proba = student.predict_proba(X_test)
    top_proba = proba[np.arange(len(X_test)), teacher.predict(X_test)]
    rows = display.lowest_agreement_rows
    assert rows.shape == (n_lowest,)
    np.testing.assert_array_equal(display.lowest_agreement_proba, top_proba[rows])
    assert np.all(np.diff(display.lowest_agreement_proba) >= 0)
    others = np.setdiff1d(np.arange(len(X_test)), rows)
    assert top_proba[others].min() >= top_proba[rows].max()
    # A row the student agrees on has at least 1 / n_classes there.
    assert display.lowest_agreement_proba[0] < 1 / 3
    assert rows[0] in disagree


def test_from_predictions_takes_logits_or_probabilities():
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(40, 4)) * 3
    student = softmax(logits + rng.normal(size=(40, 4)) * 2, axis=1)
    weights = rng.uniform(0, 2, 40)
    from_logits = AgreementDisplay.from_predictions(
        logits, student, sample_weight=weights, n_lowest=40
    )
    from_proba = AgreementDisplay.from_predictions(
        softmax(logits, axis=1), student, sample_weight=weights, n_lowest=40
    )
    for name in ("agreement", "per_class_agreement", "support", "fidelity"):
        np.testing.assert_allclose(
            getattr(from_logits, name), getattr(from_proba, name)
        )
    np.testing.assert_array_equal(
        from_logits.lowest_agreement_rows, from_proba.lowest_agreement_rows
    )
    teacher_top, student_top = logits.argmax(axis=1), student.argmax(axis=1)
    np.testing.assert_allclose(
        from_logits.agreement,
        confusion_matrix(
            teacher_top, student_top, sample_weight=weights, normalize="true"
        ),
    )
    np.testing.assert_allclose(
        from_logits.support, np.bincount(teacher_top, weights=weights)
    )
    assert from_logits.fidelity == pytest.approx(
        np.average(teacher_top == student_top, weights=weights)
    )
    # n_lowest beyond the rows keeps them all, in order of the student's
    # probability of the teacher's class.
    top_proba = student[np.arange(40), teacher_top]
    np.testing.assert_array_equal(
        from_logits.lowest_agreement_rows, np.argsort(top_proba, kind="stable")
    )


def test_a_class_that_is_no_rows_top_class_has_no_agreement():
    teacher = np.array([[3.0, 0.0, 0.0], [0.0, 3.0, 0.0], [2.0, 0.0, 1.0]])
    student = np.array([[0.6, 0.3, 0.1], [0.1, 0.2, 0.7], [0.5, 0.1, 0.4]])
    display = AgreementDisplay.from_predictions(teacher, student)
    np.testing.assert_array_equal(display.support, [2, 1, 0])
    np.testing.assert_array_equal(display.per_class_agreement[:2], [1.0, 0.0])
    assert np.isnan(display.per_class_agreement[2])
    np.testing.assert_array_equal(display.agreement[2], [0.0, 0.0, 0.0])


def test_agreement_plot(split, teacher):
    X_train, X_test, _, _ = split
    names = np.array(["barolo", "grignolino", "barbera"])
    labelled = LogisticRegression(C=0.05).fit(X_train, names[split[2]])
    student = DistilledDecisionTree(labelled, max_depth=2).fit(X_train)
    _, ax = plt.subplots()
    display = AgreementDisplay.from_estimator(student, X_test, ax=ax)
    assert display.ax_ is ax and display.figure_ is ax.figure
    assert display.ax_.get_ylabel() == "Teacher"
    assert display.ax_.get_xlabel() == "Student"
    assert [t.get_text() for t in ax.get_xticklabels()] == list(student.classes_)
    assert [t.get_text() for t in ax.get_yticklabels()] == list(student.classes_)
    np.testing.assert_allclose(display.im_.get_array(), display.agreement)
    assert display.text_.shape == (3, 3)
    assert display.text_[0, 0].get_text() == format(display.agreement[0, 0], ".2g")
    assert len(ax.figure.axes) == 2  # the matrix and its colorbar
    again = display.plot(include_values=False, colorbar=False, values_format=".1f")
    assert again is display and display.text_ is None
    assert display.ax_ is not ax  # a new figure without ax=


def test_agreement_through_a_pipeline_and_given_logits(split, teacher):
    X_train, X_test, _, _ = split
    X_raw_train, X_raw_test = X_train * 10 + 3, X_test * 10 + 3
    scaler = StandardScaler().fit(X_raw_train)
    pipe = make_pipeline(
        scaler, DistilledDecisionTree(teacher, max_depth=1, random_state=0)
    ).fit(X_raw_train)
    display = AgreementDisplay.from_estimator(pipe, X_raw_test)
    direct = AgreementDisplay.from_estimator(pipe[-1], scaler.transform(X_raw_test))
    np.testing.assert_allclose(display.agreement, direct.agreement)
    logits = teacher.predict_log_proba(scaler.transform(X_raw_test))
    given = AgreementDisplay.from_estimator(pipe, X_raw_test, teacher_logits=logits)
    np.testing.assert_allclose(given.agreement, display.agreement)


def test_agreement_errors(split, teacher):
    X_train, X_test, y_train, _ = split
    proba = np.full((5, 3), 1 / 3)
    with pytest.raises(
        ValueError,
        match="AgreementDisplay.from_predictions: normalize='true' is not one of "
        "'teacher'.*confusion_matrix's 'true'",
    ):
        AgreementDisplay.from_predictions(proba, proba, normalize="true")
    with pytest.raises(
        ValueError, match="AgreementDisplay.from_predictions: n_lowest=-1 is negative"
    ):
        AgreementDisplay.from_predictions(proba, proba, n_lowest=-1)
    with pytest.raises(
        TypeError, match="AgreementDisplay.from_predictions: n_lowest=2.5 is not an"
    ):
        AgreementDisplay.from_predictions(proba, proba, n_lowest=2.5)
    with pytest.raises(
        ValueError,
        match=r"AgreementDisplay.from_predictions: teacher_scores has shape \(5,\) "
        r"but student_proba has shape \(5, 3\).*np.c_\[-z, z\]",
    ):
        AgreementDisplay.from_predictions(np.zeros(5), proba)
    with pytest.raises(
        ValueError, match="AgreementDisplay.from_predictions: bad sample_weight"
    ):
        AgreementDisplay.from_predictions(proba, proba, sample_weight=np.ones(4))
    with pytest.raises(
        ValueError,
        match="AgreementDisplay.from_predictions: teacher_scores contains NaN",
    ):
        AgreementDisplay.from_predictions(np.full((5, 3), np.nan), proba)
    regressor = DistilledRegressor(
        DecisionTreeRegressor(max_depth=1), LinearRegression().fit(X_train, y_train)
    ).fit(X_train)
    with pytest.raises(
        TypeError,
        match="AgreementDisplay.from_estimator: DistilledRegressor is a regression "
        r"student.*fidelity_score\(student, X\)",
    ):
        AgreementDisplay.from_estimator(regressor, X_test)
    without = DistilledDecisionTree(None).fit(
        X_train, teacher_logits=teacher.predict_log_proba(X_train)
    )
    with pytest.raises(
        ValueError,
        match="AgreementDisplay.from_estimator: DistilledDecisionTree has no teacher_",
    ):
        AgreementDisplay.from_estimator(without, X_test)


# --------------------------------------------------------------------------
# FidelityCurveDisplay


def _scores(students, X_test, y_test, teacher_test):
    predictions = [student.predict(X_test) for student in students]
    return (
        [accuracy_score(y_test, p) for p in predictions],
        [np.mean(p == teacher_test) for p in predictions],
    )


def test_curve_equals_each_student_fitted_by_hand(split, teacher):
    X_train, X_test, y_train, y_test = split
    depths = [1, 2, 3, None]
    noise = GaussianNoise(n_copies=2, scale=0.3, random_state=0)
    student = DistilledDecisionTree(
        teacher, temperature=2.0, augment=noise, random_state=0
    )
    display = FidelityCurveDisplay.from_estimator(
        student,
        X_train,
        y_train,
        X_test,
        y_test,
        param_name="max_depth",
        param_range=depths,
    )
    teacher_test = teacher.predict(X_test)
    by_hand = [
        DistilledDecisionTree(
            teacher, temperature=2.0, augment=noise, max_depth=d, random_state=0
        ).fit(X_train, y_train)
        for d in depths
    ]
    hard = [
        DistilledDecisionTree(
            teacher, alpha=1.0, temperature=1.0, max_depth=d, random_state=0
        ).fit(X_train, y_train)
        for d in depths
    ]
    accuracy, fidelity = _scores(by_hand, X_test, y_test, teacher_test)
    np.testing.assert_array_equal(display.accuracy, accuracy)
    np.testing.assert_array_equal(display.fidelity, fidelity)
    hard_accuracy, hard_fidelity = _scores(hard, X_test, y_test, teacher_test)
    np.testing.assert_array_equal(display.hard_accuracy, hard_accuracy)
    np.testing.assert_array_equal(display.hard_fidelity, hard_fidelity)
    assert display.teacher_accuracy == pytest.approx(teacher.score(X_test, y_test))
    assert display.param_range == depths and display.param_name == "max_depth"
    assert display.n_nonzero is None and display.hard_n_nonzero is None
    assert len(set(fidelity)) > 1  # the depths differ


def test_hard_label_curve_is_scikit_learns_model(split, teacher):
    X_train, X_test, y_train, y_test = split
    display = FidelityCurveDisplay.from_estimator(
        DistilledClassifier(DecisionTreeClassifier(random_state=0), teacher),
        X_train,
        y_train,
        X_test,
        y_test,
        param_name="student__max_depth",
        param_range=[1, 3, None],
    )
    trees = [
        DecisionTreeClassifier(max_depth=d, random_state=0).fit(X_train, y_train)
        for d in [1, 3, None]
    ]
    accuracy, fidelity = _scores(trees, X_test, y_test, teacher.predict(X_test))
    np.testing.assert_array_equal(display.hard_accuracy, accuracy)
    np.testing.assert_array_equal(display.hard_fidelity, fidelity)
    # None is not a number: the values are categories, labelled by their text.
    ticks = [t.get_text() for t in display.ax_.get_xticklabels()]
    assert ticks == ["1", "3", "None"]
    np.testing.assert_array_equal(display.lines_["accuracy"].get_xdata(), [0, 1, 2])
    assert display.ax_.get_xlabel() == "student__max_depth"


def test_teacher_runs_once_on_the_real_rows(split, teacher):
    X_train, X_test, y_train, y_test = split
    counter, counted = counting(teacher)
    FidelityCurveDisplay.from_estimator(
        DistilledDecisionTree(counted, random_state=0),
        X_train,
        y_train,
        X_test,
        y_test,
        param_name="max_leaf_nodes",
        param_range=[2, 4, 8, 16, 32],
    )
    assert (counter.calls, counter.rows) == (2, len(X_train) + len(X_test))


def test_torch_teacher_runs_once_on_the_real_rows(split):
    # Without synthetic rows, which are new in each fit.
    X_train, X_test, y_train, y_test = split
    network = RowCounter(random_mlp(X_train.shape[1], 3))
    teacher = TorchTeacher(network, device="cpu", cache=False)
    display = FidelityCurveDisplay.from_estimator(
        DistilledLogisticRegression(teacher, augment=None),
        X_train,
        y_train,
        X_test,
        y_test,
        param_name="temperature",
        param_range=[1.0, 2.0, 4.0],
    )
    assert network.rows == len(X_train) + len(X_test)
    logits = teacher.predict_logits(X_test)
    expected = np.mean(logits.argmax(axis=1) == y_test)
    assert display.teacher_accuracy == pytest.approx(expected)


def test_teacher_labels_only_the_synthetic_rows_again(split, teacher):
    X_train, X_test, y_train, y_test = split
    counter, counted = counting(teacher)
    noise = GaussianNoise(n_copies=3, scale=0.3, random_state=0)
    FidelityCurveDisplay.from_estimator(
        DistilledDecisionTree(counted, augment=noise, random_state=0),
        X_train,
        y_train,
        X_test,
        y_test,
        param_name="max_depth",
        param_range=[1, 2, 4, 8],
    )
    # Real rows once each; per fit of the distilled student, its 3 noisy
    # copies of X_train; the hard-label students have no synthetic rows.
    assert counter.rows == len(X_train) + len(X_test) + 4 * 3 * len(X_train)


def test_an_unfitted_teacher_is_trained_once(split):
    X_train, X_test, y_train, y_test = split

    class CountingFits(LogisticRegression):
        fits = 0

        def fit(self, X, y, sample_weight=None):
            type(self).fits += 1
            return super().fit(X, y, sample_weight=sample_weight)

    display = FidelityCurveDisplay.from_estimator(
        DistilledLogisticRegression(CountingFits(C=0.05)),
        X_train,
        y_train,
        X_test,
        y_test,
        param_name="temperature",
        param_range=[1.0, 2.0, 4.0],
    )
    assert CountingFits.fits == 1
    teacher = LogisticRegression(C=0.05).fit(X_train, y_train)
    assert display.teacher_accuracy == pytest.approx(teacher.score(X_test, y_test))


@pytest.mark.parametrize(
    "param_name, param_range",
    [
        ("alpha", [0.0, 0.5]),
        ("temperature", [0.5, 4.0]),
        ("augment", [None, GaussianNoise(n_copies=2, random_state=0)]),
    ],
)
def test_hard_label_student_stays_hard_over_its_own_parameters(
    split, teacher, param_name, param_range
):
    X_train, X_test, y_train, y_test = split
    counter, counted = counting(teacher)
    display = FidelityCurveDisplay.from_estimator(
        DistilledDecisionTree(counted, max_depth=2, random_state=0),
        X_train,
        y_train,
        X_test,
        y_test,
        param_name=param_name,
        param_range=param_range,
    )
    hard = DistilledDecisionTree(
        teacher, alpha=1.0, temperature=1.0, max_depth=2, random_state=0
    ).fit(X_train, y_train)
    (accuracy,), (fidelity,) = _scores([hard], X_test, y_test, teacher.predict(X_test))
    np.testing.assert_array_equal(display.hard_accuracy, [accuracy] * 2)
    np.testing.assert_array_equal(display.hard_fidelity, [fidelity] * 2)
    distilled = [
        DistilledDecisionTree(
            teacher, max_depth=2, random_state=0, **{param_name: value}
        ).fit(X_train, y_train)
        for value in param_range
    ]
    accuracy, fidelity = _scores(distilled, X_test, y_test, teacher.predict(X_test))
    np.testing.assert_array_equal(display.accuracy, accuracy)
    np.testing.assert_array_equal(display.fidelity, fidelity)
    synthetic = 2 * len(X_train) if param_name == "augment" else 0
    assert counter.rows == len(X_train) + len(X_test) + synthetic


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_neural_student_over_hidden_layer_sizes(split, teacher):
    X_train, X_test, y_train, y_test = split
    sizes = [(2,), (8,)]
    params = {"max_iter": 30, "device": "cpu", "random_state": 0}
    display = FidelityCurveDisplay.from_estimator(
        DistilledMLPClassifier(teacher, **params),
        X_train,
        y_train,
        X_test,
        y_test,
        param_name="hidden_layer_sizes",
        param_range=sizes,
        hard_labels=False,
    )
    by_hand = [
        DistilledMLPClassifier(teacher, hidden_layer_sizes=s, **params).fit(
            X_train, y_train
        )
        for s in sizes
    ]
    accuracy, fidelity = _scores(by_hand, X_test, y_test, teacher.predict(X_test))
    np.testing.assert_array_equal(display.accuracy, accuracy)
    np.testing.assert_array_equal(display.fidelity, fidelity)
    assert display.hard_accuracy is None and sorted(display.lines_) == [
        "accuracy",
        "fidelity",
    ]
    ticks = [t.get_text() for t in display.ax_.get_xticklabels()]
    assert ticks == ["(2,)", "(8,)"]


def test_c_sweep_follows_the_regularization_path(split, teacher):
    # augment=None: the display's path and this one draw no synthetic rows
    # (with them, an unseeded student would draw other rows in each).
    from skdistill import regularization_path

    X_train, X_test, y_train, y_test = split
    counter, counted = counting(teacher)
    Cs = [1.0, 0.01, 0.1, 0.03, 0.3]  # any order; the path sorts them
    student = DistilledLogisticRegression(
        counted, augment=None, penalty="l1", max_iter=500
    )
    display = FidelityCurveDisplay.from_estimator(
        student, X_train, y_train, X_test, y_test, param_name="C", param_range=Cs
    )
    assert (counter.calls, counter.rows) == (2, len(X_train) + len(X_test))
    logits = teacher.predict_log_proba(X_train)
    teacher_test = teacher.predict(X_test)
    path = regularization_path(
        DistilledLogisticRegression(teacher, augment=None, penalty="l1", max_iter=500),
        X_train,
        y_train,
        Cs=Cs,
        teacher_logits=logits,
    )
    np.testing.assert_array_equal(display.param_range, sorted(Cs))
    np.testing.assert_array_equal(display.param_range, path.Cs)
    np.testing.assert_array_equal(display.n_nonzero, path.n_nonzero)
    accuracy, fidelity = _scores(path.students, X_test, y_test, teacher_test)
    np.testing.assert_array_equal(display.accuracy, accuracy)
    np.testing.assert_array_equal(display.fidelity, fidelity)
    # Each count is the number of features a student uses, in any class.
    used = [np.any(s.coef_ != 0, axis=0).sum() for s in path.students]
    np.testing.assert_array_equal(display.n_nonzero, used)
    assert display.n_nonzero[0] < display.n_nonzero[-1]  # l1 drops features
    hard_path = regularization_path(
        DistilledLogisticRegression(
            teacher, penalty="l1", max_iter=500, alpha=1.0, temperature=1.0
        ),
        X_train,
        y_train,
        Cs=Cs,
        teacher_logits=logits,
    )
    np.testing.assert_array_equal(display.hard_n_nonzero, hard_path.n_nonzero)
    hard_accuracy, _ = _scores(hard_path.students, X_test, y_test, teacher_test)
    np.testing.assert_array_equal(display.hard_accuracy, hard_accuracy)
    assert display.ax_.get_xscale() == "log"

    display.plot(x="n_nonzero")
    np.testing.assert_array_equal(
        display.lines_["fidelity"].get_xdata(), display.n_nonzero
    )
    np.testing.assert_array_equal(
        display.lines_["hard_fidelity"].get_xdata(), display.hard_n_nonzero
    )
    assert display.ax_.get_xlabel() == "features with a non-zero coefficient"


def test_c_sweep_takes_a_number_of_values(split, teacher):
    from skdistill import regularization_path

    X_train, X_test, y_train, y_test = split
    student = DistilledLogisticRegression(
        teacher, augment=None, penalty="l1", max_iter=500
    )
    display = FidelityCurveDisplay.from_estimator(
        student, X_train, y_train, X_test, y_test, param_name="C", param_range=4
    )
    path = regularization_path(student, X_train, y_train, Cs=4)
    np.testing.assert_allclose(display.param_range, path.Cs)
    np.testing.assert_array_equal(display.n_nonzero, path.n_nonzero)
    # The first C of the grid is the emptiest student's.
    assert display.n_nonzero[0] == 0
    # The hard-label students follow the distilled students' grid.
    assert display.hard_n_nonzero.shape == (4,)


def test_curve_plot(split, teacher):
    X_train, X_test, y_train, y_test = split
    _, ax = plt.subplots()
    display = FidelityCurveDisplay.from_estimator(
        DistilledDecisionTree(teacher, random_state=0),
        X_train,
        y_train,
        X_test,
        y_test,
        param_name="max_leaf_nodes",
        param_range=[2, 4, 8, 64],
        ax=ax,
        line_kw={"linewidth": 3},
    )
    assert display.ax_ is ax and display.figure_ is ax.figure
    assert sorted(display.lines_) == [
        "accuracy",
        "fidelity",
        "hard_accuracy",
        "hard_fidelity",
    ]
    for key in display.lines_:
        line = display.lines_[key]
        np.testing.assert_array_equal(line.get_xdata(), [2, 4, 8, 64])
        np.testing.assert_array_equal(line.get_ydata(), getattr(display, key))
        assert line.get_linewidth() == 3
    assert display.lines_["hard_fidelity"].get_linestyle() == "--"
    assert display.lines_["fidelity"].get_linestyle() == "-"
    np.testing.assert_array_equal(
        display.teacher_line_.get_ydata(), [display.teacher_accuracy] * 2
    )
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == [
        "accuracy",
        "fidelity",
        "accuracy, hard labels",
        "fidelity, hard labels",
        "teacher accuracy",
    ]
    assert ax.get_xlabel() == "max_leaf_nodes"
    assert ax.get_ylabel() == "score on held-out rows"
    assert ax.get_xscale() == "log"  # gaps of 2 and 56
    again = display.plot(hard_labels=False)
    assert again is display and sorted(display.lines_) == ["accuracy", "fidelity"]
    assert display.ax_ is not ax
    direct = FidelityCurveDisplay(
        param_name="max_depth",
        param_range=[1, 2, 3],
        accuracy=np.array([0.5, 0.6, 0.7]),
        fidelity=np.array([0.6, 0.7, 0.8]),
    ).plot()
    assert direct.teacher_line_ is None and direct.ax_.get_xscale() == "linear"


def test_curve_errors(split, teacher):
    X_train, X_test, y_train, y_test = split
    data = (X_train, y_train, X_test, y_test)
    tree = DistilledDecisionTree(teacher)
    owner = "FidelityCurveDisplay.from_estimator"
    with pytest.raises(
        ValueError,
        match=rf"{owner}: param_name='max_dept' is not a parameter of "
        r"DistilledDecisionTree; did you mean \['max_depth'",
    ):
        FidelityCurveDisplay.from_estimator(
            tree, *data, param_name="max_dept", param_range=[1, 2]
        )
    with pytest.raises(ValueError, match=rf"{owner}: param_name='teacher__C' would"):
        FidelityCurveDisplay.from_estimator(
            tree, *data, param_name="teacher__C", param_range=[1, 2]
        )
    with pytest.raises(ValueError, match=rf"{owner}: param_range is empty"):
        FidelityCurveDisplay.from_estimator(
            tree, *data, param_name="max_depth", param_range=[]
        )
    with pytest.raises(TypeError, match=rf"{owner}: param_range=3 is not a sequence"):
        FidelityCurveDisplay.from_estimator(
            tree, *data, param_name="max_depth", param_range=3
        )
    with pytest.raises(ValueError, match=rf"{owner}: DistilledDecisionTree has "):
        FidelityCurveDisplay.from_estimator(
            DistilledDecisionTree(None), *data, param_name="max_depth", param_range=[1]
        )
    with pytest.raises(
        TypeError, match=rf"{owner}: Pipeline is not a skdistill student"
    ):
        FidelityCurveDisplay.from_estimator(
            make_pipeline(StandardScaler(), tree),
            *data,
            param_name="distilleddecisiontree__max_depth",
            param_range=[1],
        )
    regressor = DistilledRegressor(
        DecisionTreeRegressor(), LinearRegression().fit(X_train, y_train)
    )
    with pytest.raises(
        TypeError,
        match=rf"{owner}: DistilledRegressor is a regression student.*"
        "ValidationCurveDisplay",
    ):
        FidelityCurveDisplay.from_estimator(
            regressor, *data, param_name="student__max_depth", param_range=[1]
        )
    display = FidelityCurveDisplay.from_estimator(
        tree, *data, param_name="max_depth", param_range=[1, 2]
    )
    with pytest.raises(
        ValueError,
        match="FidelityCurveDisplay.plot: x='n_nonzero' needs the number of "
        "non-zero coefficients.*'max_depth'.*Pass x='param'",
    ):
        display.plot(x="n_nonzero")
    with pytest.raises(
        ValueError, match="FidelityCurveDisplay.plot: x='C' is not 'param'"
    ):
        display.plot(x="C")


def test_from_predictions_refuses_logits_as_student_proba():
    rng = np.random.default_rng(0)
    teacher = rng.standard_normal((20, 3))
    with pytest.raises(ValueError, match=r"student_proba is not a probability"):
        AgreementDisplay.from_predictions(teacher, rng.standard_normal((20, 3)))


def test_curve_without_labels_says_which_are_missing():
    X, y = load_scaled("wine")
    student = DistilledDecisionTree(LogisticRegression(max_iter=1000).fit(X, y))
    with pytest.raises(ValueError, match=r"y_train is None.*hard_labels=False"):
        FidelityCurveDisplay.from_estimator(
            student, X, None, X, y, param_name="max_depth", param_range=[1, 2]
        )
    with pytest.raises(ValueError, match=r"y_test is None"):
        FidelityCurveDisplay.from_estimator(
            student, X, y, X, None, param_name="max_depth", param_range=[1, 2]
        )
