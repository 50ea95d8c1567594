"""What a teacher returned, checked to be what it claims: logits or values.

A teacher's output that cannot be what it claims to be would be distilled
into nonsense without a word: class labels read as one binary logit,
probabilities read as logits (flat targets), raw scores read as
probabilities. Each is caught here with an error that names the fix.
"""

import numpy as np

from skdistill._errors import TeacherValueError
from skdistill.targets import as_logits

__all__ = [
    "PROBA_TOLERANCE",
    "check_task",
    "outputs_as_logits",
    "outputs_as_values",
    "probability_rows",
]

#: How far a probability output may stray from [0, 1] and a row sum from 1
#: (16-bit autocast softmax sums are off by about 1e-3).
PROBA_TOLERANCE = 1e-2

# Rows of "logits" that are all in [0, 1] and sum to 1 within this are
# probabilities: real logits almost never do so on every row.
_LOOKS_LIKE_PROBA = 1e-6

_KIND = {"proba": "probabilities", "log_proba": "log-probabilities"}


def probability_rows(values):
    """Whether every row of a 2-d float array is a probability distribution."""
    return (
        values.ndim == 2
        and values.shape[1] > 1
        and values.size > 0
        and bool(np.all((values >= 0) & (values <= 1)))
        and bool(np.all(np.abs(values.sum(axis=1) - 1) <= _LOOKS_LIKE_PROBA))
    )


def outputs_as_logits(raw, output, owner, *, proba_fix, labels_fix=None):
    """Check a teacher's raw output against ``output``; return it as logits.

    Parameters
    ----------
    raw : array-like of shape (n_samples,) or (n_samples, n_classes)
        What the model returned (NumPy, already on the CPU).
    output : {"logits", "proba", "log_proba"}
        What the teacher says it returns.
    owner : str
        Name for messages (the teacher's class).
    proba_fix : str
        How to declare probability outputs for this kind of teacher, e.g.
        ``"TorchTeacher(module, output='proba')"``.
    labels_fix : str, default=None
        What to pass instead of a function returning class labels; when
        None, integer outputs are taken as scores.

    Returns
    -------
    logits : ndarray of shape (n_samples, n_classes), dtype float64
    """
    values = np.asarray(raw)
    if labels_fix is not None and values.dtype.kind in "biuUSO":
        raise TeacherValueError(
            f"{owner}: the teacher returned {values.dtype.name} values "
            f"(first: {values.ravel()[:5].tolist()}), class labels rather than "
            f"class scores; {labels_fix}."
        )
    try:
        values = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise TeacherValueError(
            f"{owner}: the teacher's output is not a numeric array ({exc}); a "
            "teacher must return numbers, one row of class scores per row of X."
        ) from exc
    if output == "logits":
        if probability_rows(values):
            raise TeacherValueError(
                f"{owner}: output='logits', but every row of the teacher's "
                "output lies in [0, 1] and sums to 1: these are probabilities, "
                f"and read as logits they would give nearly flat targets. Use "
                f"{proba_fix}."
            )
        return as_logits(values, "logits")
    if values.size:
        probabilities = np.exp(values) if output == "log_proba" else values
        bad = (probabilities < -PROBA_TOLERANCE) | (probabilities > 1 + PROBA_TOLERANCE)
        if probabilities.ndim == 2 and probabilities.shape[1] > 1:
            bad = bad.any(axis=1) | (
                np.abs(probabilities.sum(axis=1) - 1) > PROBA_TOLERANCE
            )
        rows = np.flatnonzero(bad.reshape(len(probabilities), -1).any(axis=1))
        if rows.size:
            first = np.round(probabilities[rows[0]], 4).tolist()
            raise TeacherValueError(
                f"{owner}: output={output!r}, but the teacher's outputs are not "
                f"{_KIND[output]} in {rows.size} row(s) (first: row {rows[0]}: "
                f"{first}); use output='logits' for a model that returns raw "
                "class scores."
            )
    return as_logits(values, output)


def outputs_as_values(raw, owner):
    """Check a regression teacher's raw output; return it as float64 values.

    Parameters
    ----------
    raw : array-like of shape (n_samples,) or (n_samples, n_outputs)
        What the model returned (NumPy, already on the CPU).
    owner : str
        Name for messages (the teacher's class).

    Returns
    -------
    values : ndarray of shape (n_samples,) or (n_samples, n_outputs), float64
    """
    values = np.asarray(raw)
    if values.dtype.kind not in "bUS":
        try:
            return np.asarray(values, dtype=np.float64)
        except (TypeError, ValueError):
            pass  # strings or objects in an object array
    raise TeacherValueError(
        f"{owner}: the teacher returned {values.dtype.name} values (first: "
        f"{values.ravel()[:5].tolist()}), not numbers; a regression teacher "
        "returns its numeric predictions, one row per row of X (a "
        "classifier's labels are distilled by a classification student)."
    )


def check_task(teacher, task, method, fix):
    """Refuse ``method`` of a teacher of the other task, naming the fix.

    Parameters
    ----------
    teacher : teacher object
        Has ``task``, ``"classification"`` or ``"regression"``.
    task : {"classification", "regression"}
        The task ``method`` serves.
    method : str
        ``"predict_logits"`` or ``"predict_values"``.
    fix : str
        What to do instead.
    """
    if teacher.task != task:
        raise TeacherValueError(
            f"{type(teacher).__name__}: {method} needs a {task} teacher, but "
            f"this one is a {teacher.task} teacher; {fix}."
        )
