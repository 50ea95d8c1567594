"""The private scikit-learn names skdistill relies on, imported in one place.

scikit-learn does not promise these across releases; keeping them here means a
change upstream is fixed once.
"""

from sklearn.base import _fit_context
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import _check_sample_weight

__all__ = ["Interval", "StrOptions", "_check_sample_weight", "_fit_context"]
