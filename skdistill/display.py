"""Plots of how closely a student follows its teacher, in scikit-learn's style.

Each display is built as scikit-learn's are (``ConfusionMatrixDisplay``,
``ValidationCurveDisplay``): the classmethods ``from_estimator`` and
``from_predictions`` compute what is drawn and call :meth:`plot`, which
returns the display with the matplotlib ``ax_`` and ``figure_`` set; the
numbers stay on the display as attributes. matplotlib is imported only when
a plot is drawn.
"""

import difflib
from numbers import Integral, Real

import numpy as np
from sklearn.base import clone
from sklearn.metrics import ConfusionMatrixDisplay, accuracy_score
from sklearn.utils.validation import check_array

from skdistill._base import checked_sample_weight, teacher_outputs
from skdistill._classification import check_logits, teacher_classes
from skdistill._path import regularization_path
from skdistill._sklearn import _num_samples, check_matplotlib_support
from skdistill.linear import DistilledLogisticRegression
from skdistill.metrics import (
    _agreement_matrix,
    _classifier_outputs,
    _per_class_agreement,
)
from skdistill.teachers import as_teacher

__all__ = ["AgreementDisplay", "FidelityCurveDisplay"]

# What each ``normalize`` divides by, in confusion_matrix's words.
_NORMALIZE = {"teacher": "true", "student": "pred", "all": "all", None: None}

# The parameters that make a student its hard-label counterpart: the hard
# labels alone, at T = 1, on the real rows only.
_HARD_LABELS = {"alpha": 1.0, "temperature": 1.0, "augment": None}


class AgreementDisplay:
    """Where a student agrees with its teacher: the teacher-student matrix.

    Like a confusion matrix with the teacher in place of the true labels:
    row ``i`` holds the rows whose top class is the teacher's class ``i``,
    column ``j`` those whose top class is the student's class ``j``. With
    the default ``normalize="teacher"`` each row sums to 1 and its diagonal
    cell is the per-class agreement: the share of the teacher's class the
    student also puts first. A weak diagonal cell, or a large cell off the
    diagonal, says which classes (and which confusions) not to trust the
    student on.

    The rows of lowest agreement are those where the student gives the
    teacher's top class the lowest probability: the rows where the student
    is most sure the teacher is wrong come first (below ``1 / n_classes``
    the student cannot agree), then those where it agrees only narrowly or
    disagrees narrowly. Only the teacher's top class enters this ranking, so
    the teacher's output may be logits or probabilities alike, and the
    ranking is the one a user of the student's top class cares about.

    Use :meth:`from_estimator` or :meth:`from_predictions` to make one. All
    parameters are stored as attributes.

    Parameters
    ----------
    agreement : ndarray of shape (n_classes, n_classes)
        Teacher-student matrix: rows the teacher's top class, columns the
        student's, normalised as ``from_*`` was asked.
    fidelity : float, default=None
        Share of all rows (weighted) on which the student's top class is the
        teacher's.
    per_class_agreement : ndarray of shape (n_classes,), default=None
        For each class, the share of the rows where it is the teacher's top
        class on which it is the student's too; NaN for a class that is no
        row's top class.
    support : ndarray of shape (n_classes,), default=None
        For each class, the (weighted) number of rows where it is the
        teacher's top class.
    lowest_agreement_rows : ndarray of shape (n_lowest,), default=None
        Indices (positions in X) of the rows where the student gives the
        teacher's top class the lowest probability, lowest first.
    lowest_agreement_proba : ndarray of shape (n_lowest,), default=None
        The student's probability of the teacher's top class on those rows.
    display_labels : array-like of shape (n_classes,), default=None
        Class labels for the axes; ``0..n_classes-1`` when None.

    Attributes
    ----------
    im_ : matplotlib AxesImage
        The matrix, drawn.
    text_ : ndarray of shape (n_classes, n_classes) of matplotlib Text, or None
        The value in each cell; None when ``include_values=False``.
    ax_ : matplotlib Axes
        Axes with the matrix.
    figure_ : matplotlib Figure
        Figure holding the axes.

    See Also
    --------
    skdistill.fidelity_report : The same agreement, with the KL divergence
        and the log-loss against the teacher, as text.
    sklearn.metrics.ConfusionMatrixDisplay : The matrix against true labels,
        which draws this one.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.naive_bayes import GaussianNB
    >>> from skdistill import AgreementDisplay, DistilledDecisionTree
    >>> X, y = load_iris(return_X_y=True)
    >>> teacher = GaussianNB().fit(X, y)
    >>> student = DistilledDecisionTree(teacher, max_depth=2).fit(X)
    >>> display = AgreementDisplay.from_estimator(student, X, n_lowest=3)
    >>> display.per_class_agreement.round(2)
    array([1.  , 1.  , 0.92])
    >>> display.support
    array([50, 50, 50])
    >>> display.ax_.get_ylabel(), display.ax_.get_xlabel()
    ('Teacher', 'Student')
    >>> plt.close("all")
    """

    def __init__(
        self,
        agreement,
        *,
        fidelity=None,
        per_class_agreement=None,
        support=None,
        lowest_agreement_rows=None,
        lowest_agreement_proba=None,
        display_labels=None,
    ):
        self.agreement = agreement
        self.fidelity = fidelity
        self.per_class_agreement = per_class_agreement
        self.support = support
        self.lowest_agreement_rows = lowest_agreement_rows
        self.lowest_agreement_proba = lowest_agreement_proba
        self.display_labels = display_labels

    def plot(
        self,
        *,
        include_values=True,
        cmap="viridis",
        xticks_rotation="horizontal",
        values_format=None,
        ax=None,
        colorbar=True,
        im_kw=None,
        text_kw=None,
    ):
        """Draw the matrix, the teacher's classes down, the student's across.

        Parameters
        ----------
        include_values : bool, default=True
            Write each cell's value in it.
        cmap : str or matplotlib Colormap, default="viridis"
            Colormap of the cells.
        xticks_rotation : {"vertical", "horizontal"} or float, \
default="horizontal"
            Rotation of the student's class labels.
        values_format : str, default=None
            Format of the values (``".2f"``, ``"d"``); by default ``"d"`` or
            ``".2g"``, whichever is shorter, as scikit-learn's.
        ax : matplotlib Axes, default=None
            Axes to draw on; a new figure when None.
        colorbar : bool, default=True
            Add a colorbar.
        im_kw : dict, default=None
            Keywords for ``imshow``.
        text_kw : dict, default=None
            Keywords for the cells' ``text``.

        Returns
        -------
        display : AgreementDisplay
            This display, with ``im_``, ``text_``, ``ax_`` and ``figure_`` set.
        """
        check_matplotlib_support(f"{type(self).__name__}.plot")
        matrix = ConfusionMatrixDisplay(
            np.asarray(self.agreement), display_labels=self.display_labels
        ).plot(
            include_values=include_values,
            cmap=cmap,
            xticks_rotation=xticks_rotation,
            values_format=values_format,
            ax=ax,
            colorbar=colorbar,
            im_kw=im_kw,
            text_kw=text_kw,
        )
        matrix.ax_.set(ylabel="Teacher", xlabel="Student")
        self.im_, self.text_ = matrix.im_, matrix.text_
        self.ax_, self.figure_ = matrix.ax_, matrix.figure_
        return self

    @classmethod
    def from_estimator(
        cls,
        student,
        X,
        *,
        teacher_logits=None,
        sample_weight=None,
        normalize="teacher",
        n_lowest=10,
        display_labels=None,
        include_values=True,
        xticks_rotation="horizontal",
        values_format=None,
        cmap="viridis",
        ax=None,
        colorbar=True,
        im_kw=None,
        text_kw=None,
    ):
        """Compare a fitted student with its teacher on X, and plot.

        The teacher is the student's ``teacher_``, run on X, unless
        ``teacher_logits`` are given; the student's distribution is its
        ``predict_proba``.

        Parameters
        ----------
        student : fitted classification student
            A fitted skdistill classification student, or a fitted
            ``Pipeline`` (or search object) whose last step is one; the
            teacher sees what the student sees.
        X : array-like of shape (n_samples, n_features)
            Rows to compare on, usually held out.
        teacher_logits : array-like of shape (n_samples, n_classes), default=None
            The teacher's logits on X; the teacher is then not run.
        sample_weight : array-like of shape (n_samples,), default=None
            Row weights of the matrix and the agreements.
        normalize : {"teacher", "student", "all"} or None, default="teacher"
            Divide each cell by the rows of its teacher class (so the
            diagonal is the per-class agreement), of its student class, or
            by all rows; None keeps the counts.
        n_lowest : int, default=10
            How many rows of lowest agreement to keep (all rows when X has
            fewer).
        display_labels : array-like of shape (n_classes,), default=None
            Labels for the axes; the student's ``classes_`` when None.
        include_values, xticks_rotation, values_format, cmap, ax, colorbar, \
im_kw, text_kw
            As for :meth:`plot`.

        Returns
        -------
        display : AgreementDisplay
            The display, plotted.
        """
        owner = f"{cls.__name__}.from_estimator"
        check_matplotlib_support(owner)
        classes, logits, proba = _classifier_outputs(student, X, teacher_logits, owner)
        return cls.from_predictions(
            logits,
            proba,
            sample_weight=sample_weight,
            normalize=normalize,
            n_lowest=n_lowest,
            display_labels=classes if display_labels is None else display_labels,
            include_values=include_values,
            xticks_rotation=xticks_rotation,
            values_format=values_format,
            cmap=cmap,
            ax=ax,
            colorbar=colorbar,
            im_kw=im_kw,
            text_kw=text_kw,
        )

    @classmethod
    def from_predictions(
        cls,
        teacher_scores,
        student_proba,
        *,
        sample_weight=None,
        normalize="teacher",
        n_lowest=10,
        display_labels=None,
        include_values=True,
        xticks_rotation="horizontal",
        values_format=None,
        cmap="viridis",
        ax=None,
        colorbar=True,
        im_kw=None,
        text_kw=None,
    ):
        """Compare a teacher's outputs with a student's probabilities, and plot.

        Parameters
        ----------
        teacher_scores : array-like of shape (n_samples, n_classes)
            The teacher's logits or probabilities (only each row's top class
            is used); column ``k`` is class ``k``.
        student_proba : array-like of shape (n_samples, n_classes)
            The student's probabilities, the columns in the same order.
        sample_weight : array-like of shape (n_samples,), default=None
            Row weights of the matrix and the agreements.
        normalize : {"teacher", "student", "all"} or None, default="teacher"
            Divide each cell by the rows of its teacher class (so the
            diagonal is the per-class agreement), of its student class, or
            by all rows; None keeps the counts.
        n_lowest : int, default=10
            How many rows of lowest agreement to keep (all rows when there
            are fewer).
        display_labels : array-like of shape (n_classes,), default=None
            Label of each column, for the axes; ``0..n_classes-1`` when None.
        include_values, xticks_rotation, values_format, cmap, ax, colorbar, \
im_kw, text_kw
            As for :meth:`plot`.

        Returns
        -------
        display : AgreementDisplay
            The display, plotted.

        Examples
        --------
        >>> import matplotlib.pyplot as plt
        >>> import numpy as np
        >>> from skdistill import AgreementDisplay
        >>> teacher = np.array([[2.0, 0.0], [0.0, 3.0], [1.0, 0.0], [0.0, 1.0]])
        >>> student = np.array([[0.9, 0.1], [0.2, 0.8], [0.4, 0.6], [0.3, 0.7]])
        >>> display = AgreementDisplay.from_predictions(teacher, student, n_lowest=2)
        >>> display.agreement
        array([[0.5, 0.5],
               [0. , 1. ]])
        >>> display.lowest_agreement_rows, display.lowest_agreement_proba
        (array([2, 3]), array([0.4, 0.7]))
        >>> plt.close("all")
        """
        owner = f"{cls.__name__}.from_predictions"
        check_matplotlib_support(owner)
        if normalize not in _NORMALIZE:
            raise ValueError(
                f"{owner}: normalize={normalize!r} is not one of 'teacher', "
                "'student', 'all' or None; pass 'teacher' to divide each row by "
                "the rows of its teacher class (confusion_matrix's 'true'), "
                "'student' for its columns ('pred')."
            )
        if isinstance(n_lowest, bool) or not isinstance(n_lowest, Integral):
            raise TypeError(
                f"{owner}: n_lowest={n_lowest!r} is not an integer; pass how "
                "many rows of lowest agreement to keep (10, say, or 0 for none)."
            )
        if n_lowest < 0:
            raise ValueError(
                f"{owner}: n_lowest={n_lowest} is negative; pass how many rows "
                "of lowest agreement to keep (10, say, or 0 for none)."
            )
        teacher_scores, student_proba = _checked_predictions(
            teacher_scores, student_proba, owner
        )
        if sample_weight is not None:
            sample_weight = checked_sample_weight(sample_weight, student_proba, owner)
        n_classes = student_proba.shape[1]
        teacher_top = np.argmax(teacher_scores, axis=1)
        student_top = np.argmax(student_proba, axis=1)
        counts = _agreement_matrix(teacher_top, student_top, n_classes, sample_weight)
        per_class, support = _per_class_agreement(counts)
        agreement = _agreement_matrix(
            teacher_top,
            student_top,
            n_classes,
            sample_weight,
            normalize=_NORMALIZE[normalize],
        )
        fidelity = float(np.average(teacher_top == student_top, weights=sample_weight))
        # The student's probability of the teacher's top class; a stable sort
        # keeps ties in row order.
        top_proba = student_proba[np.arange(len(teacher_top)), teacher_top]
        lowest = np.argsort(top_proba, kind="stable")[:n_lowest]
        display = cls(
            agreement,
            fidelity=fidelity,
            per_class_agreement=per_class,
            support=support,
            lowest_agreement_rows=lowest,
            lowest_agreement_proba=top_proba[lowest],
            display_labels=display_labels,
        )
        return display.plot(
            include_values=include_values,
            cmap=cmap,
            xticks_rotation=xticks_rotation,
            values_format=values_format,
            ax=ax,
            colorbar=colorbar,
            im_kw=im_kw,
            text_kw=text_kw,
        )


def _checked_predictions(teacher_scores, student_proba, owner):
    """Both matrices as float64 (n, K), of one shape; clear errors if not."""
    student_proba = check_array(
        student_proba, dtype=np.float64, input_name="student_proba"
    )
    shape = np.shape(teacher_scores)
    if len(shape) != 2 or shape != student_proba.shape:
        raise ValueError(
            f"{owner}: teacher_scores has shape {shape} but student_proba has "
            f"shape {student_proba.shape}; pass both as (n_samples, n_classes), "
            "one row per row of X and the columns in the same class order (for a "
            "binary teacher with one logit z, pass np.c_[-z, z] or its two "
            "probability columns)."
        )
    teacher_scores = check_logits(teacher_scores, shape[0], owner, "teacher_scores")
    rows = np.flatnonzero(
        (student_proba < 0).any(axis=1)
        | (student_proba > 1).any(axis=1)
        | (np.abs(student_proba.sum(axis=1) - 1) > 1e-6)
    )
    if rows.size:
        raise ValueError(
            f"{owner}: student_proba is not a probability distribution in "
            f"{rows.size} row(s) (first: row {rows[0]}: "
            f"{np.round(student_proba[rows[0]], 4)[:10].tolist()}); pass the "
            "student's predict_proba(X), not its logits or decision_function."
        )
    return teacher_scores, student_proba


class FidelityCurveDisplay:
    """Accuracy and fidelity of a student against a complexity parameter.

    For each value of one parameter of the student (``max_depth``,
    ``max_leaf_nodes``, ``C``, ``hidden_layer_sizes``, ...), the student is
    fitted on the training rows and scored on held-out rows: its accuracy,
    and its fidelity, the share of rows on which its top class is the
    teacher's. Two references are drawn with it: the teacher's accuracy, a
    horizontal line, and the hard-label student, the same student with
    ``alpha=1, temperature=1`` and no augmentation, which is exactly its
    scikit-learn hard-label counterpart. Where the distilled curve rises above
    the hard-label one, distillation pays; where it meets the teacher's line,
    the student is big enough.

    A sweep over ``C`` of a :class:`~skdistill.DistilledLogisticRegression`
    goes through :func:`~skdistill.regularization_path`, which also records
    the number of features each student uses, so that
    ``plot(x="n_nonzero")`` shows the best student with at most ``k``
    features (with ``penalty="l1"`` or ``"elasticnet"``).

    Use :meth:`from_estimator` to make one. All parameters are stored as
    attributes.

    Parameters
    ----------
    param_name : str
        The parameter varied.
    param_range : array-like of shape (n_values,)
        Its values, in the order of the scores.
    accuracy : ndarray of shape (n_values,)
        The distilled student's accuracy on the held-out rows, per value.
    fidelity : ndarray of shape (n_values,)
        Its fidelity there: the share of rows on which its top class is the
        teacher's.
    teacher_accuracy : float, default=None
        The teacher's accuracy on the held-out rows.
    hard_accuracy : ndarray of shape (n_values,), default=None
        The hard-label student's accuracy, per value.
    hard_fidelity : ndarray of shape (n_values,), default=None
        The hard-label student's fidelity, per value.
    n_nonzero : ndarray of shape (n_values,) of int, default=None
        Number of features with a non-zero coefficient (in any class) of
        each distilled student, for a sweep over ``C``.
    hard_n_nonzero : ndarray of shape (n_values,) of int, default=None
        The same for the hard-label students.

    Attributes
    ----------
    lines_ : dict of str to matplotlib Line2D
        The curves drawn: ``"accuracy"``, ``"fidelity"``, and, when drawn,
        ``"hard_accuracy"`` and ``"hard_fidelity"``.
    teacher_line_ : matplotlib Line2D or None
        The teacher's accuracy; None when unknown.
    ax_ : matplotlib Axes
        Axes with the curves.
    figure_ : matplotlib Figure
        Figure holding the axes.

    See Also
    --------
    skdistill.regularization_path : The students of a sweep over ``C``.
    sklearn.model_selection.ValidationCurveDisplay : A score against a
        parameter by cross-validation; with ``scoring=fidelity_score`` it
        draws a cross-validated fidelity curve.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> from sklearn.datasets import load_wine
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.model_selection import train_test_split
    >>> from sklearn.preprocessing import scale
    >>> from skdistill import DistilledDecisionTree, FidelityCurveDisplay
    >>> X, y = load_wine(return_X_y=True)
    >>> X_train, X_test, y_train, y_test = train_test_split(
    ...     scale(X), y, test_size=0.5, stratify=y, random_state=0
    ... )
    >>> teacher = LogisticRegression().fit(X_train, y_train)
    >>> display = FidelityCurveDisplay.from_estimator(
    ...     DistilledDecisionTree(teacher, random_state=0),
    ...     X_train, y_train, X_test, y_test,
    ...     param_name="max_depth", param_range=[1, 2, 3, 4],
    ... )
    >>> display.fidelity.shape, display.hard_fidelity.shape
    ((4,), (4,))
    >>> sorted(display.lines_)
    ['accuracy', 'fidelity', 'hard_accuracy', 'hard_fidelity']
    >>> plt.close("all")
    """

    def __init__(
        self,
        *,
        param_name,
        param_range,
        accuracy,
        fidelity,
        teacher_accuracy=None,
        hard_accuracy=None,
        hard_fidelity=None,
        n_nonzero=None,
        hard_n_nonzero=None,
    ):
        self.param_name = param_name
        self.param_range = param_range
        self.accuracy = accuracy
        self.fidelity = fidelity
        self.teacher_accuracy = teacher_accuracy
        self.hard_accuracy = hard_accuracy
        self.hard_fidelity = hard_fidelity
        self.n_nonzero = n_nonzero
        self.hard_n_nonzero = hard_n_nonzero

    def plot(self, ax=None, *, x="param", hard_labels=True, line_kw=None):
        """Draw accuracy and fidelity against the parameter.

        The distilled student's curves are solid, the hard-label student's
        dashed in the same colours, the teacher's accuracy a dotted grey line.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to draw on; a new figure when None.
        x : {"param", "n_nonzero"}, default="param"
            Against the parameter's values (numbers on a log scale when they
            span decades, other values as categories), or against the number
            of features with a non-zero coefficient (a sweep over ``C`` of a
            linear student only).
        hard_labels : bool, default=True
            Draw the hard-label student's curves, when they were computed.
        line_kw : dict, default=None
            Keywords for every curve's ``plot`` call (``linewidth``, ...).

        Returns
        -------
        display : FidelityCurveDisplay
            This display, with ``lines_``, ``teacher_line_``, ``ax_`` and
            ``figure_`` set.
        """
        owner = f"{type(self).__name__}.plot"
        check_matplotlib_support(owner)
        import matplotlib.pyplot as plt

        if x not in ("param", "n_nonzero"):
            raise ValueError(
                f"{owner}: x={x!r} is not 'param' or 'n_nonzero'; pass 'param' to "
                "plot against the values of param_name, 'n_nonzero' against the "
                "number of features a linear student uses."
            )
        if x == "n_nonzero" and self.n_nonzero is None:
            raise ValueError(
                f"{owner}: x='n_nonzero' needs the number of non-zero "
                f"coefficients of each student, which this display (a sweep over "
                f"{self.param_name!r}) has not: only a sweep over 'C' of a "
                "DistilledLogisticRegression records it. Pass x='param'."
            )
        if ax is None:
            _, ax = plt.subplots()
        line_kw = {} if line_kw is None else line_kw
        draw_hard = hard_labels and self.hard_accuracy is not None
        if x == "n_nonzero":
            positions = np.asarray(self.n_nonzero)
            hard_positions = (
                positions if self.hard_n_nonzero is None else self.hard_n_nonzero
            )
            ax.set_xlabel("features with a non-zero coefficient")
        else:
            positions, ticks, scale = _param_axis(self.param_range)
            hard_positions = positions
            ax.set_xscale(scale)
            if ticks is not None:
                ax.set_xticks(positions, ticks)
            ax.set_xlabel(self.param_name)

        curves = [
            ("accuracy", positions, self.accuracy, "C0", "o-", "accuracy"),
            ("fidelity", positions, self.fidelity, "C1", "s-", "fidelity"),
        ]
        if draw_hard:
            curves += [
                (
                    "hard_accuracy",
                    hard_positions,
                    self.hard_accuracy,
                    "C0",
                    "o--",
                    "accuracy, hard labels",
                ),
                (
                    "hard_fidelity",
                    hard_positions,
                    self.hard_fidelity,
                    "C1",
                    "s--",
                    "fidelity, hard labels",
                ),
            ]
        self.lines_ = {}
        for key, xs, ys, color, style, label in curves:
            kwargs = {"color": color, "label": label}
            if key.startswith("hard"):
                kwargs["markerfacecolor"] = "none"
            (self.lines_[key],) = ax.plot(xs, ys, style, **{**kwargs, **line_kw})
        self.teacher_line_ = None
        if self.teacher_accuracy is not None:
            self.teacher_line_ = ax.axhline(
                self.teacher_accuracy,
                color="grey",
                linestyle=":",
                label="teacher accuracy",
            )
        ax.set_ylabel("score on held-out rows")
        ax.legend()
        self.ax_, self.figure_ = ax, ax.figure
        return self

    @classmethod
    def from_estimator(
        cls,
        estimator,
        X_train,
        y_train,
        X_test,
        y_test,
        *,
        param_name,
        param_range,
        sample_weight=None,
        hard_labels=True,
        ax=None,
        x="param",
        line_kw=None,
    ):
        """Fit the student once per parameter value, score it, and plot.

        The teacher runs once on X_train and once on X_test, whatever the
        number of values: each fit receives its logits on X_train as
        ``teacher_logits`` and keeps the teacher itself only to label
        synthetic rows (``augment``), which are new at each fit. An unfitted
        scikit-learn teacher is trained once, on ``(X_train, y_train)``, as
        the student's ``fit`` would train it.

        Parameters
        ----------
        estimator : classification student
            An unfitted (or fitted: it is cloned) skdistill classification
            student with its teacher, for instance
            ``DistilledDecisionTree(teacher, random_state=0)``.
        X_train : array-like of shape (n_train, n_features)
            Transfer rows each student is fitted on.
        y_train : array-like of shape (n_train,)
            Their labels, for the hard-label student (and the distilled one
            when ``alpha > 0``).
        X_test : array-like of shape (n_test, n_features)
            Held-out rows the students are scored on.
        y_test : array-like of shape (n_test,)
            Their labels.
        param_name : str
            The parameter of ``estimator`` to vary, a nested one too
            (``student__max_depth`` for a :class:`~skdistill.DistilledClassifier`).
        param_range : array-like of shape (n_values,) or int
            Its values. For ``C`` of a
            :class:`~skdistill.DistilledLogisticRegression` the students come
            from :func:`~skdistill.regularization_path`, in ascending ``C``
            (warm started, the synthetic rows of ``augment`` labelled once for
            all of them), and an int asks it for that many values of ``C``
            (with an L1 part, from the largest ``C`` at which the student is
            still empty up).
        sample_weight : array-like of shape (n_train,), default=None
            Weights of the training rows.
        hard_labels : bool, default=True
            Also fit the hard-label student at each value (``alpha=1,
            temperature=1, augment=None``; a sweep over ``alpha``,
            ``temperature`` or ``augment`` leaves it at those values).
        ax : matplotlib Axes, default=None
            Axes to draw on; a new figure when None.
        x : {"param", "n_nonzero"}, default="param"
            As for :meth:`plot`.
        line_kw : dict, default=None
            As for :meth:`plot`.

        Returns
        -------
        display : FidelityCurveDisplay
            The display, plotted.
        """
        owner = f"{cls.__name__}.from_estimator"
        check_matplotlib_support(owner)
        param_range = _checked_sweep(estimator, param_name, param_range, owner)
        if y_test is None:
            raise ValueError(
                f"{owner}: y_test is None, but the curve shows the accuracy on "
                "the test rows; pass their true labels."
            )
        if y_train is None and hard_labels:
            raise ValueError(
                f"{owner}: y_train is None, but the hard-label reference "
                "(hard_labels=True) is fitted on the true labels; pass y_train, "
                "or hard_labels=False to draw the distilled student alone."
            )
        stage = estimator._stage
        teacher = as_teacher(
            estimator.teacher,
            X_train,
            y_train,
            sample_weight,
            owner=owner,
            task=stage.task,
        )
        # The teacher's only pass over the real rows.
        z_train = teacher_outputs(stage, teacher, X_train, _num_samples(X_train), owner)
        z_test = teacher_outputs(stage, teacher, X_test, _num_samples(X_test), owner)
        classes = teacher_classes(
            teacher, z_test.shape[1], owner, "the teacher's output"
        )
        teacher_test = classes[np.argmax(z_test, axis=1)]
        distilled = clone(estimator).set_params(teacher=teacher)
        students = {"": (distilled, param_name)}
        if hard_labels:
            hard = clone(distilled).set_params(**_HARD_LABELS)
            # The hard-label student does not depend on alpha, temperature or
            # augment: a sweep over one of those fits it once.
            students["hard_"] = (
                hard,
                None if param_name in _HARD_LABELS else param_name,
            )
        fit = (X_train, y_train, sample_weight, z_train)
        scores = {}
        for prefix, (student, varied) in students.items():
            fitted, values, n_nonzero = _sweep(student, varied, param_range, fit)
            predictions = [s.predict(X_test) for s in fitted]
            scores[f"{prefix}accuracy"] = np.array(
                [accuracy_score(y_test, pred) for pred in predictions]
            )
            scores[f"{prefix}fidelity"] = np.array(
                [np.mean(pred == teacher_test) for pred in predictions]
            )
            scores[f"{prefix}n_nonzero"] = n_nonzero
            param_range = values
        display = cls(
            param_name=param_name,
            param_range=param_range,
            teacher_accuracy=float(accuracy_score(y_test, teacher_test)),
            **scores,
        )
        return display.plot(ax=ax, x=x, line_kw=line_kw)


def _checked_sweep(estimator, param_name, param_range, owner):
    """``param_range`` as a list, once the student and the name are checked."""
    name = type(estimator).__name__
    stage = getattr(estimator, "_stage", None)
    if stage is None:
        raise TypeError(
            f"{owner}: {name} is not a skdistill student; pass a classification "
            "student with its teacher (DistilledDecisionTree(teacher), ...). For a "
            "Pipeline, transform X_train and X_test first and pass its last step."
        )
    if stage.task != "classification":
        raise TypeError(
            f"{owner}: {name} is a {stage.task} student, but the curve scores "
            "accuracy and top-1 agreement, which need classes; for a regressor, "
            "use sklearn.model_selection.ValidationCurveDisplay.from_estimator "
            "with scoring=skdistill.fidelity_score."
        )
    if estimator.teacher is None:
        raise ValueError(
            f"{owner}: {name} has teacher=None, but the curve runs the teacher on "
            "the held-out rows (fidelity, and the teacher's accuracy); pass the "
            "student with its teacher."
        )
    params = estimator.get_params(deep=True)
    if param_name == "teacher" or str(param_name).startswith("teacher__"):
        raise ValueError(
            f"{owner}: param_name={param_name!r} would change the teacher, but the "
            "curve compares students of one teacher, run once; draw one curve per "
            "teacher instead."
        )
    if param_name not in params:
        candidates = [p for p in params if not p.startswith("teacher")]
        close = difflib.get_close_matches(str(param_name), candidates, n=3)
        hint = f"did you mean {close}?" if close else f"pass one of {candidates}."
        raise ValueError(
            f"{owner}: param_name={param_name!r} is not a parameter of {name}; {hint}"
        )
    if _follows_path(estimator, param_name) and isinstance(param_range, Integral):
        return param_range  # regularization_path chooses that many values of C
    if isinstance(param_range, str) or not hasattr(param_range, "__len__"):
        raise TypeError(
            f"{owner}: param_range={param_range!r} is not a sequence of values; "
            f"pass a list or an array of values of {param_name} (e.g. [2, 4, 8])."
        )
    values = list(param_range)
    if not values:
        raise ValueError(
            f"{owner}: param_range is empty; pass at least one value of {param_name}."
        )
    return values


def _follows_path(student, param_name):
    """Whether a sweep goes through :func:`~skdistill.regularization_path`."""
    return param_name == "C" and isinstance(student, DistilledLogisticRegression)


def _sweep(student, param_name, param_range, fit):
    """The students fitted at each value, the values, their non-zero counts.

    A sweep over ``C`` of a logistic student follows its regularization path,
    which also counts the features each student uses; any other sweep fits
    one clone per value, and ``param_name=None`` one student for all values.
    Every fit receives the teacher's logits.
    """
    X, y, sample_weight, logits = fit
    if param_name is None:
        fitted = clone(student).fit(
            X, y, sample_weight=sample_weight, teacher_logits=logits
        )
        return [fitted] * len(param_range), param_range, None
    if _follows_path(student, param_name):
        path = regularization_path(
            student,
            X,
            y,
            Cs=param_range,
            sample_weight=sample_weight,
            teacher_logits=logits,
        )
        return path.students, np.asarray(path.Cs), np.asarray(path.n_nonzero)
    fitted = [
        clone(student)
        .set_params(**{param_name: value})
        .fit(X, y, sample_weight=sample_weight, teacher_logits=logits)
        for value in param_range
    ]
    return fitted, param_range, None


def _param_axis(values):
    """x positions, tick labels (None for numbers) and scale of the values.

    Numbers go on a log scale when the largest gap between them is more than
    five times the smallest (scikit-learn's rule for validation curves);
    anything else (None, tuples, strings) is placed at 0, 1, 2, ... and
    labelled by its text.
    """
    numeric = all(
        isinstance(v, Real) and not isinstance(v, bool) and np.isfinite(v)
        for v in values
    )
    if not numeric:
        return np.arange(len(values)), [str(v) for v in values], "linear"
    positions = np.asarray(values, dtype=np.float64)
    gaps = np.diff(np.unique(positions))
    spread = len(gaps) > 1 and gaps.max() > 5 * gaps.min()
    scale = "log" if spread and positions.min() > 0 else "linear"
    return positions, None, scale
