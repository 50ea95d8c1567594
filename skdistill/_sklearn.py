"""The private scikit-learn names skdistill relies on, imported in one place.

scikit-learn does not promise these across releases; keeping them here means a
change upstream is fixed once.
"""

import inspect

import numpy as np
from sklearn.base import _fit_context
from sklearn.linear_model import LogisticRegression
from sklearn.tree import DecisionTreeClassifier
from sklearn.tree._tree import Tree, ccp_pruning_path
from sklearn.utils import _safe_indexing
from sklearn.utils._optional_dependencies import check_matplotlib_support
from sklearn.utils._param_validation import (
    HasMethods,
    Interval,
    InvalidParameterError,
    StrOptions,
)
from sklearn.utils.validation import _check_sample_weight, _num_samples

__all__ = [
    "HasMethods",
    "Interval",
    "InvalidParameterError",
    "StrOptions",
    "_check_sample_weight",
    "_fit_context",
    "_num_samples",
    "_safe_indexing",
    "check_matplotlib_support",
    "ccp_pruning_path",
    "classifier_tree",
    "logistic_regression",
    "tree_parameter_constraints",
    "tree_state",
]


def logistic_regression(*, C, l1_ratio, **params):
    """``LogisticRegression`` with the penalty given by ``C`` and ``l1_ratio``.

    scikit-learn 1.8 deprecated ``penalty`` for ``l1_ratio`` alone
    (``C=inf`` for none); earlier releases need ``penalty``. An L1 part
    needs the ``saga`` solver.
    """
    if l1_ratio > 0:
        params["solver"] = "saga"
    signature = inspect.signature(LogisticRegression)
    if signature.parameters["penalty"].default != "deprecated":
        if l1_ratio == 1:
            params["penalty"] = "l1"
        elif l1_ratio > 0:
            params["penalty"] = "elasticnet"
        elif C == np.inf:
            params["penalty"], C = None, 1.0
    if l1_ratio > 0:
        params["l1_ratio"] = l1_ratio
    return LogisticRegression(C=C, **params)


def tree_parameter_constraints(names):
    """``DecisionTreeClassifier``'s constraints for the parameters ``names``."""
    return {name: DecisionTreeClassifier._parameter_constraints[name] for name in names}


def tree_state(tree):
    """``(nodes, values)`` of a fitted tree: its node records and node values."""
    state = tree.__getstate__()
    return state["nodes"], state["values"]


def classifier_tree(n_features, n_classes, max_depth, nodes, values):
    """A single-output classifier ``Tree`` from node records and values.

    ``values`` has shape ``(n_nodes, n_classes)``.
    """
    tree = Tree(n_features, np.array([n_classes], dtype=np.intp), 1)
    tree.__setstate__(
        {
            "max_depth": max_depth,
            "node_count": len(nodes),
            "nodes": nodes,
            "values": np.ascontiguousarray(values[:, None, :]),
        }
    )
    return tree
