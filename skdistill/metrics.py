"""Agreement between a student and its teacher."""

from sklearn.pipeline import Pipeline
from sklearn.utils.validation import check_is_fitted

from skdistill._base import is_dask_collection, teacher_outputs
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


def fidelity_score(
    estimator,
    X,
    y=None,
    *,
    sample_weight=None,
    teacher_logits=None,
    teacher_predictions=None,
):
    """How closely a student follows its teacher on X.

    For a classification student, the fraction of rows on which it predicts
    the teacher's top class; for a regression student, the R² of its
    predictions against the teacher's (1 when they are equal, 0 for a
    student no better than the teacher's mean, averaged uniformly over
    outputs).

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
        Row weights.
    teacher_logits : array-like of shape (n_samples, n_classes), default=None
        The teacher's logits on X, for a classification student that has no
        teacher to run (it was fitted from ``teacher_logits`` alone); the
        teacher is then not run.
    teacher_predictions : array-like of shape (n_samples,) or \
(n_samples, n_outputs), default=None
        The same for a regression student: the teacher's predictions on X.

    Returns
    -------
    score : float
        Weighted top-1 agreement, in ``[0, 1]``, or R², at most 1.

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
    stage = getattr(student, "_stage", None)
    if stage is None:
        raise TypeError(
            f"{_OWNER}: {type(student).__name__} is not a skdistill student; pass "
            "a fitted student (DistilledLogisticRegression, DistilledRegressor, "
            "...), or a Pipeline or search whose last step is one."
        )
    check_is_fitted(student)
    given = {
        "teacher_logits": teacher_logits,
        "teacher_predictions": teacher_predictions,
    }
    wrong = next(
        (
            name
            for name, value in given.items()
            if value is not None and name != stage.given
        ),
        None,
    )
    if wrong is not None:
        raise ValueError(
            f"{_OWNER}: {wrong} was passed, but {type(student).__name__} is a "
            f"{stage.task} student; pass the teacher's outputs as {stage.given}."
        )
    teacher = getattr(student, "teacher_", None)
    if (
        is_dask_collection(X_student)
        and given[stage.given] is None
        and teacher is not None
    ):
        from skdistill._dask import dask_fidelity

        return dask_fidelity(student, teacher, X_student, sample_weight)
    n_samples = _num_samples(X_student)
    if given[stage.given] is not None:
        outputs = stage.check(given[stage.given], n_samples, _OWNER, stage.given)
    elif teacher is None:
        raise ValueError(
            f"{_OWNER}: {type(student).__name__} has no teacher_ (it was "
            f"fitted from {stage.given} alone), so the teacher's outputs on X "
            f"are unknown; pass fidelity_score(student, X, {stage.given}=...), "
            "or give the student its teacher as well."
        )
    else:
        outputs = teacher_outputs(stage, teacher, X_student, n_samples, _OWNER)
    return stage.fidelity(student, X_student, outputs, sample_weight)
