"""DistilledLogisticRegression: a logistic regression fitted to soft targets."""

import warnings
from numbers import Integral, Real

import numpy as np
import scipy.optimize
from scipy.special import log_softmax, softmax
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import Bunch
from sklearn.utils.extmath import safe_sparse_dot
from sklearn.utils.validation import check_is_fitted

from skdistill._classification import BaseDistilledClassifier
from skdistill._linear_loss import (
    L1Split,
    binary_loss_grad,
    initial_coef,
    multinomial_loss_grad,
    start_targets,
)
from skdistill._sklearn import Interval, StrOptions, logistic_regression

__all__ = ["DistilledLogisticRegression"]


class DistilledLogisticRegression(BaseDistilledClassifier):
    """Logistic regression distilled from a teacher's softened predictions.

    Fits a multinomial (binary for two classes) logistic regression with
    logits ``s`` by minimising the distillation loss ``alpha * CE(y,
    softmax(s)) + (1 - alpha) * T**2 * CE(softmax(z / T), softmax(s / T))``,
    where ``z`` are the teacher's logits on X, plus scikit-learn's penalty
    (L2, L1 or elastic net), exactly as scikit-learn's
    :class:`~sklearn.linear_model.LogisticRegression` minimises the
    hard-label loss (same ``C``, same scaling, same tolerance). X is never
    copied once per class.

    Probabilities are on the teacher's scale: the student is fitted at
    temperature ``T`` and its logits are multiplied by ``T`` afterwards
    (``coef_`` and ``intercept_`` hold the multiplied values), so
    ``predict_proba`` estimates the teacher's own ``T = 1`` probabilities; a
    linear teacher distilled at any ``T`` is recovered exactly without a
    penalty (``penalty=None``, or a large ``C``). With ``alpha > 0`` the
    hard-label part of the target is sharpened by the same factor: use
    ``alpha=1, temperature=1`` for the plain hard-label model.

    Parameters
    ----------
    teacher : TorchTeacher, torch.nn.Module, classifier or callable
        The model to distil. A bare ``nn.Module`` is wrapped in a
        :class:`~skdistill.TorchTeacher`; a fitted scikit-learn classifier is
        used as-is and an unfitted one is cloned and trained on ``(X, y)``
        inside ``fit``; a callable maps X to logits. May be None when every
        ``fit`` receives ``teacher_logits``.
    temperature : float, default=1.0
        Softening temperature ``T > 0`` of the teacher's logits. 1 is the
        teacher's own probabilities; with tuned ``C`` it scored at least as
        well as 2 on every data set of the quality benchmark
        (:ref:`quality-defaults`).
    alpha : float, default=0.0
        Weight of the hard labels ``y`` in the targets, in ``[0, 1]``.
    penalty : {"l2", "l1", "elasticnet", None}, default="l2"
        Penalty on the coefficients (not the intercept), with scikit-learn's
        meaning: ``"l1"`` and ``"elasticnet"`` give sparse students, whose
        zero coefficients drop features (see
        :func:`~skdistill.regularization_path`); None for no penalty.
    C : float, default=1.0
        Inverse penalty strength, as in scikit-learn's ``LogisticRegression``
        (``np.inf`` turns every penalty off, whatever ``penalty`` says):
        the objective is ``sum_i w_i loss_i / sum(w) + (l1_ratio ||W||_1 +
        (1 - l1_ratio) ||W||^2 / 2) / (C sum(w_real))``, where the first sum
        runs over the synthetic rows too and ``w_real`` are the real rows'
        weights: augmentation adds data, not a weaker penalty, so a ``C``
        tuned for ``LogisticRegression`` means the same here (with ``k``
        noise copies, the fit is ``LogisticRegression`` on the augmented
        rows at ``C / (1 + k)``).
    l1_ratio : float, default=None
        Share of L1 in the elastic-net penalty, in ``[0, 1]``; needed with
        ``penalty="elasticnet"`` only (``"l1"`` is 1, ``"l2"`` is 0).
    fit_intercept : bool, default=True
        Fit a bias per class.
    tol : float, default=1e-4
        L-BFGS stops when the largest gradient component is below ``tol``
        (with an L1 part, the largest component of the projected gradient of
        the bound-constrained problem, solved by L-BFGS-B). With an L1 part,
        coefficients that should be zero can stay non-zero at ``tol=1e-4``:
        count features (``n_nonzero``) at ``tol=1e-6`` or below.
    max_iter : int, default=100
        Maximum number of L-BFGS iterations.
    warm_start : bool, default=False
        Start from the previous solution instead of the ridge starting point.
    verbose : int, default=0
        When positive, show the progress of the teacher's pass in ``fit``
        (rows done, rows/s, time left; see :ref:`progress`) and print the
        number of iterations and the final loss.
    augment : {"auto", "noise", "munge", "mixup"}, augmenter or None, default="auto"
        Synthetic transfer rows, labelled by the teacher alone, added to X:
        :class:`~skdistill.augment.GaussianNoise`,
        :class:`~skdistill.augment.Munge` or :class:`~skdistill.augment.Mixup`
        (a name means its defaults). Each synthetic row weighs what its real
        row weighs; hard labels stay on the real rows. Needs dense numeric X.
        ``"auto"`` adds Gaussian noise rows where they pay
        (:ref:`auto-augment`): 30 copies per row, at most ``AUTO_ROWS`` = 40
        000 synthetic rows in all, and only with a teacher to label them,
        ``alpha`` below 1 and X of finite floats in memory (no sparse, integer,
        boolean or categorical columns); otherwise none. ``augment_`` says what
        a fit used.
    random_state : int, RandomState instance or None, default=None
        Seeds the augmentation when ``augment`` is a name or ``"auto"``; an
        augmenter object keeps its own ``random_state``. The fit itself is
        deterministic.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The teacher's classes, all of them, whatever labels y holds.
    coef_ : ndarray of shape (1, n_features) or (n_classes, n_features)
        Coefficients on the teacher's scale; one row for two classes (the
        positive class ``classes_[1]``).
    intercept_ : ndarray of shape (1,) or (n_classes,)
        Intercepts on the teacher's scale.
    n_iter_ : ndarray of shape (1,)
        Number of L-BFGS iterations.
    teacher_ : TorchTeacher, SklearnTeacher, CallableTeacher or None
        The teacher used by ``fit`` (a fitted clone for an unfitted
        scikit-learn teacher); None when only ``teacher_logits`` were given.
    augment_ : GaussianNoise, augmenter or None
        The augmentation of the last fit: what ``augment`` stood for, None
        when there was none.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during fit, when X has string column names.

    See Also
    --------
    sklearn.linear_model.LogisticRegression : The hard-label model;
        :meth:`to_sklearn` returns one.
    skdistill.fidelity_score : Agreement of a student with its teacher.

    Examples
    --------
    >>> from sklearn.datasets import load_wine
    >>> from sklearn.ensemble import HistGradientBoostingClassifier
    >>> from sklearn.preprocessing import scale
    >>> from skdistill import DistilledLogisticRegression
    >>> X, y = load_wine(return_X_y=True)
    >>> X = scale(X)
    >>> teacher = HistGradientBoostingClassifier(random_state=0).fit(X, y)
    >>> student = DistilledLogisticRegression(teacher, random_state=0).fit(X)
    >>> student.classes_
    array([0, 1, 2])
    >>> student.augment_  # augment="auto": 30 noise rows per row
    GaussianNoise(n_copies=30, random_state=0)
    >>> round(student.score(X, y), 2)
    0.98
    """

    _parameter_constraints = {
        **BaseDistilledClassifier._parameter_constraints,
        "penalty": [StrOptions({"l2", "l1", "elasticnet"}), None],
        "C": [Interval(Real, 0, None, closed="right")],
        "l1_ratio": [Interval(Real, 0, 1, closed="both"), None],
        "fit_intercept": ["boolean"],
        "tol": [Interval(Real, 0, None, closed="left")],
        "max_iter": [Interval(Integral, 0, None, closed="left")],
        "warm_start": ["boolean"],
        "verbose": ["verbose"],
        "random_state": ["random_state"],
    }
    _auto_copies = 30  # docs/quality.rst, "Defaults"

    def __init__(
        self,
        teacher,
        *,
        temperature=1.0,
        alpha=0.0,
        penalty="l2",
        C=1.0,
        l1_ratio=None,
        fit_intercept=True,
        tol=1e-4,
        max_iter=100,
        warm_start=False,
        verbose=0,
        augment="auto",
        random_state=None,
    ):
        self.teacher = teacher
        self.temperature = temperature
        self.alpha = alpha
        self.penalty = penalty
        self.C = C
        self.l1_ratio = l1_ratio
        self.fit_intercept = fit_intercept
        self.tol = tol
        self.max_iter = max_iter
        self.warm_start = warm_start
        self.verbose = verbose
        self.augment = augment
        self.random_state = random_state

    def _fit_targets(self, X, targets, sample_weight):
        problem = self._problem(X, targets, sample_weight)
        l2, l1 = self._penalties(problem.real_weight)
        coef0 = self._warm_start_coef(problem.shape)
        if coef0 is None:
            coef0 = problem.start(l2)
        self._minimize(problem.loss_grad, coef0, problem.args(l2), l1=l1)

    def _problem(self, X, targets, sample_weight):
        """The loss of a fit, apart from the penalty strengths.

        Returns a Bunch: ``loss_grad`` and ``args(l2)``, its arguments for an
        L2 strength; ``start(l2)``, the ridge starting point; ``shape`` of
        ``[W | b]``; ``real_weight``, the real rows' total weight, which the
        penalty is relative to (synthetic rows follow them). The
        regularisation path builds it once for every ``C``.
        """
        n_samples, n_classes = targets.logits.shape
        if sample_weight is None:
            sample_weight = np.ones(n_samples)
        weight_sum = sample_weight.sum()
        s = sample_weight / weight_sum
        binary = n_classes == 2
        n_out = 1 if binary else n_classes
        a, y_index, T = targets.row_alpha(), targets.y_index, targets.temperature
        logits, fit_intercept = targets.logits, self.fit_intercept

        def start(l2):
            return initial_coef(
                X,
                lambda rows: start_targets(logits[rows], y_index[rows], a[rows]),
                n_out,
                s,
                l2,
                fit_intercept,
            )

        P = None if targets.hard_only else targets.soft()
        if binary:
            loss_grad = binary_loss_grad
            soft = None if P is None else np.ascontiguousarray(P[:, 1])
            hard = (y_index == 1).astype(np.float64)
        else:
            loss_grad, soft, hard = multinomial_loss_grad, P, y_index
        del P
        return Bunch(
            loss_grad=loss_grad,
            args=lambda l2: (X, soft, hard, a, T, s, l2, fit_intercept),
            start=start,
            shape=(n_out, X.shape[1] + fit_intercept),
            real_weight=sample_weight[: targets.n_real].sum(),
        )

    def _check_student(self):
        """The penalty's parameters, checked before the teacher runs."""
        owner = type(self).__name__
        if self.penalty == "elasticnet" and self.l1_ratio is None:
            raise ValueError(
                f"{owner}: penalty='elasticnet' mixes L1 and L2 by l1_ratio, but "
                "l1_ratio=None; pass l1_ratio between 0 and 1 (0 is "
                "penalty='l2', 1 is penalty='l1')."
            )
        if self.l1_ratio is not None and self.penalty != "elasticnet":
            # fit -> _fit_distilled -> _fit -> here: the caller of fit.
            warnings.warn(
                f"{owner}: l1_ratio={self.l1_ratio} is used only with "
                f"penalty='elasticnet', not penalty={self.penalty!r}; it is "
                "ignored. Set penalty='elasticnet' to mix L1 and L2.",
                UserWarning,
                stacklevel=6,
            )

    def _l1_ratio(self):
        """The L1 share of the penalty: 0 for L2 or none, 1 for L1."""
        if self.penalty == "elasticnet":
            return self.l1_ratio
        return 1.0 if self.penalty == "l1" else 0.0

    def _penalties(self, real_weight):
        """``(l2, l1)`` strengths in scikit-learn's scaling, ``1 / (C sum(w))``.

        The sum is over the real rows: synthetic rows add data, not a weaker
        penalty, so ``C`` means what it means for ``LogisticRegression`` on
        the user's rows, with or without augmentation. ``C=np.inf`` turns
        every penalty off, whatever ``penalty`` says.
        """
        if self.penalty is None:
            return 0.0, 0.0
        ratio = self._l1_ratio()
        strength = 1.0 / (self.C * real_weight)
        return (1.0 - ratio) * strength, ratio * strength

    def _minimize(self, loss_grad, coef0, args, l1=0.0):
        """Run L-BFGS on ``loss_grad(coef, *args)`` from ``coef0``; set the fit.

        With an L1 strength ``l1 > 0`` the problem is split
        (:class:`~skdistill._linear_loss.L1Split`) and solved by L-BFGS-B
        under bounds; ``tol`` then bounds the projected gradient. The Dask
        fit (:mod:`skdistill._dask_linear`) comes here too, with a
        ``loss_grad`` summed over the partitions.
        """
        split = L1Split(loss_grad, coef0.shape, l1, self.fit_intercept) if l1 else None
        result = scipy.optimize.minimize(
            split or loss_grad,
            coef0.ravel() if split is None else split.start(coef0),
            method="L-BFGS-B",
            jac=True,
            args=args,
            bounds=None if split is None else split.bounds(),
            options={
                "maxiter": self.max_iter,
                "maxls": 50,
                "gtol": self.tol,
                "ftol": 64 * np.finfo(float).eps,
            },
        )
        if result.status == 1:
            warnings.warn(
                f"{type(self).__name__}: L-BFGS did not converge within "
                f"max_iter={self.max_iter} iterations; increase max_iter, scale "
                "the data (e.g. StandardScaler) or raise tol.",
                ConvergenceWarning,
                stacklevel=5,
            )
        elif result.status != 0:
            warnings.warn(
                f"{type(self).__name__}: L-BFGS stopped after {result.nit} "
                f"iterations without meeting tol={self.tol} ({result.message}); "
                "scale the data (e.g. StandardScaler) or raise tol.",
                ConvergenceWarning,
                stacklevel=5,
            )
        if self.verbose:
            print(
                f"{type(self).__name__}: {result.nit} L-BFGS iterations, "
                f"loss {result.fun:.6g}"
            )
        coef = result.x.reshape(coef0.shape) if split is None else split.coef(result.x)
        self._set_coef(coef, result.nit)

    def _set_coef(self, coef, n_iter):
        """Set ``coef_``, ``intercept_`` and ``n_iter_`` from ``[W | b]``."""
        n_features = coef.shape[1] - self.fit_intercept
        self.coef_ = np.array(coef[:, :n_features], order="C")
        self.intercept_ = (
            coef[:, -1].copy() if self.fit_intercept else np.zeros(len(coef))
        )
        self.n_iter_ = np.array([n_iter], dtype=np.int32)

    def _coef(self):
        """The fitted ``[W | b]``."""
        if not self.fit_intercept:
            return self.coef_
        return np.column_stack([self.coef_, self.intercept_])

    def _fit_dask(self, X, y, sample_weight, given):
        """Fit on Dask collections, partition by partition (``_dask_linear``)."""
        from skdistill._dask import dask_teacher
        from skdistill._dask_linear import fit_dask

        teacher, augmenter = dask_teacher(self, X, y, sample_weight, given)
        fitted = fit_dask(self, X, y, sample_weight, teacher, augmenter)
        self.teacher_, self.augment_ = teacher, augmenter
        for name, value in fitted.items():
            setattr(self, name, value)
        if "feature_names_in_" not in fitted:
            self.__dict__.pop("feature_names_in_", None)
        return self

    def _warm_start_coef(self, shape):
        """The previous solution, when it fits the shape."""
        if not self.warm_start or not hasattr(self, "coef_"):
            return None
        coef = self._coef()
        if coef.shape != shape:
            return None
        return coef

    def decision_function(self, X):
        """Logits of the student on the teacher's scale.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        scores : ndarray of shape (n_samples,) or (n_samples, n_classes)
            For two classes, the logit of ``classes_[1]``.
        """
        X = self._validate_predict_X(X)
        scores = safe_sparse_dot(X, self.coef_.T, dense_output=True)
        scores = np.asarray(scores, dtype=np.float64) + self.intercept_
        return scores.ravel() if scores.shape[1] == 1 else scores

    def _class_scores(self, X):
        """Logits of every class, shape (n_samples, n_classes)."""
        scores = self.decision_function(X)
        if scores.ndim == 1:
            # One logit z for two classes means [0, z].
            return np.column_stack([np.zeros_like(scores), scores])
        return scores

    def predict_proba(self, X):
        """Class probabilities on the teacher's scale.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Column ``k`` is the probability of ``classes_[k]``.
        """
        return softmax(self._class_scores(X), axis=1)

    def predict_log_proba(self, X):
        """Log of :meth:`predict_proba`, computed stably.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
        """
        return log_softmax(self._class_scores(X), axis=1)

    def coef_table(self, *, feature_names=None):
        """The coefficients as a table, largest magnitude first per class.

        For two classes there is one logit, that of ``classes_[1]`` against
        ``classes_[0]``, so one block of rows, labelled ``classes_[1]``.

        Parameters
        ----------
        feature_names : list of str, default=None
            Names of the features; ``feature_names_in_`` or ``x0, x1, ...``
            when None.

        Returns
        -------
        table : pandas.DataFrame or list of dict
            Columns ``class``, ``feature``, ``coefficient`` (on the teacher's
            scale), one row per class and feature, sorted by class and then
            by decreasing ``|coefficient|``; a list of row dicts when pandas
            is not installed.

        Examples
        --------
        >>> from sklearn.datasets import load_iris
        >>> from sklearn.naive_bayes import GaussianNB
        >>> from skdistill import DistilledLogisticRegression
        >>> X, y = load_iris(return_X_y=True, as_frame=True)
        >>> student = DistilledLogisticRegression(
        ...     GaussianNB(), max_iter=1000, random_state=0
        ... )
        >>> table = student.fit(X, y).coef_table()
        >>> table.columns.tolist(), len(table)
        (['class', 'feature', 'coefficient'], 12)
        """
        rows = [
            {"class": label, "feature": name, "coefficient": value}
            for label, ranked in self._ranked_coefficients(feature_names).items()
            for name, value in ranked
        ]
        try:
            import pandas as pd
        except ImportError:
            return rows
        return pd.DataFrame(rows, columns=["class", "feature", "coefficient"])

    def top_features(self, k=5, *, feature_names=None):
        """The ``k`` features of largest coefficient magnitude, per class.

        Parameters
        ----------
        k : int, default=5
            Features per class.
        feature_names : list of str, default=None
            As for :meth:`coef_table`.

        Returns
        -------
        top : dict
            Class label -> list of ``(feature, coefficient)``, largest
            ``|coefficient|`` first.

        Examples
        --------
        >>> from sklearn.datasets import load_iris
        >>> from sklearn.naive_bayes import GaussianNB
        >>> from skdistill import DistilledLogisticRegression
        >>> X, y = load_iris(return_X_y=True, as_frame=True)
        >>> student = DistilledLogisticRegression(
        ...     GaussianNB(), max_iter=1000, random_state=0
        ... )
        >>> top = student.fit(X, y).top_features(k=1)
        >>> sorted(top), [name for name, _ in top[0]]
        ([0, 1, 2], ['petal length (cm)'])
        """
        if not isinstance(k, Integral) or k < 1:
            raise ValueError(
                f"{type(self).__name__}: top_features(k={k!r}) needs a positive "
                "integer k; pass k=5, say, or use coef_table() for all features."
            )
        ranked = self._ranked_coefficients(feature_names)
        return {label: pairs[:k] for label, pairs in ranked.items()}

    def _ranked_coefficients(self, feature_names):
        """Class label -> [(feature, coefficient)], largest magnitude first."""
        check_is_fitted(self)
        feature_names = self._feature_names(feature_names)
        labels = self.classes_.tolist()
        if len(self.coef_) == 1:
            labels = labels[1:]
        ranked = {}
        for label, row in zip(labels, self.coef_):
            order = np.argsort(-np.abs(row), kind="stable")
            ranked[label] = [(str(feature_names[j]), float(row[j])) for j in order]
        return ranked

    def to_sklearn(self):
        """Return a fitted scikit-learn ``LogisticRegression`` with no teacher.

        Its predictions and probabilities equal this student's, so it can be
        pickled, exported (skops, ONNX) and deployed without skdistill or
        torch.

        Returns
        -------
        model : sklearn.linear_model.LogisticRegression

        Examples
        --------
        >>> from sklearn.datasets import load_iris
        >>> from sklearn.naive_bayes import GaussianNB
        >>> from skdistill import DistilledLogisticRegression
        >>> X, y = load_iris(return_X_y=True)
        >>> student = DistilledLogisticRegression(
        ...     GaussianNB(), max_iter=1000, random_state=0
        ... ).fit(X, y)
        >>> plain = student.to_sklearn()
        >>> type(plain).__name__, bool((plain.predict(X) == student.predict(X)).all())
        ('LogisticRegression', True)
        """
        check_is_fitted(self)
        ratio = {"l2": 0.0, "l1": 1.0, "elasticnet": self.l1_ratio}.get(self.penalty)
        model = logistic_regression(
            C=np.inf if self.penalty is None else self.C,
            l1_ratio=ratio or 0.0,
            fit_intercept=self.fit_intercept,
            tol=self.tol,
            max_iter=self.max_iter,
        )
        model.classes_ = self.classes_.copy()
        model.coef_ = self.coef_.copy()
        model.intercept_ = self.intercept_.copy()
        model.n_iter_ = self.n_iter_.copy()
        model.n_features_in_ = self.n_features_in_
        if hasattr(self, "feature_names_in_"):
            model.feature_names_in_ = self.feature_names_in_.copy()
        return model
