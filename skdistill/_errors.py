"""Errors that add what failed, and the fix, to an error raised further down."""

__all__ = ["failure"]


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
