"""Transfer-set augmentation: synthetic rows that only the teacher labels.

Soft labels on the training rows alone tell a simple student little it could
not learn from the hard labels; the teacher's knowledge reaches it through
more points labelled by the teacher (Bucilua, Caruana & Niculescu-Mizil 2006,
"Model Compression"). Each augmenter makes ``n_copies`` synthetic rows per
real row, copy by copy, so its temporaries stay the size of X however many
copies are asked for.

An augmenter is a small estimator (``get_params``/``set_params``), so
``GridSearchCV`` tunes ``augment__scale`` and friends.
"""

from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.neighbors import NearestNeighbors
from sklearn.utils import check_random_state

from skdistill._sklearn import Interval, StrOptions

__all__ = ["GaussianNoise", "Mixup", "Munge", "resolve_augment"]


class _Augmenter(BaseEstimator):
    """Base class: ``sample(X) -> (X_synthetic, source_rows)``."""

    def sample(self, X):
        """Make ``n_copies`` synthetic rows per row of X.

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_features)
            Real rows, dense and numeric.

        Returns
        -------
        X_synthetic : ndarray of shape (n_copies * n_samples, n_features)
            In the dtype of X; copy ``c`` is rows ``c * n_samples`` to
            ``(c + 1) * n_samples``.
        source : ndarray of shape (n_copies * n_samples,)
            The real row each synthetic row was made from.
        """
        copies, sources = zip(*self.iter_samples(X))
        return np.concatenate(copies), np.concatenate(sources)

    def iter_samples(self, X):
        """Yield the synthetic rows one copy of X at a time.

        The students consume this, so memory for the synthetic rows stays
        bounded by one copy of X at a time besides the training set itself.

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_features)
            Real rows, dense and numeric.

        Yields
        ------
        X_copy : ndarray of shape (n_samples, n_features)
            One synthetic row per real row, in the dtype of X.
        source : ndarray of shape (n_samples,)
            ``arange(n_samples)``: the real row each synthetic row was made
            from.
        """
        # Validated here, not at the first next(): a bad n_copies fails at once.
        self._validate_params()
        X = np.asarray(X)
        return self._copies(X, self._prepare(X), check_random_state(self.random_state))

    def _copies(self, X, state, rng):
        source = np.arange(len(X))
        for _ in range(self.n_copies):
            yield self._one_copy(X, state, rng).astype(X.dtype, copy=False), source

    def _prepare(self, X):
        return None


class GaussianNoise(_Augmenter):
    """Real rows plus Gaussian noise, clipped to the observed range.

    Parameters
    ----------
    n_copies : int, default=10
        Synthetic rows per real row.
    scale : float, default=0.4
        Standard deviation of the noise, as a multiple of the data's spread.
    spread : {"feature", "pooled"}, default="feature"
        ``"feature"``: each feature's own standard deviation, so a constant
        feature stays constant; ``"pooled"``: one spread for all features,
        the root mean variance of the features. The defaults are the best of
        the quality benchmark on digits (``docs/design.rst``).
    clip : bool, default=True
        Clip each feature to its observed ``[min, max]``, so synthetic rows
        stay where the teacher has seen data.
    random_state : int, RandomState instance or None, default=None
        Seed of the noise.

    Examples
    --------
    >>> import numpy as np
    >>> from skdistill.augment import GaussianNoise
    >>> X = np.arange(12.0).reshape(4, 3)
    >>> X_new, source = GaussianNoise(n_copies=2, random_state=0).sample(X)
    >>> X_new.shape, source.tolist()
    ((8, 3), [0, 1, 2, 3, 0, 1, 2, 3])
    >>> bool((X_new >= X.min(axis=0)).all() and (X_new <= X.max(axis=0)).all())
    True
    """

    _parameter_constraints = {
        "n_copies": [Interval(Integral, 1, None, closed="left")],
        "scale": [Interval(Real, 0, None, closed="left")],
        "spread": [StrOptions({"pooled", "feature"})],
        "clip": ["boolean"],
        "random_state": ["random_state"],
    }

    def __init__(
        self, n_copies=10, scale=0.4, *, spread="feature", clip=True, random_state=None
    ):
        self.n_copies = n_copies
        self.scale = scale
        self.spread = spread
        self.clip = clip
        self.random_state = random_state

    def _prepare(self, X):
        std = X.std(axis=0)
        if self.spread == "pooled":
            std = np.full_like(std, np.sqrt(np.mean(std**2)))
        return self.scale * std, X.min(axis=0), X.max(axis=0)

    def _one_copy(self, X, state, rng):
        sd, low, high = state
        noisy = X + rng.standard_normal(X.shape) * sd
        return np.clip(noisy, low, high) if self.clip else noisy


class Munge(_Augmenter):
    """MUNGE (Bucilua et al. 2006): swap values with the nearest neighbour.

    For each real row ``e`` and its nearest neighbour ``e'`` (Euclidean, on
    standardised features), each feature is, with probability ``p_swap``,
    redrawn from a normal around the neighbour's value with standard
    deviation ``|e_a - e'_a| / spread``; the other features keep ``e``'s
    values. A constant feature has ``e_a == e'_a`` and stays constant.

    Parameters
    ----------
    n_copies : int, default=10
        Synthetic rows per real row.
    p_swap : float, default=0.5
        Probability that a feature is redrawn.
    spread : float, default=1.0
        Divides the distance between the two values; larger keeps the draw
        closer to the neighbour's value.
    random_state : int, RandomState instance or None, default=None
        Seed of the draws.

    Examples
    --------
    >>> import numpy as np
    >>> from skdistill.augment import Munge
    >>> X = np.array([[0.0, 5.0], [1.0, 5.0], [10.0, 5.0], [11.0, 5.0]])
    >>> X_new, _ = Munge(n_copies=3, random_state=0).sample(X)
    >>> X_new.shape, bool((X_new[:, 1] == 5.0).all())
    ((12, 2), True)
    """

    _parameter_constraints = {
        "n_copies": [Interval(Integral, 1, None, closed="left")],
        "p_swap": [Interval(Real, 0, 1, closed="both")],
        "spread": [Interval(Real, 0, None, closed="neither")],
        "random_state": ["random_state"],
    }

    def __init__(self, n_copies=10, p_swap=0.5, spread=1.0, *, random_state=None):
        self.n_copies = n_copies
        self.p_swap = p_swap
        self.spread = spread
        self.random_state = random_state

    def _prepare(self, X):
        if len(X) < 2:
            return X, np.zeros_like(X)
        std = X.std(axis=0)
        Z = (X - X.mean(axis=0)) / np.where(std > 0, std, 1.0)
        neighbours = NearestNeighbors(n_neighbors=2).fit(Z)
        index = neighbours.kneighbors(Z, return_distance=False)
        # The first neighbour is the row itself unless it has duplicates.
        own = index[:, 0] == np.arange(len(X))
        partner = X[np.where(own, index[:, 1], index[:, 0])]
        return partner, np.abs(X - partner) / self.spread

    def _one_copy(self, X, state, rng):
        partner, sd = state
        swap = rng.random(X.shape) < self.p_swap
        drawn = partner + rng.standard_normal(X.shape) * sd
        return np.where(swap, drawn, X)


class Mixup(_Augmenter):
    """Convex combinations of two real rows (Zhang et al. 2018).

    Each synthetic row is ``lam * x_i + (1 - lam) * x_j`` for a random other
    row ``j`` and ``lam ~ Beta(alpha, alpha)``.

    Parameters
    ----------
    n_copies : int, default=10
        Synthetic rows per real row.
    alpha : float, default=0.4
        Beta parameter: small values keep rows near one of the two ends.
    random_state : int, RandomState instance or None, default=None
        Seed of the draws.

    Examples
    --------
    >>> import numpy as np
    >>> from skdistill.augment import Mixup
    >>> X = np.array([[0.0, 0.0], [1.0, 1.0]])
    >>> X_new, _ = Mixup(n_copies=5, random_state=0).sample(X)
    >>> bool(((0 <= X_new) & (X_new <= 1)).all())
    True
    """

    _parameter_constraints = {
        "n_copies": [Interval(Integral, 1, None, closed="left")],
        "alpha": [Interval(Real, 0, None, closed="neither")],
        "random_state": ["random_state"],
    }

    def __init__(self, n_copies=10, alpha=0.4, *, random_state=None):
        self.n_copies = n_copies
        self.alpha = alpha
        self.random_state = random_state

    def _one_copy(self, X, state, rng):
        other = X[rng.permutation(len(X))]
        lam = rng.beta(self.alpha, self.alpha, size=(len(X), 1))
        return lam * X + (1.0 - lam) * other


_BY_NAME = {"noise": GaussianNoise, "munge": Munge, "mixup": Mixup}


def resolve_augment(augment, owner="resolve_augment", *, random_state=None):
    """The augmenter an ``augment=`` value stands for.

    Parameters
    ----------
    augment : None, {"noise", "munge", "mixup"} or augmenter
        A name means that augmenter with its defaults.
    owner : str, default="resolve_augment"
        Name used in error messages (the student's class).
    random_state : int, RandomState instance or None, default=None
        Seed of the augmenter a name stands for (the student's
        ``random_state``); an augmenter object keeps its own.

    Returns
    -------
    augmenter : GaussianNoise, Munge, Mixup, other object with ``sample``, or None

    Examples
    --------
    >>> from skdistill.augment import resolve_augment
    >>> resolve_augment("munge", random_state=0)
    Munge(random_state=0)
    """
    if augment is None or hasattr(augment, "sample"):
        return augment
    if isinstance(augment, str) and augment in _BY_NAME:
        return _BY_NAME[augment](random_state=random_state)
    raise ValueError(
        f"{owner}: augment={augment!r} is not an augmentation; pass one of "
        f"{sorted(_BY_NAME)}, an augmenter such as GaussianNoise(scale=0.3), or "
        "None."
    )
