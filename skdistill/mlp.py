"""DistilledMLPClassifier: a small neural network trained on Hinton's loss in torch."""

import contextlib
import warnings
from numbers import Integral, Real

import numpy as np
from scipy.special import log_softmax, softmax
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

from skdistill._classification import BaseDistilledClassifier
from skdistill._mlp_rows import DeviceRows, FixedRows, RedrawnRows
from skdistill._mlp_train import forward, init_params, loss_targets, train_network
from skdistill._sklearn import Interval, StrOptions
from skdistill._torch import resolve_device, torch
from skdistill.augment import GaussianNoise
from skdistill.targets import soften
from skdistill.teachers import TorchTeacher

__all__ = ["DistilledMLPClassifier"]


class DistilledMLPClassifier(BaseDistilledClassifier):
    """A multi-layer perceptron distilled from a teacher, trained in torch.

    The network (scikit-learn's ``MLPClassifier`` architecture: fully
    connected hidden layers, one output per class) minimises Hinton's loss
    ``alpha * CE(y, softmax(s)) + (1 - alpha) * T**2 * CE(softmax(z / T),
    softmax(s / T))``, weighted by ``sample_weight``, plus scikit-learn's L2 penalty
    ``l2_alpha / (2 * batch rows) * ||W||^2``, with Adam on mini-batches, on
    the GPU when there is one (``device="auto"``). Training stops when the
    loss (or, with ``early_stopping``, the agreement with the targets' top
    class on a held-out slice of the transfer rows) has not improved by
    ``tol`` for ``n_iter_no_change`` epochs, or after ``max_iter`` epochs
    with a ``ConvergenceWarning``.

    The weights are kept as NumPy arrays (``coefs_``, ``intercepts_``, as
    scikit-learn lays them out): ``predict`` needs neither torch nor a GPU,
    a student trained on CUDA loads anywhere, and :meth:`to_sklearn` returns
    a fitted ``MLPClassifier`` with the same probabilities.

    A small network learns far more from a teacher than a linear model or a
    tree can, since it can represent it; it gains most with many augmented
    transfer rows: with ``augment=GaussianNoise(n_copies=30)`` networks of 8
    to 32 hidden units close 65-100 % of the gap between the same network
    trained on labels and a CNN teacher on digits (``docs/quality.rst``).

    Parameters
    ----------
    teacher : TorchTeacher, torch.nn.Module, classifier or callable
        The model to distil, as for
        :class:`~skdistill.DistilledLogisticRegression`.
    hidden_layer_sizes : array-like of shape (n_layers - 2,), default=(100,)
        Units of each hidden layer, as in ``MLPClassifier``.
    activation : {"identity", "logistic", "tanh", "relu"}, default="relu"
        The hidden layers' activation, as in ``MLPClassifier``.
    temperature : float, default=2.0
        Softening temperature ``T > 0`` of the soft term.
    alpha : float, default=0.0
        Weight of the hard labels, in ``[0, 1]`` (not scikit-learn's L2
        penalty, which is ``l2_alpha`` here).
    l2_alpha : float, default=1e-4
        Strength of the L2 penalty on the weights: ``MLPClassifier``'s
        ``alpha``, in its scaling. It is renamed because ``alpha`` is the
        weight of the hard labels in every skdistill student.
    batch_size : int or "auto", default="auto"
        Rows per Adam step; ``"auto"`` is ``min(200, n_samples)``.
    learning_rate_init : float, default=1e-3
        Adam's step size.
    max_iter : int, default=200
        Epochs at most (passes over the transfer rows).
    tol : float, default=1e-4
        Improvement of the loss (or validation score) that counts.
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the transfer rows and stop when
        the student's agreement with the targets' top class there stops
        improving; the best weights are kept. With augmentation the held-out
        rows are drawn from the real and the synthetic rows together, so
        near-copies of a held-out row stay in training and its score
        flatters the network: judge the student on held-out real rows.
    validation_fraction : float, default=0.1
        Share of the rows held out with ``early_stopping``.
    n_iter_no_change : int, default=10
        Epochs without improvement before training stops.
    augment : {"auto", "noise", "munge", "mixup"}, augmenter or None, default="auto"
        Synthetic transfer rows labelled by the teacher alone, as for the
        other students.
        ``"auto"`` adds Gaussian noise rows where they pay
        (:ref:`auto-augment`): 30 copies per row, at most ``AUTO_ROWS`` = 40
        000 synthetic rows in all, and only with a teacher to label them,
        ``alpha`` below 1 and X of finite floats in memory (no sparse, integer,
        boolean or categorical columns); otherwise none. ``augment_`` says what
        a fit used.
    redraw : bool, default=False
        With ``augment`` (ignored without it), draw the synthetic rows afresh
        each epoch (as many as ``augment`` makes, labelled by the teacher
        then) instead of once before training: more distinct rows for the
        same epochs, for one teacher pass over them per epoch.
    device : str or torch.device, default="auto"
        Where the network trains: ``"auto"`` is CUDA when available, else
        the CPU.
    random_state : int, RandomState instance or None, default=None
        Seeds the initial weights, the order of the rows, the held-out
        slice and a named or ``"auto"`` augmentation. Training on the CPU is
        then deterministic.
    warm_start : bool, default=False
        Start from the weights of the previous fit when the layer sizes
        match.
    verbose : bool or int, default=False
        Print the loss of each epoch, and show the progress of the
        teacher's pass in ``fit`` (rows done, rows per second, time left, as
        for :class:`~skdistill.DistilledDecisionTree`) and of the epochs
        (epochs done of at most ``max_iter``, and the time those would
        take: training often stops earlier). A ``tqdm`` bar when tqdm is
        installed, else lines on stderr about once a second.

    Attributes
    ----------
    coefs_ : list of ndarray
        Weight matrix of each layer, shape (fan_in, fan_out), float64.
    intercepts_ : list of ndarray
        Bias vector of each layer.
    classes_ : ndarray of shape (n_classes,)
        The teacher's classes.
    teacher_ : TorchTeacher, SklearnTeacher, CallableTeacher or None
        The teacher used by ``fit``.
    augment_ : GaussianNoise, augmenter or None
        The augmentation of the last fit: what ``augment`` stood for, None
        when there was none.
    n_iter_ : int
        Epochs run in the last fit.
    loss_curve_ : list of float
        Mean training loss (penalty included) of each epoch.
    loss_ : float
        The last epoch's loss.
    best_loss_ : float or None
        The lowest epoch loss; None with ``early_stopping``.
    validation_scores_ : list of float or None
        Agreement with the targets' top class on the held-out rows, per
        epoch, with ``early_stopping``; else None.
    best_validation_score_ : float or None
        The best of ``validation_scores_``.
    t_ : int
        Rows seen in training, over all epochs.
    n_layers_ : int
        Layers, input and output included.
    n_outputs_ : int
        Outputs of the network: one per class.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during fit, when X has string column names.

    See Also
    --------
    sklearn.neural_network.MLPClassifier : The same network on hard labels;
        :meth:`to_sklearn` returns one.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.ensemble import RandomForestClassifier
    >>> from skdistill import DistilledMLPClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> forest = RandomForestClassifier(random_state=0).fit(X, y)
    >>> student = DistilledMLPClassifier(
    ...     forest, hidden_layer_sizes=(16,), learning_rate_init=0.01,
    ...     random_state=0,
    ... ).fit(X)
    >>> bool(student.score(X, y) > 0.9), type(student.to_sklearn()).__name__
    (True, 'MLPClassifier')
    """

    _parameter_constraints = {
        **BaseDistilledClassifier._parameter_constraints,
        "hidden_layer_sizes": [
            "array-like",
            Interval(Integral, 1, None, closed="left"),
        ],
        "activation": [StrOptions({"identity", "logistic", "tanh", "relu"})],
        "l2_alpha": [Interval(Real, 0, None, closed="left")],
        "batch_size": [
            StrOptions({"auto"}),
            Interval(Integral, 1, None, closed="left"),
        ],
        "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "redraw": ["boolean"],
        "device": "no_validation",  # resolve_device names the fix
        "random_state": ["random_state"],
        "warm_start": ["boolean"],
        "verbose": ["verbose"],
    }

    _validate_kwargs = {"accept_sparse": False, "dtype": [np.float64, np.float32]}
    _auto_copies = 30  # docs/quality.rst, "Defaults"

    def __init__(
        self,
        teacher,
        *,
        hidden_layer_sizes=(100,),
        activation="relu",
        temperature=2.0,
        alpha=0.0,
        l2_alpha=1e-4,
        batch_size="auto",
        learning_rate_init=1e-3,
        max_iter=200,
        tol=1e-4,
        early_stopping=False,
        validation_fraction=0.1,
        n_iter_no_change=10,
        augment="auto",
        redraw=False,
        device="auto",
        random_state=None,
        warm_start=False,
        verbose=False,
    ):
        self.teacher = teacher
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.temperature = temperature
        self.alpha = alpha
        self.l2_alpha = l2_alpha
        self.batch_size = batch_size
        self.learning_rate_init = learning_rate_init
        self.max_iter = max_iter
        self.tol = tol
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.augment = augment
        self.redraw = redraw
        self.device = device
        self.random_state = random_state
        self.warm_start = warm_start
        self.verbose = verbose

    def _synthetic_rows(self, augmenter, n_samples):
        # Redrawn rows are labelled in each epoch, not in the teacher's pass.
        return 0 if self.redraw else super()._synthetic_rows(augmenter, n_samples)

    def _augment(self, augmenter, teacher, X, X_raw, outputs, sample_weight):
        if not self.redraw:
            return super()._augment(
                augmenter, teacher, X, X_raw, outputs, sample_weight
            )
        # The rows are drawn in each epoch instead (_epoch_rows).
        self._redraw = (augmenter, teacher, self._augmentable(teacher, X))
        return X, outputs, sample_weight

    def _epoch_rows(self, data, weights, rows, rng, device):
        """The rows of each epoch: fixed, or with synthetic rows redrawn.

        With ``redraw``, a torch teacher on the student's device and Gaussian
        noise, the synthetic rows are drawn and labelled on the device batch
        by batch (:class:`~skdistill._mlp_rows.DeviceRows`); otherwise each
        epoch's rows are drawn by the augmenter and labelled by the teacher
        on the CPU (:class:`~skdistill._mlp_rows.RedrawnRows`).
        """
        redraw = self.__dict__.pop("_redraw", None)
        if redraw is None:
            return contextlib.nullcontext(FixedRows(data))
        augmenter, teacher, values = redraw
        return self._redrawn_rows(
            augmenter, teacher, values[rows], data, weights, rng, device
        )

    @contextlib.contextmanager
    def _redrawn_rows(self, augmenter, teacher, values, data, weights, rng, device):
        t = torch()
        T = float(self.temperature)
        seed = int(rng.randint(np.iinfo(np.int32).max))
        labeller = (
            teacher._labeller(device)
            # Exactly GaussianNoise: a subclass may draw its rows otherwise.
            if isinstance(teacher, TorchTeacher) and type(augmenter) is GaussianNoise
            else contextlib.nullcontext()
        )
        with labeller as label:
            if label is not None:
                augmenter._validate_params()
                sd, low, high = augmenter._prepare(np.asarray(values, dtype=np.float64))
                noise = (
                    _tensor(sd, device),
                    _tensor(low, device) if augmenter.clip else None,
                    _tensor(high, device) if augmenter.clip else None,
                )
                generator = t.Generator(device=device).manual_seed(seed)
                yield DeviceRows(
                    data,
                    noise,
                    augmenter.n_copies,
                    label,
                    T,
                    generator,
                    type(self).__name__,
                    label_rows=teacher.batch_size,
                )
                return
            K = data["soft_targets"].shape[1]
            seeds = np.random.RandomState(seed)

            def draw():
                sampler = augmenter
                if "random_state" in augmenter.get_params():
                    sampler = clone(augmenter).set_params(
                        random_state=int(seeds.randint(np.iinfo(np.int32).max))
                    )
                X_new, source = sampler.sample(values)
                logits = self._synthetic_outputs(teacher, X_new, len(source), (K,))
                hard, soft = loss_targets(
                    soften(logits, T),
                    np.full(len(source), -1),
                    np.zeros(len(source)),
                    T,
                    weights[source],
                )
                return {
                    "X": _tensor(X_new, device),
                    "hard_targets": _tensor(hard, device),
                    "soft_targets": _tensor(soft, device),
                    "weights": _tensor(weights[source], device),
                }

            yield RedrawnRows(data, draw)

    def _hidden_sizes(self):
        sizes = np.atleast_1d(np.asarray(self.hidden_layer_sizes)).tolist()
        if not all(
            isinstance(s, Integral) and not isinstance(s, bool) and s > 0 for s in sizes
        ):
            raise ValueError(
                f"DistilledMLPClassifier: hidden_layer_sizes="
                f"{self.hidden_layer_sizes!r} must hold positive integers, the "
                "units of each hidden layer, e.g. (32,) or (64, 32)."
            )
        return sizes

    def _fit_targets(self, X, targets, sample_weight):
        owner = type(self).__name__
        t = torch()
        device = resolve_device(self.device, owner=owner)
        n, K = targets.logits.shape
        sizes = [X.shape[1], *self._hidden_sizes(), K]
        rng = check_random_state(self.random_state)
        start = self._warm_start_params(sizes)
        if start is None:
            start = init_params(sizes, self.activation, rng)
        generator = t.Generator().manual_seed(int(rng.randint(np.iinfo(np.int32).max)))
        weights = np.ones(n) if sample_weight is None else sample_weight
        # Rows of weight 0 teach nothing, and a batch of them alone would
        # divide 0 by 0: they are left out.
        rows = np.flatnonzero(weights > 0)
        validation = None
        if self.early_stopping:
            order = rows[t.randperm(len(rows), generator=generator).numpy()]
            n_val = int(round(self.validation_fraction * len(rows)))
            if not 1 <= n_val < len(rows):
                raise ValueError(
                    f"{owner}: validation_fraction={self.validation_fraction} of "
                    f"{len(rows)} transfer rows leaves {n_val} held out; hold out "
                    "at least one row and keep one (raise validation_fraction, or "
                    "set early_stopping=False)."
                )
            held, rows = order[:n_val], np.sort(order[n_val:])
            validation = {
                "X": _tensor(X[held], device),
                "top": t.as_tensor(targets.mixed(1.0)[held].argmax(axis=1)).to(device),
                "weights": _tensor(weights[held], device),
            }
        hard_targets, soft_targets = loss_targets(
            targets.soft()[rows],
            targets.y_index[rows],
            targets.row_alpha()[rows],
            float(self.temperature),
            weights[rows],
        )
        data = {
            "X": _tensor(X[rows], device),
            "hard_targets": _tensor(hard_targets, device),
            "soft_targets": _tensor(soft_targets, device),
            "weights": _tensor(weights[rows], device),
        }
        batch_size = (
            min(200, len(rows)) if self.batch_size == "auto" else self.batch_size
        )
        if batch_size > len(rows):
            warnings.warn(
                f"{owner}: batch_size={batch_size} is larger than the {len(rows)} "
                "rows trained on; it is clipped to them.",
                UserWarning,
                stacklevel=4,
            )
            batch_size = len(rows)
        settings = {
            "activation": self.activation,
            "temperature": float(self.temperature),
            "l2_alpha": float(self.l2_alpha),
            "learning_rate_init": float(self.learning_rate_init),
            "batch_size": batch_size,
            "max_iter": self.max_iter,
            "tol": float(self.tol),
            "n_iter_no_change": self.n_iter_no_change,
            "verbose": self.verbose,
            "device": device,
            "owner": owner,
        }
        with self._epoch_rows(data, weights[rows], rows, rng, device) as epoch_rows:
            result = train_network(*start, epoch_rows, validation, settings, generator)
        if not result["converged"]:
            warnings.warn(
                f"{owner}: training stopped at max_iter={self.max_iter} epochs "
                "before the loss stopped improving; raise max_iter (or "
                "learning_rate_init), or set early_stopping=True.",
                ConvergenceWarning,
                stacklevel=4,
            )
        self.coefs_, self.intercepts_ = result["coefs"], result["intercepts"]
        self.n_iter_ = result["n_iter"]
        self.loss_curve_ = result["loss_curve"]
        self.loss_ = self.loss_curve_[-1]
        scores = result["validation_scores"]
        self.validation_scores_ = scores
        self.best_validation_score_ = None if scores is None else max(scores)
        self.best_loss_ = None if scores is not None else result["best_loss"]
        self.t_ = result["rows_seen"]
        self.n_layers_ = len(sizes)
        self.n_outputs_ = K

    def _warm_start_params(self, sizes):
        """The previous weights, when ``warm_start`` and the sizes match."""
        if not self.warm_start or not hasattr(self, "coefs_"):
            return None
        previous = [self.coefs_[0].shape[0], *(W.shape[1] for W in self.coefs_)]
        if previous != sizes:
            return None
        return self.coefs_, self.intercepts_

    def _logits(self, X):
        X = self._validate_predict_X(X)
        return forward(X, self.coefs_, self.intercepts_, self.activation)

    def predict_proba(self, X):
        """Class probabilities (the softmax of the network's outputs).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
        """
        return softmax(self._logits(X), axis=1)

    def predict_log_proba(self, X):
        """Log of :meth:`predict_proba`, computed stably.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
        """
        return log_softmax(self._logits(X), axis=1)

    def to_sklearn(self):
        """Return a fitted scikit-learn ``MLPClassifier`` with the same network.

        Its ``predict_proba`` equals the student's (for two classes through
        scikit-learn's single logistic output, the difference of the two
        logits), so it predicts, saves with skops and exports to ONNX
        without torch or skdistill.

        Returns
        -------
        model : sklearn.neural_network.MLPClassifier

        Examples
        --------
        >>> from sklearn.datasets import load_iris
        >>> from sklearn.naive_bayes import GaussianNB
        >>> from skdistill import DistilledMLPClassifier
        >>> X, y = load_iris(return_X_y=True)
        >>> student = DistilledMLPClassifier(
        ...     GaussianNB(), hidden_layer_sizes=(8,), max_iter=50, random_state=0
        ... )
        >>> import warnings
        >>> with warnings.catch_warnings():
        ...     warnings.simplefilter("ignore")
        ...     plain = student.fit(X, y).to_sklearn()
        >>> bool(abs(plain.predict_proba(X) - student.predict_proba(X)).max() < 1e-10)
        True
        """
        check_is_fitted(self)
        model = MLPClassifier(
            hidden_layer_sizes=tuple(self._hidden_sizes()),
            activation=self.activation,
            alpha=self.l2_alpha,
            batch_size=self.batch_size,
            learning_rate_init=self.learning_rate_init,
            max_iter=self.max_iter,
            tol=self.tol,
            early_stopping=self.early_stopping,
            validation_fraction=self.validation_fraction,
            n_iter_no_change=self.n_iter_no_change,
            random_state=self.random_state,
        )
        coefs = [W.copy() for W in self.coefs_]
        intercepts = [b.copy() for b in self.intercepts_]
        if len(self.classes_) == 2:
            # scikit-learn's binary network has one logistic output:
            # sigmoid(s1 - s0) is softmax([s0, s1])[1].
            coefs[-1] = coefs[-1][:, 1:] - coefs[-1][:, :1]
            intercepts[-1] = intercepts[-1][1:] - intercepts[-1][:1]
            model.out_activation_ = "logistic"
        else:
            model.out_activation_ = "softmax"
        model.coefs_, model.intercepts_ = coefs, intercepts
        model.n_layers_ = self.n_layers_
        model.n_outputs_ = coefs[-1].shape[1]
        model.classes_ = self.classes_
        model._label_binarizer = LabelBinarizer().fit(self.classes_)
        model.n_features_in_ = self.n_features_in_
        if hasattr(self, "feature_names_in_"):
            model.feature_names_in_ = self.feature_names_in_
        for name in ("n_iter_", "loss_", "loss_curve_", "best_loss_", "t_"):
            setattr(model, name, getattr(self, name))
        model.validation_scores_ = self.validation_scores_
        model.best_validation_score_ = self.best_validation_score_
        return model


def _tensor(values, device):
    return torch().as_tensor(np.asarray(values, dtype=np.float32)).to(device)
