"""DistilledDecisionTree: a decision tree fitted to soft targets."""

import copy

import numpy as np
from sklearn.base import clone
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor
from sklearn.utils import Bunch
from sklearn.utils.validation import check_is_fitted

from skdistill._classification import BaseDistilledClassifier
from skdistill._sklearn import (
    ccp_pruning_path,
    classifier_tree,
    tree_parameter_constraints,
    tree_state,
)

__all__ = ["DistilledDecisionTree"]

# Q is rounded to a multiple of this before fitting: sums of such numbers
# with integer weights are exact, so weighted and repeated rows give the same
# tree (no split flips on a rounding difference).
_Q_GRID = 2.0**-30

_TREE_PARAMS = (
    "criterion",
    "max_depth",
    "min_samples_split",
    "min_samples_leaf",
    "min_weight_fraction_leaf",
    "max_features",
    "random_state",
    "max_leaf_nodes",
    "min_impurity_decrease",
    "ccp_alpha",
)


def _gini(q):
    return np.maximum(1.0 - np.einsum("nk,nk->n", q, q), 0.0)


def _entropy(q):
    """Entropy in bits, as scikit-learn's entropy criterion has it."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.maximum(-np.sum(np.where(q > 0, q * np.log2(q), 0.0), axis=1), 0.0)


# criterion -> (regression criterion on Q, impurity of a distribution, the
# regression impurity per unit of classifier impurity, floor added to Q).
# The squared error of K outputs is the Gini impurity / K plus a per-row
# constant; the Poisson deviance of K outputs summing to one is the entropy
# in nats / K plus a per-row constant. The constants cancel in every impurity
# decrease, so both trees split as the classifier on the replicated rows.
# Poisson refuses a child with no mass in some output, which a classifier
# allows (a pure child), hence the floor.
_CRITERIA = {
    "gini": ("squared_error", _gini, lambda k: 1.0 / k, 0.0),
    "entropy": ("poisson", _entropy, lambda k: np.log(2.0) / k, _Q_GRID),
    "log_loss": ("poisson", _entropy, lambda k: np.log(2.0) / k, _Q_GRID),
}


def _classifier_nodes(regression_tree, criterion):
    """Node records of the regression tree on Q, with a classifier's impurities.

    Node impurities become the Gini impurity or the entropy of the fitted
    distribution (the node's mean of Q), which is what the classifier on the
    replicated rows computes, so feature importances and cost-complexity
    pruning read the same.
    """
    _, impurity, _, floor = _CRITERIA[criterion]
    nodes, values = tree_state(regression_tree)
    q = np.maximum(values[:, :, 0] - floor, 0.0)
    q /= np.maximum(q.sum(axis=1, keepdims=True), 1e-300)
    nodes = nodes.copy()
    nodes["impurity"] = impurity(q)
    return nodes


def _node_means(tree, X, D, sample_weight):
    """Weighted mean of the rows of D reaching each node of ``tree``.

    Leaves are summed from the rows they hold; a split node is the sum of
    its children (scikit-learn numbers every child after its parent).
    """
    n_nodes = tree.node_count
    leaves = tree.apply(X)
    weights = np.ones(len(D)) if sample_weight is None else sample_weight
    sums = np.column_stack(
        [
            np.bincount(leaves, weights=D[:, k] * weights, minlength=n_nodes)
            for k in range(D.shape[1])
        ]
    )
    totals = np.bincount(leaves, weights=weights, minlength=n_nodes).astype(float)
    left, right = tree.children_left, tree.children_right
    for node in range(n_nodes - 1, -1, -1):
        if left[node] >= 0:
            sums[node] = sums[left[node]] + sums[right[node]]
            totals[node] = totals[left[node]] + totals[right[node]]
    return sums / np.maximum(totals, 1e-300)[:, None]


class DistilledDecisionTree(BaseDistilledClassifier):
    """Decision tree distilled from a teacher's softened predictions.

    Fits the target distributions ``Q = (1 - alpha) * softmax(z / T) + alpha
    * onehot(y)`` with a multi-output regression tree on ``Q``: squared error
    for ``criterion="gini"``, Poisson deviance for ``"entropy"``. Its splits
    are those of the classifier with that criterion on the replicated rows
    of soft-label weighting (the per-row constants ``sum_k Q_ik ** 2`` and
    ``sum_k Q_ik log Q_ik`` cancel in every impurity decrease), with no copy
    of X per class. Leaves hold the mean target distribution; with
    ``alpha=1, temperature=1`` this is scikit-learn's
    :class:`~sklearn.tree.DecisionTreeClassifier`.

    Parameters mean what they mean for ``DecisionTreeClassifier``, with
    impurities on the classifier's scale (``min_impurity_decrease`` and
    ``ccp_alpha`` are rescaled internally) and counts of original rows
    (``min_samples_split``, ``min_samples_leaf``), which are the replicated
    classifier's counts for hard targets. The splitter is ``"best"``;
    ``class_weight`` and ``monotonic_cst`` are not supported (weight rows
    with ``sample_weight``).

    ``predict_proba`` is on the teacher's scale: a leaf's distribution ``q``
    fitted at temperature ``T`` is reported as ``q ** T``, renormalised.

    Parameters
    ----------
    teacher : TorchTeacher, torch.nn.Module, classifier or callable
        The model to distil, as for
        :class:`~skdistill.DistilledLogisticRegression`.
    temperature : float, default=1.0
        Softening temperature ``T > 0`` of the teacher's logits.
    alpha : float, default=0.0
        Weight of the hard labels ``y`` in the targets, in ``[0, 1]``.
    criterion : {"gini", "entropy", "log_loss"}, default="entropy"
        Split quality, as for ``DecisionTreeClassifier``; ``"entropy"`` and
        ``"log_loss"`` are the same. The entropy makes the better student
        on average at every depth of the quality benchmark, augmented or not
        (Gini: 14 points lower on digits at depth 5), hence the default. To keep every
        split a classifier could make, the entropy tree fits ``Q + 2**-30``
        (a pure child is refused by the Poisson criterion otherwise), which
        moves a node's entropy by about 2e-8 nats per class at most.
    max_depth : int, default=None
        Maximum depth of the tree. Unlimited, and with the noise rows of
        ``augment="auto"``, the tree grows about one leaf per transfer row
        (40 082 leaves on digits' 1 257 rows, against 1 339 without them):
        set it for a tree to read.
    min_samples_split : int or float, default=2
        Minimum number of rows to split a node (a float is a fraction).
    min_samples_leaf : int or float, default=1
        Minimum number of rows in a leaf (a float is a fraction).
    min_weight_fraction_leaf : float, default=0.0
        Minimum fraction of the total sample weight in a leaf.
    max_features : int, float, {"sqrt", "log2"} or None, default=None
        Number of features considered at each split.
    max_leaf_nodes : int, default=None
        Grow best-first with at most this many leaves.
    min_impurity_decrease : float, default=0.0
        A node is split only if the weighted impurity (Gini, or entropy in
        bits) decreases by at least this.
    ccp_alpha : float, default=0.0
        Cost-complexity pruning strength, on the criterion's scale.
    random_state : int, RandomState instance or None, default=None
        Controls the order features are tried in (ties between splits),
        and seeds the augmentation when ``augment`` is a name or ``"auto"``.
    augment : {"auto", "noise", "munge", "mixup"}, augmenter or None, default="auto"
        Synthetic transfer rows, labelled by the teacher alone, added to X:
        :class:`~skdistill.augment.GaussianNoise`,
        :class:`~skdistill.augment.Munge` or :class:`~skdistill.augment.Mixup`
        (a name means its defaults). Each synthetic row weighs what its real
        row weighs; hard labels stay on the real rows. Needs dense numeric X.
        ``"auto"`` adds Gaussian noise rows where they pay
        (:ref:`auto-augment`): 100 copies per row for a tree that may grow to
        depth 8 or more (``max_depth`` None or at least 8, ``max_leaf_nodes``
        None or at least 256), none for a shallower one, at most ``AUTO_ROWS``
        = 40 000 synthetic rows in all, and only with a teacher to label them,
        ``alpha`` below 1 and X of finite floats in memory (no sparse, integer,
        boolean or categorical columns); otherwise none. ``augment_`` says what
        a fit used.
    verbose : int, default=0
        With 1 or more, show the progress of the teacher's pass in ``fit``
        (the real rows, then the synthetic ones): rows done, rows per
        second and time left. A torch teacher reports each batch, other
        teachers each call (the real rows, then each synthetic copy). A
        ``tqdm`` bar when tqdm is installed, else lines on stderr about
        once a second; nothing is shown by default.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The teacher's classes.
    tree_ : sklearn.tree._tree.Tree
        The fitted tree, in classifier form: node values on the teacher's
        scale, node impurities the Gini impurity or entropy of the fitted
        (temperature ``T``) distribution, as the replicated classifier has
        them. At ``T != 1`` the impurity is therefore not that of the value.
    feature_importances_ : ndarray of shape (n_features,)
        Normalised total impurity decrease brought by each feature.
    max_features_ : int
        The number of features tried at each split.
    teacher_ : TorchTeacher, SklearnTeacher, CallableTeacher or None
        The teacher used by ``fit``.
    augment_ : GaussianNoise, augmenter or None
        The augmentation of the last fit: what ``augment`` stood for, None
        when there was none.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during fit, when X has string column names.

    See Also
    --------
    sklearn.tree.DecisionTreeClassifier : The hard-label model;
        :meth:`to_sklearn` returns one.

    Examples
    --------
    >>> from sklearn.datasets import load_wine
    >>> from sklearn.ensemble import RandomForestClassifier
    >>> from skdistill import DistilledDecisionTree
    >>> X, y = load_wine(return_X_y=True)
    >>> forest = RandomForestClassifier(random_state=0).fit(X, y)
    >>> tree = DistilledDecisionTree(forest, max_depth=3, random_state=0).fit(X)
    >>> tree.get_depth(), tree.classes_
    (3, array([0, 1, 2]))
    >>> bool(tree.score(X, y) > 0.9)
    True
    """

    _parameter_constraints = {
        **BaseDistilledClassifier._parameter_constraints,
        **tree_parameter_constraints(_TREE_PARAMS),
        "verbose": ["verbose"],
    }

    _validate_kwargs = {"accept_sparse": "csr", "dtype": np.float32}

    @property
    def _auto_copies(self):
        # Noise rows pay from depth 8 on (docs/quality.rst, "Defaults"); a
        # shallower tree's few leaves are filled by the real rows alone.
        shallow = (self.max_depth is not None and self.max_depth < 8) or (
            self.max_leaf_nodes is not None and self.max_leaf_nodes < 2**8
        )
        return 0 if shallow else 100

    def __init__(
        self,
        teacher,
        *,
        temperature=1.0,
        alpha=0.0,
        criterion="entropy",
        max_depth=None,
        min_samples_split=2,
        min_samples_leaf=1,
        min_weight_fraction_leaf=0.0,
        max_features=None,
        max_leaf_nodes=None,
        min_impurity_decrease=0.0,
        ccp_alpha=0.0,
        random_state=None,
        augment="auto",
        verbose=0,
    ):
        self.teacher = teacher
        self.temperature = temperature
        self.alpha = alpha
        self.criterion = criterion
        self.max_depth = max_depth
        self.min_samples_split = min_samples_split
        self.min_samples_leaf = min_samples_leaf
        self.min_weight_fraction_leaf = min_weight_fraction_leaf
        self.max_features = max_features
        self.max_leaf_nodes = max_leaf_nodes
        self.min_impurity_decrease = min_impurity_decrease
        self.ccp_alpha = ccp_alpha
        self.random_state = random_state
        self.augment = augment
        self.verbose = verbose

    def _fit_targets(self, X, targets, sample_weight):
        n_classes = targets.n_classes
        regression, _, per_unit, floor = _CRITERIA[self.criterion]
        params = self._tree_params()
        params["criterion"] = regression
        unit = per_unit(n_classes)
        params["min_impurity_decrease"] = self.min_impurity_decrease * unit
        params["ccp_alpha"] = self.ccp_alpha * unit
        structure = targets.mixed()  # at temperature T: rounded in place
        structure /= _Q_GRID
        np.round(structure, out=structure)
        structure *= _Q_GRID
        structure += floor
        weights = sample_weight
        factor = 1.0
        if floor and sample_weight is not None:
            # Poisson also refuses a child whose mass falls below machine
            # epsilon; scaling all weights changes no split.
            smallest = np.min(sample_weight[sample_weight > 0], initial=1.0)
            factor = 1.0 / smallest if smallest * floor < 1e-12 else 1.0
            weights = sample_weight * factor
        regressor = DecisionTreeRegressor(**params)
        regressor.fit(X, structure, sample_weight=weights)
        del structure
        nodes = _classifier_nodes(regressor.tree_, self.criterion)
        if factor != 1.0:
            nodes["weighted_n_node_samples"] /= factor
        # Leaves predict the deploy-scale targets: the teacher's T = 1
        # probabilities mixed with the unsharpened hard labels.
        values = _node_means(regressor.tree_, X, targets.mixed(1.0), sample_weight)
        tree = regressor.tree_
        self.tree_ = classifier_tree(
            tree.n_features, n_classes, tree.max_depth, nodes, values
        )
        self.max_features_ = regressor.max_features_

    def _tree_params(self):
        return {name: getattr(self, name) for name in _TREE_PARAMS}

    def predict_proba(self, X):
        """Class probabilities on the teacher's scale: the leaf's distribution.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
        """
        X = self._validate_predict_X(X)
        return self.tree_.predict(X)

    def predict_log_proba(self, X):
        """Log of :meth:`predict_proba`.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
        """
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))

    def apply(self, X):
        """Index of the leaf each row of X ends in.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        leaves : ndarray of shape (n_samples,)
        """
        return self.tree_.apply(self._validate_predict_X(X))

    def decision_path(self, X):
        """The nodes each row of X passes through.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        indicator : sparse matrix of shape (n_samples, n_nodes)
            Non-zero where row ``i`` passes through node ``j``.
        """
        return self.tree_.decision_path(self._validate_predict_X(X))

    def get_depth(self):
        """Depth of the tree: the longest path from the root to a leaf.

        Returns
        -------
        depth : int
        """
        check_is_fitted(self)
        return self.tree_.max_depth

    def get_n_leaves(self):
        """Number of leaves of the tree.

        Returns
        -------
        n_leaves : int
        """
        check_is_fitted(self)
        return self.tree_.n_leaves

    @property
    def feature_importances_(self):
        """Normalised total impurity decrease brought by each feature.

        The same as the classifier's on the replicated rows.
        """
        check_is_fitted(self)
        return self.tree_.compute_feature_importances()

    def cost_complexity_pruning_path(
        self, X, y=None, *, sample_weight=None, teacher_logits=None
    ):
        """Effective alphas and total leaf impurities of minimal pruning.

        The path is that of the classifier on the replicated rows, so its
        alphas are values for ``ccp_alpha``.

        Parameters
        ----------
        X, y, sample_weight, teacher_logits
            As for :meth:`fit`.

        Returns
        -------
        path : Bunch
            ``ccp_alphas`` and ``impurities``, increasing.
        """
        unpruned = clone(self).set_params(ccp_alpha=0.0)
        unpruned.fit(X, y, sample_weight=sample_weight, teacher_logits=teacher_logits)
        return Bunch(**ccp_pruning_path(unpruned.tree_))

    def _walk(self, feature_names):
        """The tree in pre-order, as events.

        ``("split", depth, condition)`` opens each branch, with ``condition``
        a ``(feature, "<=" or ">", threshold)`` tuple; ``("leaf", depth,
        node, conditions)`` is each leaf, left to right, with the conditions
        of its path.
        """
        check_is_fitted(self)
        names = self._feature_names(feature_names)
        tree = self.tree_

        def visit(node, depth, conditions):
            left, right = tree.children_left[node], tree.children_right[node]
            if left == right:
                yield "leaf", depth, node, conditions
                return
            name, threshold = names[tree.feature[node]], float(tree.threshold[node])
            for op, child in (("<=", left), (">", right)):
                condition = (name, op, threshold)
                yield "split", depth, condition
                yield from visit(child, depth + 1, [*conditions, condition])

        yield from visit(0, 0, [])

    def rules(self, *, feature_names=None):
        """The tree as data: one rule per leaf, left to right.

        Parameters
        ----------
        feature_names : list of str, default=None
            Names of the features; ``feature_names_in_`` or ``x0, x1, ...``
            when None.

        Returns
        -------
        rules : list of dict
            One dict per leaf with ``conditions`` (the path, a list of
            ``(feature, "<=" or ">", threshold)`` tuples with the exact
            thresholds), ``class`` (the predicted label), ``probability``
            (its probability), ``distribution`` (label -> probability, on
            the teacher's scale), ``n_samples`` (training rows in the leaf)
            and ``support`` (their share of the training weight).
            ``pandas.DataFrame(tree.rules())`` makes a table.

        Examples
        --------
        >>> from sklearn.datasets import load_iris
        >>> from sklearn.naive_bayes import GaussianNB
        >>> from skdistill import DistilledDecisionTree
        >>> X, y = load_iris(return_X_y=True)
        >>> tree = DistilledDecisionTree(GaussianNB(), max_depth=1, random_state=0)
        >>> rule = tree.fit(X, y).rules()[0]
        >>> rule["conditions"], rule["class"], rule["n_samples"]
        ([('x3', '<=', 0.800000011920929)], 0, 50)
        """
        tree = self.tree_
        total = tree.weighted_n_node_samples[0]
        labels = self.classes_.tolist()
        rules = []
        for event in self._walk(feature_names):
            if event[0] != "leaf":
                continue
            _, _, node, conditions = event
            distribution = tree.value[node, 0]
            best = int(np.argmax(distribution))
            rules.append(
                {
                    "conditions": conditions,
                    "class": labels[best],
                    "probability": float(distribution[best]),
                    "distribution": dict(zip(labels, distribution.tolist())),
                    "n_samples": int(tree.n_node_samples[node]),
                    "support": float(tree.weighted_n_node_samples[node] / total),
                }
            )
        return rules

    def export_text(self, *, feature_names=None, class_names=None, decimals=2):
        """The tree as text, with each leaf's class distribution and support.

        Parameters
        ----------
        feature_names : list of str, default=None
            Names of the features; ``feature_names_in_`` or ``x0, x1, ...``
            when None.
        class_names : list of str, default=None
            Names of the classes, in the order of ``classes_``.
        decimals : int, default=2
            Decimals of thresholds and probabilities.

        Returns
        -------
        text : str

        Examples
        --------
        >>> from sklearn.datasets import load_iris
        >>> from sklearn.naive_bayes import GaussianNB
        >>> from skdistill import DistilledDecisionTree
        >>> X, y = load_iris(return_X_y=True)
        >>> tree = DistilledDecisionTree(GaussianNB(), max_depth=1, random_state=0)
        >>> print(tree.fit(X, y).export_text(class_names=["se", "ve", "vi"]))
        |--- x3 <= 0.80
        |   |--- class: se (1.00; se 1.00, ve 0.00, vi 0.00; 50 rows, 33%)
        |--- x3 >  0.80
        |   |--- class: vi (0.50; se 0.00, ve 0.50, vi 0.50; 100 rows, 67%)
        <BLANKLINE>
        """
        check_is_fitted(self)
        classes = self.classes_ if class_names is None else class_names
        labels = [str(c) for c in classes]
        if len(labels) != len(self.classes_):
            raise ValueError(
                f"DistilledDecisionTree: class_names has {len(labels)} entries "
                f"but the tree has {len(self.classes_)} classes; pass one name "
                "per entry of classes_."
            )
        tree = self.tree_
        total = tree.weighted_n_node_samples[0]
        lines = []
        for event in self._walk(feature_names):
            indent = "|   " * event[1] + "|--- "
            if event[0] == "split":
                name, op, threshold = event[2]
                op = "<=" if op == "<=" else "> "
                lines.append(f"{indent}{name} {op} {threshold:.{decimals}f}")
                continue
            node = event[2]
            p = tree.value[node, 0]
            best = int(np.argmax(p))
            spread = ", ".join(f"{c} {v:.{decimals}f}" for c, v in zip(labels, p))
            share = tree.weighted_n_node_samples[node] / total
            lines.append(
                f"{indent}class: {labels[best]} ({p[best]:.{decimals}f}; {spread}; "
                f"{tree.n_node_samples[node]} rows, {share:.0%})"
            )
        return "\n".join(lines) + "\n"

    def to_sklearn(self):
        """Return a fitted scikit-learn ``DecisionTreeClassifier``, no teacher.

        It holds a copy of ``tree_``, so its predictions and probabilities
        equal this student's, and ``export_text``, ``plot_tree``, skops and
        skl2onnx work on it unchanged.

        Returns
        -------
        model : sklearn.tree.DecisionTreeClassifier

        Examples
        --------
        >>> from sklearn.datasets import load_iris
        >>> from sklearn.naive_bayes import GaussianNB
        >>> from sklearn.tree import export_text
        >>> from skdistill import DistilledDecisionTree
        >>> X, y = load_iris(return_X_y=True)
        >>> tree = DistilledDecisionTree(GaussianNB(), max_depth=1, random_state=0)
        >>> student = tree.fit(X, y)
        >>> print(export_text(student.to_sklearn()))
        |--- feature_3 <= 0.80
        |   |--- class: 0
        |--- feature_3 >  0.80
        |   |--- class: 2
        <BLANKLINE>
        """
        check_is_fitted(self)
        model = DecisionTreeClassifier(**self._tree_params())
        model.classes_ = self.classes_.copy()
        model.n_classes_ = np.intp(len(self.classes_))
        model.n_outputs_ = 1
        model.max_features_ = self.max_features_
        model.n_features_in_ = self.n_features_in_
        if hasattr(self, "feature_names_in_"):
            model.feature_names_in_ = self.feature_names_in_.copy()
        model.tree_ = copy.deepcopy(self.tree_)
        return model
