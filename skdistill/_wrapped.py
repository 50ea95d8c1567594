"""What the students that wrap any scikit-learn estimator share.

:class:`~skdistill.DistilledClassifier` and
:class:`~skdistill.DistilledRegressor` take a student of the user's choice
(a ``Pipeline`` too) and leave X to it: these helpers find the estimator
that is fitted on the targets and check that it is of the right kind.
"""

import numpy as np
import scipy.sparse as sp
from sklearn.pipeline import Pipeline
from sklearn.utils import get_tags

__all__ = ["check_student_kind", "final_step", "indexable", "wrapped_input_tags"]


def indexable(X):
    """X as given when it can be indexed by rows, else as an array."""
    if isinstance(X, (list, np.ndarray)) or sp.issparse(X) or hasattr(X, "iloc"):
        return X
    return np.asarray(X)


def final_step(estimator):
    """The last step of a ``Pipeline``, else the estimator itself."""
    return estimator.steps[-1][1] if isinstance(estimator, Pipeline) else estimator


def check_student_kind(student, kind, owner, fix):
    """Refuse a student (or a pipeline's last step) that is not a ``kind``.

    Parameters
    ----------
    student : estimator
    kind : {"classifier", "regressor"}
    owner : str
        The distiller's class, for the message.
    fix : str
        What to pass instead.

    Returns
    -------
    final : estimator
        The estimator fitted on the targets.
    """
    final = final_step(student)
    found = get_tags(final).estimator_type
    if found not in (kind, None):
        raise TypeError(
            f"{owner}: the student {type(final).__name__} is a {found}, not a "
            f"{kind}; {fix}."
        )
    return final


def wrapped_input_tags(student, teacher, augment):
    """The input tags of a distiller around ``student``: what both can take.

    X reaches the teacher and the student as given, so missing values are
    allowed only when the student takes them and the teacher is a
    scikit-learn estimator that does too (a network does not); augmentation
    needs dense X.
    """
    tags = get_tags(student).input_tags
    teacher_takes_nan = (
        hasattr(teacher, "__sklearn_tags__") and get_tags(teacher).input_tags.allow_nan
    )
    tags.allow_nan = tags.allow_nan and teacher_takes_nan
    tags.sparse = tags.sparse and augment in (None, "auto")
    return tags
