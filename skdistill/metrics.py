"""Agreement between a student and its teacher."""

import numpy as np
from sklearn.pipeline import Pipeline
from sklearn.utils.validation import check_is_fitted

from skdistill._base import _teacher_logits
from skdistill._classification import check_logits
from skdistill._sklearn import _num_samples

__all__ = ["fidelity_score"]

_OWNER = "fidelity_score"


def _student_and_input(estimator, X):
    """The fitted student inside ``estimator`` and the X it sees."""
    estimator = getattr(estimator, "best_estimator_", estimator)
    if isinstance(estimator, Pipeline):
        X = estimator[:-1].transform(X) if len(estimator) > 1 else X
        return _student_and_input(estimator[-1], X)
    return estimator, X


def fidelity_score(estimator, X, y=None, *, sample_weight=None, teacher_logits=None):
    """Fraction of rows on which a student predicts the teacher's top class.

    The signature is that of a scorer, so ``scoring=fidelity_score`` works
    in ``GridSearchCV`` and ``cross_val_score``; ``y`` is ignored, so it also
    works on unlabelled data.

    Parameters
    ----------
    estimator : fitted student
        A fitted skdistill student, or a fitted ``Pipeline`` (or search
        object) whose last step is one; the teacher sees what the student
        sees.
    X : array-like of shape (n_samples, n_features)
        Rows to compare on.
    y : None
        Ignored; present for the scorer signature.
    sample_weight : array-like of shape (n_samples,), default=None
        Row weights of the agreement.
    teacher_logits : array-like of shape (n_samples, n_classes), default=None
        The teacher's logits on X, when the student has no teacher to run
        (it was fitted from ``teacher_logits`` alone); the teacher is then
        not run.

    Returns
    -------
    score : float
        Weighted top-1 agreement, in ``[0, 1]``.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.naive_bayes import GaussianNB
    >>> from skdistill import DistilledLogisticRegression, fidelity_score
    >>> X, y = load_iris(return_X_y=True)
    >>> student = DistilledLogisticRegression(GaussianNB(), max_iter=1000).fit(X, y)
    >>> fidelity_score(student, X) > 0.9
    True
    """
    student, X_student = _student_and_input(estimator, X)
    check_is_fitted(student)
    teacher = getattr(student, "teacher_", None)
    n_samples = _num_samples(X_student)
    if teacher_logits is not None:
        logits = check_logits(teacher_logits, n_samples, _OWNER, "teacher_logits")
    elif teacher is None:
        raise ValueError(
            f"{_OWNER}: {type(student).__name__} has no teacher_ (it was "
            "fitted from teacher_logits alone), so the teacher's labels of X "
            "are unknown; pass fidelity_score(student, X, teacher_logits=...), "
            "or give the student its teacher as well as the logits."
        )
    else:
        logits = _teacher_logits(teacher, X_student, n_samples, _OWNER)
    if logits.shape[1] != len(student.classes_):
        raise ValueError(
            f"{_OWNER}: the teacher's output has {logits.shape[1]} columns but "
            f"{type(student).__name__} was fitted on {len(student.classes_)} "
            "classes; a teacher's output shape must not change between calls. "
            "Refit the student with the teacher as it is now."
        )
    teacher_pred = student.classes_[np.argmax(logits, axis=1)]
    student_pred = student.predict(X_student)
    return float(np.average(teacher_pred == student_pred, weights=sample_weight))
