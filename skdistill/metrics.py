"""Agreement between a student and its teacher."""

from numbers import Integral

import numpy as np
from scipy.special import log_softmax
from sklearn.metrics import confusion_matrix
from sklearn.pipeline import Pipeline
from sklearn.utils.validation import check_is_fitted, column_or_1d

from skdistill._base import checked_sample_weight, is_dask_collection, teacher_outputs
from skdistill._sklearn import _num_samples

__all__ = ["fidelity_report", "fidelity_score"]

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


def _classifier_outputs(estimator, X, teacher_logits, owner):
    """The classes, the teacher's logits and the student's probabilities on X.

    ``estimator`` is a fitted classification student, or a ``Pipeline`` or
    search whose last step is one; the teacher sees what the student sees,
    and the probabilities are those of ``estimator`` on X.
    """
    student, X_student = _student_and_input(estimator, X)
    stage = getattr(student, "_stage", None)
    name = type(student).__name__
    if stage is None:
        raise TypeError(
            f"{owner}: {name} is not a skdistill student; pass a fitted "
            "classification student (DistilledLogisticRegression, "
            "DistilledDecisionTree, ...), or a Pipeline or search whose last step "
            "is one."
        )
    if stage.task != "classification":
        raise TypeError(
            f"{owner}: {name} is a {stage.task} student, but {owner} compares "
            "class distributions (top-1 agreement, KL divergence), which a "
            f"regressor has not; use fidelity_score(student, X), the R² of {name}'s "
            "predictions against the teacher's."
        )
    check_is_fitted(student)
    n_samples = _num_samples(X_student)
    if teacher_logits is not None:
        logits = stage.check(teacher_logits, n_samples, owner, "teacher_logits")
    elif getattr(student, "teacher_", None) is None:
        raise ValueError(
            f"{owner}: {name} has no teacher_ (it was fitted from teacher_logits "
            "alone), so the teacher's outputs on X are unknown; pass "
            f"{owner}(student, X, teacher_logits=...), or give the student its "
            "teacher as well."
        )
    else:
        logits = teacher_outputs(stage, student.teacher_, X_student, n_samples, owner)
    classes = student.classes_
    if logits.shape[1] != len(classes):
        raise ValueError(
            f"{owner}: the teacher's logits have {logits.shape[1]} columns but "
            f"{name} was fitted on {len(classes)} classes; pass one column per "
            "class of the student (a teacher's output shape must not change "
            "between calls)."
        )
    proba = np.asarray(estimator.predict_proba(X), dtype=np.float64)
    return classes, logits, proba


def _agreement_matrix(
    teacher_top, student_top, n_classes, sample_weight=None, normalize=None
):
    """Rows the teacher's top class, columns the student's: weighted counts.

    ``normalize`` is :func:`~sklearn.metrics.confusion_matrix`'s (``"true"``
    divides by the teacher's classes); a class no row has gives zeros.
    """
    return confusion_matrix(
        teacher_top,
        student_top,
        labels=np.arange(n_classes),
        sample_weight=sample_weight,
        normalize=normalize,
    )


def _per_class_agreement(counts):
    """Share of each teacher class the student agrees on (NaN without rows)."""
    support = counts.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        agreement = np.diag(counts) / support
    return np.where(support > 0, agreement, np.nan), support


def _distribution_losses(logits, proba):
    """Per row: KL(teacher || student) and the student's log-loss on the teacher.

    The teacher's distribution is ``softmax(logits)`` (``T = 1``, the scale
    students predict on). The student's probabilities are clipped to
    ``[eps, 1 - eps]`` as :func:`sklearn.metrics.log_loss` clips them, so a
    class a tree leaf never saw costs a large finite amount, not infinity.
    """
    log_p = log_softmax(logits, axis=1)
    p = np.exp(log_p)
    eps = np.finfo(np.float64).eps
    log_q = np.log(np.clip(proba, eps, 1 - eps))
    log_loss = -np.sum(p * log_q, axis=1)
    held = p > 0  # a class the teacher rules out (-inf) costs nothing
    kl = np.sum(np.where(held, p * (np.where(held, log_p, 0.0) - log_q), 0.0), axis=1)
    return kl, log_loss


def fidelity_report(
    student,
    X,
    y=None,
    *,
    teacher_logits=None,
    sample_weight=None,
    digits=2,
    output_dict=False,
):
    """A text report of how closely a classification student follows its teacher.

    In the spirit of :func:`sklearn.metrics.classification_report`, on the
    rows of X:

    - the teacher's and the student's accuracy, when ``y`` is given;
    - the fidelity: the share of rows on which the student's top class is the
      teacher's (:func:`fidelity_score`);
    - the mean KL divergence ``KL(P_T || P_S)`` from the teacher's
      distribution ``P_T = softmax(z)`` to the student's ``P_S``
      (``predict_proba``), both at ``T = 1``, the scale students predict on;
    - the student's log-loss against the teacher's distribution, the
      cross-entropy ``-sum_k P_T log P_S`` (the KL divergence plus the
      teacher's own entropy, which no student can remove);
    - per teacher class (the rows where it is the teacher's top class): the
      agreement, the share of those rows where it is the student's top class
      too, and the support, their number.

    The student's probabilities are clipped to ``[eps, 1 - eps]`` as
    :func:`sklearn.metrics.log_loss` does, so a class a tree leaf never saw
    costs a large finite amount instead of an infinite one. All means are
    weighted by ``sample_weight``.

    Parameters
    ----------
    student : fitted classification student
        A fitted skdistill classification student, or a fitted ``Pipeline``
        (or search object) whose last step is one.
    X : array-like of shape (n_samples, n_features)
        Rows to compare on, usually held out.
    y : array-like of shape (n_samples,), default=None
        True labels; with them the report gives both models' accuracy.
    teacher_logits : array-like of shape (n_samples, n_classes), default=None
        The teacher's logits on X; the teacher is then not run. Needed for a
        student fitted from ``teacher_logits`` alone.
    sample_weight : array-like of shape (n_samples,), default=None
        Row weights.
    digits : int, default=2
        Digits of the numbers in the text report (the dict is not rounded).
    output_dict : bool, default=False
        Return a dict instead of text.

    Returns
    -------
    report : str or dict
        The text report, or, with ``output_dict=True``, a dict with keys
        ``"teacher_accuracy"`` and ``"student_accuracy"`` (when y is given),
        ``"fidelity"``, ``"kl_divergence"``, ``"log_loss"``, ``"support"``
        (the rows' total weight), and ``"per_class"``, which maps each class
        label (as a string, as in ``classification_report``) to a dict with
        ``"agreement"`` (NaN for a class that is no row's top class) and
        ``"support"``.

    Raises
    ------
    TypeError
        For a regression student: use :func:`fidelity_score`, the R² against
        the teacher's predictions.

    See Also
    --------
    fidelity_score : The top-1 agreement alone, usable as ``scoring=``.
    skdistill.AgreementDisplay : The agreement matrix, plotted, and the rows
        where the student is least like its teacher.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.naive_bayes import GaussianNB
    >>> from skdistill import DistilledDecisionTree, fidelity_report
    >>> X, y = load_iris(return_X_y=True)
    >>> teacher = GaussianNB().fit(X, y)
    >>> student = DistilledDecisionTree(teacher, max_depth=2).fit(X)
    >>> print(fidelity_report(student, X, y))
                            teacher    student
    accuracy                   0.96       0.96
    fidelity                              0.97
    KL(teacher||student)                  0.08
    log-loss vs teacher                   0.14
    <BLANKLINE>
    teacher's class       agreement    support
    0                          1.00         50
    1                          1.00         50
    2                          0.92         50
    all                        0.97        150
    >>> report = fidelity_report(student, X, output_dict=True)
    >>> report["per_class"]["2"]
    {'agreement': 0.92, 'support': 50}
    """
    if isinstance(digits, bool) or not isinstance(digits, Integral) or digits < 0:
        raise ValueError(
            f"fidelity_report: digits={digits!r} must be a non-negative int, the "
            "decimals shown; pass digits=2, say."
        )
    classes, logits, proba = _classifier_outputs(
        student, X, teacher_logits, "fidelity_report"
    )
    n_samples = len(logits)
    if sample_weight is not None:
        sample_weight = checked_sample_weight(sample_weight, logits, "fidelity_report")
    teacher_top = np.argmax(logits, axis=1)
    student_top = np.argmax(proba, axis=1)
    counts = _agreement_matrix(teacher_top, student_top, len(classes), sample_weight)
    agreement, support = _per_class_agreement(counts)
    kl, log_loss = _distribution_losses(logits, proba)
    report = {}
    if y is not None:
        y = column_or_1d(y)
        if len(y) != n_samples:
            raise ValueError(
                f"fidelity_report: y has {len(y)} labels but X has {n_samples} "
                "rows; pass one label per row of X, or y=None for a report "
                "without accuracy."
            )
        unknown = np.setdiff1d(np.unique(y), classes) if len(y) else []
        if len(unknown):
            raise ValueError(
                f"fidelity_report: y holds labels the student has no class for "
                f"(first: {unknown[:3].tolist()!r}); its classes_ are "
                f"{classes[:10].tolist()!r}. Pass y with the labels the teacher "
                "was trained on (the same values and type)."
            )
        report["teacher_accuracy"] = float(
            np.average(classes[teacher_top] == y, weights=sample_weight)
        )
        report["student_accuracy"] = float(
            np.average(classes[student_top] == y, weights=sample_weight)
        )
    report["fidelity"] = float(
        np.average(teacher_top == student_top, weights=sample_weight)
    )
    report["kl_divergence"] = float(np.average(kl, weights=sample_weight))
    report["log_loss"] = float(np.average(log_loss, weights=sample_weight))
    report["support"] = support.sum().item()
    report["per_class"] = {
        str(label): {"agreement": float(share), "support": count.item()}
        for label, share, count in zip(classes, agreement, support)
    }
    if output_dict:
        return report
    return _report_text(report, digits)


def _report_text(report, digits):
    """The text of :func:`fidelity_report`, from its dict."""

    def number(value):
        return f"{value:.{digits}f}"

    per_class = report["per_class"]
    whole = all(float(row["support"]).is_integer() for row in per_class.values())

    def count(value):
        return f"{value:.0f}" if whole else number(value)

    scores = []
    if "student_accuracy" in report:
        scores.append(
            (
                "accuracy",
                number(report["teacher_accuracy"]),
                number(report["student_accuracy"]),
            )
        )
    scores += [
        ("fidelity", "", number(report["fidelity"])),
        ("KL(teacher||student)", "", number(report["kl_divergence"])),
        ("log-loss vs teacher", "", number(report["log_loss"])),
    ]
    classes = [
        (label, number(row["agreement"]), count(row["support"]))
        for label, row in per_class.items()
    ]
    classes.append(("all", number(report["fidelity"]), count(report["support"])))
    header = ("teacher's class", "agreement", "support")
    rows = [("", "teacher", "student"), *scores, None, header, *classes]
    label_width = max(len(row[0]) for row in rows if row)
    width = max(len(cell) for row in rows if row for cell in row[1:])
    lines = [
        f"{row[0]:<{label_width}}  {row[1]:>{width}}  {row[2]:>{width}}".rstrip()
        if row
        else ""
        for row in rows
    ]
    return "\n".join(lines)
