"""DistilledClassifier: any scikit-learn classifier, by soft-label weighting."""

from numbers import Real

import numpy as np
from scipy.special import log_softmax, softmax
from sklearn.base import clone
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted, has_fit_parameter

from skdistill._classification import BaseDistilledClassifier
from skdistill._errors import failure
from skdistill._sklearn import HasMethods, Interval
from skdistill._wrapped import (
    check_student_kind,
    final_step,
    indexable,
    wrapped_input_tags,
)
from skdistill.targets import REPLICATE_THRESHOLD, deploy_exponent, replicate_rows

__all__ = ["DistilledClassifier"]


def _replicated_classes_hint(classes, columns, threshold):
    """What the labels of the replicated rows were, and what may have failed."""
    kept = np.unique(columns)
    labels = classes.tolist()
    if kept.size < len(classes):
        missing = [labels[k] for k in np.setdiff1d(np.arange(len(classes)), kept)]
        return (
            f"They keep {kept.size} of the teacher's {len(classes)} classes "
            f"(missing {missing[:10]}: the teacher gives them at most "
            f"threshold={threshold:g} on every row). A student that needs every "
            "class, or labels 0..K-1 without gaps (XGBoost), fails then: pass "
            "threshold=0 or raise temperature so that every class keeps a row; "
            "a student that needs two classes fails when only one is left."
        )
    consecutive = classes.dtype.kind in "iu" and labels == list(range(len(labels)))
    return (
        f"They keep all {len(classes)} classes, labelled {labels[:10]}"
        + (
            ""
            if consecutive
            else "; a student that needs labels 0..K-1 (XGBoost) fails on these: "
            "relabel y (LabelEncoder) and leave the teacher's classes as 0..K-1"
        )
        + "; check that the student takes sample_weight and the input type."
    )


def _student_has(method):
    return lambda self: hasattr(self.student, method)


class DistilledClassifier(BaseDistilledClassifier):
    """Any scikit-learn classifier distilled from a teacher, by soft-label weighting.

    Each row ``i`` of X is repeated once per class ``k`` with label ``k`` and
    sample weight ``w_i * Q_ik`` (entries of ``Q`` at most ``threshold`` are
    dropped), and the student is fitted on those rows. For a log-loss model
    (logistic regression, an MLP) or a Gini tree this is exactly fitting the
    soft targets ``Q``.

    The student may be a :class:`~sklearn.pipeline.Pipeline`: the teacher
    and the pipeline both see X as given (raw text, say). The pipeline's
    transformers are fitted once on X (labelled with the teacher's top
    class); only its final classifier is fitted on the replicated,
    transformed rows with their weights. X is not validated here; the
    teacher and the student validate what they receive.

    The replicated rows cost memory: X is copied once per kept (row, class)
    pair, up to ``n_classes`` times in all. A sharp teacher keeps few pairs
    per row; a high temperature keeps nearly all of them. The dedicated
    students (:class:`~skdistill.DistilledLogisticRegression`,
    :class:`~skdistill.DistilledDecisionTree`) need no copy.

    ``predict_proba`` is on the teacher's scale: the student's probabilities
    ``p`` are reported as ``p ** T``, renormalised.

    Parameters
    ----------
    student : classifier
        An unfitted scikit-learn classifier whose ``fit`` accepts
        ``sample_weight`` (for a pipeline, its final step's ``fit``). It is
        cloned.
    teacher : TorchTeacher, torch.nn.Module, classifier or callable
        The model to distil, as for
        :class:`~skdistill.DistilledLogisticRegression`.
    temperature : float, default=1.0
        Softening temperature ``T > 0`` of the teacher's logits. ``1`` fits
        the teacher's own probabilities, the safe choice for a student of
        unknown kind; tune it with ``GridSearchCV``.
    alpha : float, default=0.0
        Weight of the hard labels ``y`` in the targets, in ``[0, 1]``.
    threshold : float, default=1e-8
        Target probabilities at or below this are not replicated; it must
        stay below ``1 / n_classes`` so that every row keeps a class.
    augment : {"auto", "noise", "munge", "mixup"}, augmenter or None, default="auto"
        Synthetic transfer rows, labelled by the teacher alone, added to X:
        :class:`~skdistill.augment.GaussianNoise`,
        :class:`~skdistill.augment.Munge` or :class:`~skdistill.augment.Mixup`
        (a name means its defaults). Each synthetic row weighs what its real
        row weighs; hard labels stay on the real rows. Needs dense numeric X.
        ``"auto"`` adds Gaussian noise rows where they pay
        (:ref:`auto-augment`): 30 copies per row (the student then fits up to
        31 times the rows: pass ``augment=None`` for a student whose fit grows
        faster than its rows, such as a kernel machine), at most ``AUTO_ROWS``
        = 40 000 synthetic rows in all, and only with a teacher to label them,
        ``alpha`` below 1 and X of finite floats in memory (no sparse, integer,
        boolean or categorical columns); otherwise none. ``augment_`` says what
        a fit used.
    random_state : int, RandomState instance or None, default=None
        Seeds the augmentation when ``augment`` is a name or ``"auto"``; an
        augmenter object keeps its own ``random_state``. The student keeps
        its own ``random_state``.
    verbose : int, default=0
        With 1 or more, show the progress of the teacher's pass in ``fit``
        (the real rows, then the synthetic ones): rows done, rows per
        second and time left. A torch teacher reports each batch, other
        teachers each call (the real rows, then each synthetic copy). A
        ``tqdm`` bar when tqdm is installed, else lines on stderr about
        once a second; nothing is shown by default. The student's own fit
        is not shown; set its own ``verbose`` for that.

    Attributes
    ----------
    student_ : classifier
        The fitted clone of ``student``, trained on the replicated rows with
        the teacher's class labels.
    classes_ : ndarray of shape (n_classes,)
        The teacher's classes.
    teacher_ : TorchTeacher, SklearnTeacher, CallableTeacher or None
        The teacher used by ``fit``.
    augment_ : GaussianNoise, augmenter or None
        The augmentation of the last fit: what ``augment`` stood for, None
        when there was none.
    n_features_in_ : int
        Number of features seen during fit, when X has features.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during fit, when X has string column names.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.ensemble import RandomForestClassifier
    >>> from sklearn.naive_bayes import GaussianNB
    >>> from skdistill import DistilledClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> forest = RandomForestClassifier(random_state=0).fit(X, y)
    >>> student = DistilledClassifier(GaussianNB(), forest).fit(X)
    >>> type(student.to_sklearn()).__name__, bool(student.score(X, y) > 0.9)
    ('GaussianNB', True)
    """

    _parameter_constraints = {
        **BaseDistilledClassifier._parameter_constraints,
        "student": [HasMethods(["fit", "predict"])],
        "threshold": [Interval(Real, 0, 1, closed="left")],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    _validate_kwargs = {"skip_check_array": True}
    _auto_copies = 30  # docs/quality.rst, "Defaults"

    def __init__(
        self,
        student,
        teacher,
        *,
        temperature=1.0,
        alpha=0.0,
        threshold=REPLICATE_THRESHOLD,
        augment="auto",
        random_state=None,
        verbose=0,
    ):
        self.student = student
        self.teacher = teacher
        self.temperature = temperature
        self.alpha = alpha
        self.threshold = threshold
        self.augment = augment
        self.random_state = random_state
        self.verbose = verbose

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags = wrapped_input_tags(self.student, self.teacher, self.augment)
        return tags

    def _check_student(self):
        final = check_student_kind(
            self.student,
            "classifier",
            "DistilledClassifier",
            "soft-label weighting fits class labels with weights, so pass a "
            "classifier (LogisticRegression, DecisionTreeClassifier, GaussianNB, "
            "...); distil a regressor teacher with DistilledRegressor",
        )
        if not has_fit_parameter(final, "sample_weight"):
            raise TypeError(
                f"DistilledClassifier: the student {type(final).__name__} does "
                "not accept sample_weight in fit, which soft-label weighting "
                "needs; use a classifier whose fit takes sample_weight "
                "(LogisticRegression, DecisionTreeClassifier, GaussianNB, ...)."
            )

    def _fit_targets(self, X, targets, sample_weight):
        Q, classes = targets.mixed(), targets.classes
        dropped = Q.max(axis=1) <= self.threshold
        if dropped.any():
            raise ValueError(
                f"DistilledClassifier: threshold={self.threshold} drops every "
                f"class of {int(dropped.sum())} row(s); use a threshold below "
                f"1 / n_classes = {1 / Q.shape[1]:.3g}."
            )
        X = indexable(X)
        student = clone(self.student)
        final = final_step(student)
        if final is not student:
            # The steps before the classifier see each row once, labelled with
            # the teacher's top class; only the classifier sees the replicated
            # rows and their weights.
            X = student[:-1].fit_transform(X, classes[Q.argmax(axis=1)])
        X_rep, columns, w_rep = replicate_rows(
            X, Q, sample_weight, threshold=self.threshold
        )
        try:
            final.fit(X_rep, classes[columns], sample_weight=w_rep)
        except Exception as exc:
            raise failure(
                exc,
                f"DistilledClassifier: fitting the student {type(final).__name__} "
                f"on {len(columns)} replicated rows failed. "
                + _replicated_classes_hint(classes, columns, self.threshold),
            ) from exc
        self.exponent_ = deploy_exponent(Q, targets.mixed(1.0), sample_weight)
        self.student_ = student

    def _validate_predict_X(self, X):
        # The student validates X (and its feature names) itself.
        check_is_fitted(self)
        return indexable(X)

    def _student_log_proba(self, X):
        """Student log-probabilities over all classes, on the teacher's scale."""
        X = self._validate_predict_X(X)
        proba = self.student_.predict_proba(X)
        # The student knows the classes that kept a replicated row; place its
        # columns among all the teacher's classes.
        index = {label: k for k, label in enumerate(self.classes_.tolist())}
        columns = [index[label] for label in self.student_.classes_.tolist()]
        log_proba = np.full((proba.shape[0], len(self.classes_)), -np.inf)
        with np.errstate(divide="ignore"):
            log_proba[:, columns] = self.exponent_ * np.log(proba)
        return log_proba

    @available_if(_student_has("predict_proba"))
    def predict_proba(self, X):
        """Class probabilities on the teacher's scale.

        Parameters
        ----------
        X : array-like of shape (n_samples, ...)
            What the student takes.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
        """
        return softmax(self._student_log_proba(X), axis=1)

    @available_if(_student_has("predict_proba"))
    def predict_log_proba(self, X):
        """Log of :meth:`predict_proba`.

        Parameters
        ----------
        X : array-like of shape (n_samples, ...)

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
        """
        return log_softmax(self._student_log_proba(X), axis=1)

    def predict(self, X):
        """Predict the class of each row of X with the student.

        Parameters
        ----------
        X : array-like of shape (n_samples, ...)

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
        """
        X = self._validate_predict_X(X)
        return self.student_.predict(X)

    def to_sklearn(self):
        """Return the fitted student, with no teacher inside.

        Its classes are the teacher's labels; its probabilities are those it
        was fitted to, at the training temperature (the same ranking, so the
        same predictions).

        Returns
        -------
        student : classifier
        """
        check_is_fitted(self)
        return self.student_
