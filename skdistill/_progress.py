"""Progress of long work: rows done, rate and time left, when asked for.

A teacher's pass over millions of rows, or over thirty augmented copies of
them, runs for minutes; ``TorchTeacher(progress=True)`` and a student's
``verbose`` show how far it has got. :func:`progress` reports a job of known
size: through ``tqdm.auto`` (a bar on a terminal, a widget in a notebook)
when tqdm is installed, otherwise as plain lines on stderr, at most about
one a second and a last one when the job ends. tqdm is imported only when a
bar is shown, so importing skdistill never imports it.

A student's teacher pass is one job, whatever the teacher: the student opens
it with :func:`teacher_pass`, and a :class:`~skdistill.TorchTeacher` running
inside it reports its batches there (:func:`current_pass`) instead of
opening a bar of its own.
"""

import contextlib
import contextvars
import sys
import time

__all__ = ["current_pass", "progress", "teacher_pass"]

# Seconds between two lines of the plain report.
_LINE_INTERVAL = 1.0

# The job of the teacher pass a student is running, in this thread.
_PASS = contextvars.ContextVar("skdistill_teacher_pass", default=None)


def _duration(seconds):
    """``mm:ss``, or ``h:mm:ss`` past an hour, as tqdm writes times."""
    minutes, seconds = divmod(int(round(seconds)), 60)
    hours, minutes = divmod(minutes, 60)
    return (
        f"{hours}:{minutes:02d}:{seconds:02d}"
        if hours
        else f"{minutes:02d}:{seconds:02d}"
    )


def _amount(value):
    """A number with an SI suffix and three significant digits: ``85.1k``."""
    for suffix in ("", "k", "M", "G"):
        if value < 999.5:
            break
        value /= 1000
    else:
        suffix = "T"
    digits = 2 if value < 9.995 else 1 if value < 99.95 else 0
    return f"{value:.{digits}f}{suffix}"


class _Silent:
    """The job when no progress is asked for: counts, shows nothing."""

    def __init__(self, total):
        self.n = 0
        self.total = total

    def update(self, n):
        self.n += n

    def expect(self, more):
        self.total = max(self.total, self.n + more)

    def write(self, line):
        print(line)

    def close(self, failed=False):
        pass


class _Lines(_Silent):
    """Plain lines on stderr: done / total, rate, time left; about once a second."""

    def __init__(self, total, desc, unit):
        super().__init__(total)
        self.desc, self.unit = desc, unit
        self.start = self.shown = time.perf_counter()

    def update(self, n):
        super().update(n)
        if not n:
            return
        now = time.perf_counter()
        if now - self.shown >= _LINE_INTERVAL and self.n < self.total:
            self.shown = now
            self._line(now, final=False)

    def close(self, failed=False):
        if not failed:
            self._line(time.perf_counter(), final=True)

    def _line(self, now, final):
        elapsed = now - self.start
        rate = self.n / elapsed if elapsed > 0 and self.n else None
        done = f"{self.n}/{self.total} {self.unit}"
        if self.total:
            done += f" ({100 * self.n / self.total:.0f}%)"
        if rate is None:  # nothing done yet: no rate to tell
            speed, left = f"? {self.unit}/s", "?"
        else:
            speed = f"{_amount(rate)} {self.unit}/s"
            left = _duration((self.total - self.n) / rate)
        when = f"done in {_duration(elapsed)}" if final else f"{left} left"
        sys.stderr.write(f"{self.desc}: {done}, {speed}, {when}\n")
        sys.stderr.flush()


class _Bar(_Silent):
    """A ``tqdm.auto`` bar: a terminal bar, or a widget in a notebook."""

    def __init__(self, tqdm, total, desc, unit):
        super().__init__(total)
        self._tqdm = tqdm(
            total=total,
            desc=desc,
            unit=unit,
            dynamic_ncols=True,
            leave=True,
            file=sys.stderr,
        )

    def update(self, n):
        super().update(n)
        self._tqdm.update(n)

    def expect(self, more):
        before = self.total
        super().expect(more)
        if self.total != before:
            self._tqdm.total = self.total
            # A notebook widget keeps its own maximum (tqdm.notebook's reset
            # sets it so); reset itself would restart the clock.
            container = getattr(self._tqdm, "container", None)
            if container is not None:
                container.children[1].max = self.total
            self._tqdm.refresh()

    def write(self, line):
        # Printed above the bar, which is drawn again below it.
        self._tqdm.write(line, file=sys.stdout)

    def close(self, failed=False):
        self._tqdm.close()


def _tqdm():
    """``tqdm.auto.tqdm``, or None when tqdm is not installed."""
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return None
    return tqdm


@contextlib.contextmanager
def progress(total, desc, *, unit="rows", enabled=True):
    """Report the progress of a job of ``total`` units while the block runs.

    Parameters
    ----------
    total : int
        Units the job does (rows, epochs); ``expect`` raises it when more
        turn up.
    desc : str
        What the job is, first on each line: ``"TorchTeacher"``.
    unit : str, default="rows"
        Name of a unit, plural.
    enabled : bool, default=True
        False shows nothing (the job still counts its units).

    Yields
    ------
    job : object
        ``update(n)`` after each ``n`` units done, ``expect(more)`` when
        ``more`` units are still to come beyond those done (the total grows
        to fit), ``n`` and ``total``, and ``write(line)``, which prints a
        line on stdout without breaking the bar.
    """
    tqdm = _tqdm() if enabled else None
    if tqdm is not None:
        job = _Bar(tqdm, total, desc, unit)
    elif enabled:
        job = _Lines(total, desc, unit)
    else:
        job = _Silent(total)
    try:
        yield job
    except BaseException:
        job.close(failed=True)
        raise
    job.close()


@contextlib.contextmanager
def teacher_pass(total, desc, *, enabled):
    """The progress of a student's teacher pass, shared with the teacher.

    While the block runs, :func:`current_pass` returns the job (when
    ``enabled``), so that a teacher which reports its own batches reports
    them there.

    Parameters
    ----------
    total : int
        Rows the teacher labels: the real rows, then the synthetic ones.
    desc : str
        What the pass is (the student's class).
    enabled : bool
        Whether to show it.

    Yields
    ------
    job : object
        As :func:`progress` yields it.
    """
    with progress(total, desc, enabled=enabled) as job:
        token = _PASS.set(job if enabled else None)
        try:
            yield job
        finally:
            _PASS.reset(token)


def current_pass():
    """The shown teacher pass running in this thread, or None."""
    return _PASS.get()
