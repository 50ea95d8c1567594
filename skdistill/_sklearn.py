"""The private scikit-learn names skdistill relies on, imported in one place.

scikit-learn does not promise these across releases; keeping them here means a
change upstream is fixed once.
"""

from sklearn.base import _fit_context
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions

__all__ = ["HasMethods", "Interval", "StrOptions", "_fit_context"]
