"""The private scikit-learn names skdistill relies on, imported in one place.

scikit-learn does not promise these across releases; keeping them here means a
change upstream is fixed once.
"""

from sklearn.base import _fit_context
from sklearn.tree._tree import Tree, ccp_pruning_path
from sklearn.utils import _safe_indexing
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.validation import _check_sample_weight, _num_samples

__all__ = [
    "HasMethods",
    "Interval",
    "StrOptions",
    "Tree",
    "_check_sample_weight",
    "_fit_context",
    "_num_samples",
    "_safe_indexing",
    "ccp_pruning_path",
]
