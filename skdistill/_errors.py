"""Errors that add what failed, and the fix, to an error raised further down."""

__all__ = ["TeacherError", "TeacherTypeError", "TeacherValueError", "failure"]


def failure(exc, message):
    """The error to raise when a call fails: ``message``, then the cause.

    A ``ValueError`` or ``TypeError`` (or a subclass) stays one, so callers
    that catch bad input still catch it; any other error becomes a
    ``RuntimeError``. The caller chains the original (``raise ... from exc``).

    Parameters
    ----------
    exc : Exception
        What the call raised.
    message : str
        What failed and the fix, naming the class; the cause is appended.

    Returns
    -------
    Exception

    Examples
    --------
    >>> from skdistill._errors import failure
    >>> failure(KeyError("x"), "Student: the teacher failed.")
    RuntimeError("Student: the teacher failed. It raised KeyError: 'x'")
    """
    kind = next(
        (kind for kind in (ValueError, TypeError) if isinstance(exc, kind)),
        RuntimeError,
    )
    return kind(f"{message} It raised {type(exc).__name__}: {exc}")


class TeacherError(Exception):
    """Mixin of the errors a teacher raises about its own input or output.

    They name the teacher and the fix already, so a student re-raises them
    as they are instead of wrapping them.
    """


class TeacherValueError(TeacherError, ValueError):
    """A ``ValueError`` a teacher raised, naming the teacher and the fix."""


class TeacherTypeError(TeacherError, TypeError):
    """A ``TypeError`` a teacher raised, naming the teacher and the fix."""
