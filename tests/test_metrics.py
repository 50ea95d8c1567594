import numpy as np
import pytest
from conftest import load_scaled
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import cross_val_score

from skdistill import DistilledLogisticRegression, fidelity_score


def test_fidelity_is_top1_agreement_with_the_teacher():
    X, y = load_scaled("digits")
    teacher = LogisticRegression(max_iter=1000).fit(X[:900], y[:900])
    student = DistilledLogisticRegression(teacher, C=0.001).fit(X[:900])
    expected = np.mean(student.predict(X) == teacher.predict(X))
    assert fidelity_score(student, X) == pytest.approx(expected)
    assert fidelity_score(student, X, y) == pytest.approx(expected)  # y is ignored
    assert 0.5 < expected < 1.0  # a weak student disagrees somewhere


def test_fidelity_weights_and_scoring():
    X, y = load_scaled("wine")
    student = DistilledLogisticRegression(LogisticRegression()).fit(X, y)
    weights = np.r_[np.ones(100), np.zeros(len(y) - 100)]
    agree = student.predict(X) == student.teacher_.estimator.predict(X)
    assert fidelity_score(student, X, sample_weight=weights) == pytest.approx(
        agree[:100].mean()
    )
    scores = cross_val_score(
        DistilledLogisticRegression(LogisticRegression()),
        X,
        y,
        scoring=fidelity_score,
        cv=3,
    )
    assert (scores > 0.8).all()


def test_fidelity_needs_a_teacher():
    X, y = load_scaled("wine")
    logits = LogisticRegression().fit(X, y).decision_function(X)
    student = DistilledLogisticRegression(None).fit(X, teacher_logits=logits)
    with pytest.raises(
        ValueError, match="fidelity_score: DistilledLogisticRegression has no teacher_"
    ):
        fidelity_score(student, X)
