"""DistilledRegressor: any scikit-learn regressor fitted to a teacher's predictions."""

import inspect

import numpy as np
from sklearn import config_context
from sklearn.base import clone
from sklearn.utils import get_tags
from sklearn.utils.validation import check_is_fitted, has_fit_parameter

from skdistill._errors import failure
from skdistill._regression import BaseDistilledRegressor
from skdistill._sklearn import HasMethods
from skdistill._wrapped import (
    check_student_kind,
    final_step,
    indexable,
    wrapped_input_tags,
)

__all__ = ["DistilledRegressor"]


def _takes_sample_weight(estimator):
    """Whether ``estimator.fit`` takes ``sample_weight``, by name or ``**kwargs``.

    ``TransformedTargetRegressor`` and search objects pass it on through
    ``**fit_params``.
    """
    if has_fit_parameter(estimator, "sample_weight"):
        return True
    parameters = inspect.signature(estimator.fit).parameters.values()
    return any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters)


class DistilledRegressor(BaseDistilledRegressor):
    """Any scikit-learn regressor distilled from a regression teacher.

    The student is fitted on the targets ``(1 - alpha) * f(x) + alpha * y``,
    where ``f`` is the teacher's prediction and ``y`` the true value of a
    labelled row (synthetic rows have only ``f``). For squared error this is
    exactly the mixed loss ``alpha * ||y - s||^2 + (1 - alpha) * ||f - s||^2``
    up to a term free of the student, so nothing is replicated: a fit costs
    one teacher pass and the student's own fit. ``alpha=1`` is the student
    fitted on y; ``alpha=0`` the student fitted on the teacher's predictions.
    Multi-output teachers and students work (y of shape (n, m)).

    The student may be a :class:`~sklearn.pipeline.Pipeline`: the teacher
    and the pipeline both see X as given, and the weights go to the
    pipeline's last step. X is not validated here; the teacher and the
    student validate what they receive.

    Parameters
    ----------
    student : regressor
        An unfitted scikit-learn regressor (``Ridge``,
        ``DecisionTreeRegressor``, ``HistGradientBoostingRegressor``, a
        ``Pipeline``, ...). It is cloned. Its ``fit`` must take
        ``sample_weight`` when rows are weighted.
    teacher : TorchTeacher, torch.nn.Module, regressor or callable
        The model to distil: a ``TorchTeacher(module, output="values")``; a
        bare ``nn.Module`` returning predictions of shape ``(n,)``, ``(n,
        1)`` or ``(n, m)`` (wrapped with ``output="values"``); a fitted
        scikit-learn regressor, used as-is, or an unfitted one, fitted on
        ``(X, y)`` inside ``fit``; or a callable ``X -> predictions``. A
        trained teacher is shared by every clone, never copied, and
        remembers the rows it has run. A classifier teacher is refused.
    alpha : float, default=0.0
        Weight of the true values ``y`` in the targets, in ``[0, 1]``.
    augment : {"auto", "noise", "munge", "mixup"}, augmenter or None, default="auto"
        Synthetic transfer rows, labelled by the teacher alone, added to X:
        :class:`~skdistill.augment.GaussianNoise`,
        :class:`~skdistill.augment.Munge` or :class:`~skdistill.augment.Mixup`
        (a name means its defaults). Each synthetic row weighs what its real
        row weighs; true values stay on the real rows. Needs dense numeric X.
        ``"auto"`` adds Gaussian noise rows where they pay
        (:ref:`auto-augment`): 10 copies per row, at most ``AUTO_ROWS`` = 40
        000 synthetic rows in all, and only with a teacher to label them,
        ``alpha`` below 1 and X of finite floats in memory (no sparse, integer,
        boolean or categorical columns); otherwise none. ``augment_`` says what
        a fit used.
    random_state : int, RandomState instance or None, default=None
        Seeds the augmentation when ``augment`` is a name or ``"auto"``; an
        augmenter object keeps its own ``random_state``, the student its own.
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
    student_ : regressor
        The fitted clone of ``student``.
    teacher_ : TorchTeacher, SklearnTeacher, CallableTeacher or None
        The teacher used by ``fit``.
    augment_ : GaussianNoise, augmenter or None
        The augmentation of the last fit: what ``augment`` stood for, None
        when there was none.
    n_features_in_ : int
        Number of features seen during fit, when X has features.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during fit, when X has string column names.

    See Also
    --------
    skdistill.DistilledClassifier : The same for classification teachers.
    skdistill.fidelity_score : R² of the student against the teacher.

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from sklearn.ensemble import RandomForestRegressor
    >>> from sklearn.tree import DecisionTreeRegressor
    >>> from skdistill import DistilledRegressor
    >>> X, y = load_diabetes(return_X_y=True)
    >>> forest = RandomForestRegressor(random_state=0).fit(X, y)
    >>> student = DistilledRegressor(
    ...     DecisionTreeRegressor(max_depth=4, random_state=0), forest
    ... ).fit(X)
    >>> type(student.to_sklearn()).__name__, bool(student.score(X) > 0.7)
    ('DecisionTreeRegressor', True)
    """

    _parameter_constraints = {
        **BaseDistilledRegressor._parameter_constraints,
        "student": [HasMethods(["fit", "predict"])],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    _validate_kwargs = {"skip_check_array": True}
    _auto_copies = 10  # docs/quality.rst, "Defaults"

    def __init__(
        self,
        student,
        teacher,
        *,
        alpha=0.0,
        augment="auto",
        random_state=None,
        verbose=0,
    ):
        self.student = student
        self.teacher = teacher
        self.alpha = alpha
        self.augment = augment
        self.random_state = random_state
        self.verbose = verbose

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags = wrapped_input_tags(self.student, self.teacher, self.augment)
        tags.target_tags.multi_output = get_tags(self.student).target_tags.multi_output
        return tags

    def _check_student(self):
        check_student_kind(
            self.student,
            "regressor",
            "DistilledRegressor",
            "DistilledRegressor fits the teacher's predictions, numbers, so pass "
            "a regressor (Ridge, DecisionTreeRegressor, "
            "HistGradientBoostingRegressor, ...); distil a classifier teacher with "
            "DistilledClassifier",
        )

    def _fit_targets(self, X, targets, sample_weight):
        student = clone(self.student)
        final = final_step(student)
        target = targets.mixed()
        if target.ndim == 2 and target.shape[1] > 1:
            if not get_tags(final).target_tags.multi_output:
                raise ValueError(
                    f"DistilledRegressor: the teacher predicts {target.shape[1]} "
                    f"outputs per row, but the student {type(final).__name__} fits "
                    "one; wrap it in sklearn.multioutput.MultiOutputRegressor, or "
                    "use a student that fits several (Ridge, "
                    "DecisionTreeRegressor, ...)."
                )
        kwargs = {}
        # Weights of ones (augmented rows of an unweighted fit) change nothing.
        if sample_weight is not None and np.any(sample_weight != 1):
            if not _takes_sample_weight(final):
                raise TypeError(
                    f"DistilledRegressor: the student {type(final).__name__} does "
                    "not accept sample_weight in fit, and the rows are weighted; "
                    "use a regressor whose fit takes sample_weight (Ridge, "
                    "DecisionTreeRegressor, ...), or fit without sample_weight."
                )
            name = "" if student is final else f"{student.steps[-1][0]}__"
            kwargs = {f"{name}sample_weight": sample_weight}
        try:
            # The weights go to the last step by name, as documented, with or
            # without metadata routing (which would ask every step for them).
            with config_context(enable_metadata_routing=False):
                student.fit(indexable(X), target, **kwargs)
        except Exception as exc:
            raise failure(
                exc,
                f"DistilledRegressor: fitting the student {type(final).__name__} "
                f"on the teacher's predictions for {len(target)} rows failed; "
                "check that it takes X as the student receives it.",
            ) from exc
        self.student_ = student

    def predict(self, X):
        """Predict with the student.

        Parameters
        ----------
        X : array-like of shape (n_samples, ...)
            What the student takes.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,) or (n_samples, n_outputs)
        """
        check_is_fitted(self)
        return self.student_.predict(indexable(X))

    def to_sklearn(self):
        """Return the fitted student, with no teacher inside.

        Returns
        -------
        student : regressor
            Needs neither torch nor skdistill to predict, pickle or export.

        Examples
        --------
        >>> from sklearn.datasets import load_diabetes
        >>> from sklearn.linear_model import Ridge
        >>> from skdistill import DistilledRegressor
        >>> X, y = load_diabetes(return_X_y=True)
        >>> student = DistilledRegressor(Ridge(), Ridge(alpha=0.1)).fit(X, y)
        >>> student.to_sklearn()
        Ridge()
        """
        check_is_fitted(self)
        return self.student_
