"""The classification task: its target stage and the base of its students.

Between the teacher and a classification student stands one object,
:class:`SoftTargets`: the teacher's logits on every transfer row, the hard
label of each real row, ``alpha`` and ``temperature``. A student takes from
it what its objective needs (the softened distributions, the deploy-scale
mixture, the logits themselves), so the loss

    alpha * CE(y, softmax(s)) + (1 - alpha) * T**2 * CE(softmax(z / T), softmax(s / T))

is written down once, here, and each student states how it minimises it.
:class:`ClassificationStage` makes the targets from the teacher's logits and
y; :class:`BaseDistilledClassifier` is the base of the classification
students (their ``fit``, ``predict`` and ``score``).
"""

import warnings
from numbers import Real

import numpy as np
from sklearn.base import ClassifierMixin
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import column_or_1d

from skdistill._base import BaseDistiller
from skdistill._sklearn import Interval, _fit_context, _num_samples
from skdistill.targets import as_logits, soften
from skdistill.teachers import CallableTeacher, SklearnTeacher, TorchTeacher
from skdistill.teachers._outputs import probability_rows

__all__ = [
    "BaseDistilledClassifier",
    "ClassificationStage",
    "SoftTargets",
    "check_logits",
    "encode_labels",
    "teacher_classes",
    "warn_if_uninformative",
]

# A distribution within this total-variation distance of uniform carries no
# information; one whose top class has at least 1 - this is one-hot.
_FLAT = 1e-3
_ONE_HOT = 1e-9


def check_logits(logits, n_samples, owner, source):
    """Validate a teacher's logit matrix; return it as float64 (n, K).

    ``-inf`` marks a class impossible for a row (a masked model) and is
    kept, as long as each row keeps one finite logit.
    """
    try:
        logits = as_logits(logits)
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"{owner}: {source} is not a numeric array ({exc}); a teacher must "
            "return numbers, one row of class scores per row of X."
        ) from exc
    if logits.ndim != 2:
        raise ValueError(
            f"{owner}: {source} has shape {logits.shape}; a teacher must return "
            "one row of class scores per row of X, shape (n_samples, n_classes), "
            "or (n_samples,) for a single binary logit."
        )
    if logits.shape[0] != n_samples:
        raise ValueError(
            f"{owner}: {source} has {logits.shape[0]} rows but X has {n_samples}; "
            "a teacher must return one row of class scores per row of X."
        )
    if logits.shape[1] < 2:
        raise ValueError(
            f"{owner}: {source} has {logits.shape[1]} column(s); a teacher needs "
            "at least 2 classes (one column means a binary logit)."
        )
    bad = None
    if not np.isfinite(logits.max()):  # NaN or +inf somewhere, or all -inf
        bad = (np.isnan(logits) | (logits == np.inf)).any(axis=1)
    if bad is not None and bad.any():
        rows = np.flatnonzero(bad)
        raise ValueError(
            f"{owner}: {source} contains NaN or +inf in {rows.size} row(s) "
            f"(first: row {rows[0]}: {logits[rows[0]][:10].tolist()}); check the "
            "teacher on those rows. (-inf is allowed: a class impossible for a "
            "row.)"
        )
    masked = ~np.isfinite(logits.max(axis=1))
    if masked.any():
        rows = np.flatnonzero(masked)
        raise ValueError(
            f"{owner}: {source} is -inf for every class in {rows.size} row(s) "
            f"(first: row {rows[0]}); each row needs at least one possible class. "
            "Check the teacher's mask on those rows, or leave them out of X."
        )
    return logits


def _classes_fix(teacher):
    """How to name the label of each output column, for this kind of teacher."""
    if isinstance(teacher, SklearnTeacher):
        return None  # its classes are those it was fitted on
    if isinstance(teacher, CallableTeacher):
        return "pass CallableTeacher(func, classes=...)"
    if isinstance(teacher, TorchTeacher):
        return "pass TorchTeacher(model, classes=...)"
    return "pass a teacher with classes (TorchTeacher(model, classes=...))"


def teacher_classes(teacher, n_columns, owner, source):
    """The label of each logit column: the teacher's classes, else 0..K-1."""
    classes = getattr(teacher, "classes", None)
    if classes is None:
        return np.arange(n_columns)
    values = list(np.asarray(classes, dtype=object).ravel())
    if len(values) != n_columns:
        fix = _classes_fix(teacher) or "refit the teacher"
        raise ValueError(
            f"{owner}: {source} has {n_columns} columns but the teacher's "
            f"classes has {len(values)} entries; {fix} with one label per "
            "output column."
        )
    if len({isinstance(v, str) for v in values}) > 1:
        raise ValueError(
            f"{owner}: the teacher's classes {values} mix strings and other "
            "labels; pass labels of one type."
        )
    try:
        distinct = len(set(values)) == len(values)
    except TypeError as exc:
        raise ValueError(
            f"{owner}: the teacher's classes {values} are not hashable; pass "
            "strings or numbers."
        ) from exc
    if not distinct:
        raise ValueError(
            f"{owner}: the teacher's classes {values} contain duplicates; pass "
            "one distinct label per output column."
        )
    return np.asarray(classes).ravel()


def encode_labels(y, classes, teacher, owner):
    """Column of each label of y among ``classes``."""
    index = {label: k for k, label in enumerate(classes.tolist())}
    codes = np.fromiter(
        (index.get(label, -1) for label in np.asarray(y).tolist()),
        dtype=np.intp,
        count=len(y),
    )
    unknown = codes < 0
    if unknown.any():
        labels = list(dict.fromkeys(np.asarray(y)[unknown].tolist()))
        fix = _classes_fix(teacher)
        if teacher is None:
            cause = (
                "teacher_logits give no labels, so column k is class k; relabel "
                "y as 0..K-1 in the order of the columns"
            )
        elif fix is None:
            cause = (
                "the teacher was fitted on fewer classes than y holds; refit it "
                "on rows of every class, or leave the rows of those labels out"
            )
        else:
            cause = f"{fix} naming the label of each output column, or relabel y"
        raise ValueError(
            f"{owner}: y contains labels {labels[:10]} that are not among the "
            f"teacher's classes {classes.tolist()}; {cause}."
        )
    return codes


class SoftTargets:
    """What a classification student is fitted to.

    Parameters
    ----------
    logits : ndarray of shape (n_samples, n_classes)
        Teacher logits, float64; ``-inf`` for impossible classes.
    y_index : ndarray of shape (n_samples,) of int
        Column of each row's true class, ``-1`` for rows without one
        (unlabelled or synthetic rows: only the soft term teaches there).
    alpha : float
        Weight of the hard term on labelled rows.
    temperature : float
        Temperature of the soft term.
    classes : ndarray of shape (n_classes,)
        Label of each column.
    n_real : int, default=None
        Number of real rows, which come first; the rest are synthetic. None
        when every row is real.
    """

    def __init__(self, logits, y_index, alpha, temperature, classes, n_real=None):
        self.logits = logits
        self.y_index = y_index
        self.alpha = float(alpha)
        self.temperature = float(temperature)
        self.classes = classes
        self.n_real = len(logits) if n_real is None else n_real

    @property
    def n_classes(self):
        return self.logits.shape[1]

    def row_alpha(self):
        """Weight of the hard term on each row: alpha where labelled, else 0."""
        return np.where(self.y_index >= 0, self.alpha, 0.0)

    @property
    def soft_only(self):
        """Whether no row has a hard term."""
        return self.alpha == 0 or not (self.y_index >= 0).any()

    @property
    def hard_only(self):
        """Whether every row is labelled and has only a hard term."""
        return self.alpha == 1 and bool((self.y_index >= 0).all())

    def soft(self, temperature=None):
        """``softmax(z / T)`` (T the targets' temperature when None)."""
        return soften(
            self.logits, self.temperature if temperature is None else temperature
        )

    def mixed(self, temperature=None):
        """``(1 - a_i) softmax(z_i / T) + a_i onehot(y_i)``, float64, a new array.

        At the targets' temperature this is what a target-matrix student
        grows its structure on; at ``T = 1`` it is the deploy-scale target,
        the teacher's own probabilities with the hard part unsharpened.
        """
        Q = self.soft(temperature)
        labelled = np.flatnonzero(self.y_index >= 0)
        if self.alpha and labelled.size:
            Q[labelled] *= 1.0 - self.alpha
            Q[labelled, self.y_index[labelled]] += self.alpha
        return Q

    def _spread(self, temperature):
        """Largest distance from uniform and smallest top probability, by rows.

        Computed block by block, so that it costs no array of the size of
        the logits.
        """
        K = self.n_classes
        step = max(1, (1 << 16) // K)
        farthest, least_top = 0.0, 1.0
        for start in range(0, len(self.logits), step):
            P = soften(self.logits[start : start + step], temperature)
            least_top = min(least_top, float(P.max(axis=1).min()))
            P -= 1.0 / K
            np.abs(P, out=P)
            farthest = max(farthest, float(P.sum(axis=1).max()) / 2)
        return farthest, least_top

    def check_informative(self, owner):
        """Warn when the softened targets carry no information about X."""
        if not _num_samples(self.logits):
            return
        warn_if_uninformative(self._spread, self.hard_only, self.temperature, owner)


def warn_if_uninformative(spread, hard_only, temperature, owner, stacklevel=6):
    """Warn when softened targets are uniform, or sharpened to one-hot.

    Parameters
    ----------
    spread : callable
        ``spread(T) -> (farthest, least_top)``: over the rows, the largest
        total-variation distance of ``softmax(z / T)`` from uniform and the
        smallest top probability.
    hard_only : bool
        Whether no row has a soft term (nothing to check).
    temperature : float
    owner : str
        Name for messages.
    stacklevel : int, default=6
        Of the warning, so that it points at the user's ``fit``.
    """
    if hard_only:
        return
    farthest, least_top = spread(temperature)
    if farthest < _FLAT:
        cause = (
            "the teacher's own predictions are uniform on every row; check "
            "that it is trained and that its output is what it claims"
            if spread(1.0)[0] < _FLAT
            else f"temperature={temperature:g} flattens them; use a "
            "lower temperature (1 to 10 is usual)"
        )
        warnings.warn(
            f"{owner}: the softened targets are uniform on every row "
            f"(within {_FLAT:g} in total variation), so they carry no "
            f"information: {cause}.",
            UserWarning,
            stacklevel=stacklevel,
        )
    elif temperature < 1 and least_top >= 1 - _ONE_HOT:
        if spread(1.0)[1] < 1 - _ONE_HOT:
            warnings.warn(
                f"{owner}: temperature={temperature:g} sharpens the "
                "teacher's predictions to its top class on every row, so the "
                "soft targets carry no more than hard labels, and the soft "
                f"term's weight T**2 = {temperature**2:.3g} makes it "
                "vanish against the penalty; use temperature >= 1 to pass on "
                "the teacher's probabilities.",
                UserWarning,
                stacklevel=stacklevel,
            )


class ClassificationStage:
    """The classification target stage (see :mod:`skdistill._base`)."""

    task = "classification"
    given = "teacher_logits"

    def validate_y(self, y, owner):
        y = column_or_1d(y, warn=True)
        try:
            check_classification_targets(y)
        except ValueError as exc:
            raise ValueError(
                f"{owner}: {exc} y holds the class labels of X (among the "
                "teacher's classes), or is None to learn from the teacher "
                "alone."
            ) from exc
        return y

    def predict(self, teacher, X, remember):
        return teacher.predict_logits(X, remember=remember)

    def check(self, outputs, n_samples, owner, source):
        logits = check_logits(outputs, n_samples, owner, source)
        if probability_rows(logits):
            raise ValueError(
                f"{owner}: every row of {source} lies in [0, 1] and sums to 1: "
                "these are probabilities, and read as logits they would give "
                f"nearly flat targets. Pass their logarithm, {source}=np.log(P) "
                "(log-probabilities are logits)."
            )
        return logits

    def labels(self, logits, y, teacher, owner, source):
        """The classes of the columns and the column of each label of y."""
        classes = teacher_classes(teacher, logits.shape[1], owner, source)
        if y is None:
            return classes, np.full(len(logits), -1, dtype=np.intp)
        return classes, encode_labels(y, classes, teacher, owner)

    def targets(self, logits, labels, estimator):
        classes, y_real = labels
        y_index = np.full(len(logits), -1, dtype=np.intp)
        y_index[: len(y_real)] = y_real  # the synthetic rows have no label
        return SoftTargets(
            logits,
            y_index,
            estimator.alpha,
            estimator.temperature,
            classes,
            n_real=len(y_real),
        )

    def fitted(self, targets):
        return {"classes_": targets.classes}

    def fidelity(self, student, X, logits, sample_weight):
        """Weighted share of rows where the student predicts the top class."""
        if logits.shape[1] != len(student.classes_):
            raise ValueError(
                f"fidelity_score: the teacher's output has {logits.shape[1]} "
                f"columns but {type(student).__name__} was fitted on "
                f"{len(student.classes_)} classes; a teacher's output shape must "
                "not change between calls. Refit the student with the teacher as "
                "it is now."
            )
        teacher_pred = student.classes_[np.argmax(logits, axis=1)]
        agree = teacher_pred == student.predict(X)
        return float(np.average(agree, weights=sample_weight))


class BaseDistilledClassifier(ClassifierMixin, BaseDistiller):
    """Base class of the classification students.

    A student implements ``_fit_targets(X, targets, sample_weight)`` (fit the
    :class:`SoftTargets` of the transfer rows), ``predict_proba`` and
    ``predict_log_proba``.
    """

    _stage = ClassificationStage()

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # y is optional: without it the student learns from the teacher alone
        # (ClassifierMixin says otherwise).
        tags.target_tags.required = False
        return tags

    _parameter_constraints = {
        **BaseDistiller._parameter_constraints,
        "temperature": [Interval(Real, 0, None, closed="neither")],
    }

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y=None, *, sample_weight=None, teacher_logits=None):
        """Fit the student to the teacher's softened predictions on X.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Transfer data: the rows the teacher labels and the student learns
            from.
        y : array-like of shape (n_samples,), default=None
            True labels. Optional: needed when ``alpha > 0`` and to train an
            unfitted scikit-learn teacher.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative row weights; ones when None.
        teacher_logits : array-like of shape (n_samples, n_classes), default=None
            Precomputed teacher logits for X; the teacher is then not run.
            Search objects slice it per fold like ``sample_weight``.

        Returns
        -------
        self : object
            The fitted student.
        """
        return self._fit_distilled(X, y, sample_weight, teacher_logits)

    def predict(self, X):
        """Predict the class of each row of X.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
        """
        proba = self.predict_proba(X)
        return self.classes_[np.argmax(proba, axis=1)]

    def score(self, X, y=None, sample_weight=None):
        """Accuracy on ``(X, y)``; without labels, fidelity to the teacher.

        With ``y=None`` this is :func:`~skdistill.fidelity_score`: the share
        of rows on which the student predicts the teacher's top class. So a
        ``GridSearchCV`` on unlabelled data, without ``scoring=``, ranks the
        candidates by fidelity instead of scoring them all NaN.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to score on.
        y : array-like of shape (n_samples,), default=None
            True labels; None scores against the teacher.
        sample_weight : array-like of shape (n_samples,), default=None
            Row weights.

        Returns
        -------
        score : float
        """
        if y is None:
            from skdistill.metrics import fidelity_score

            return fidelity_score(self, X, sample_weight=sample_weight)
        return super().score(X, y, sample_weight=sample_weight)
