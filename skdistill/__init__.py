"""skdistill: distil a trained teacher into small, interpretable students."""

from skdistill.linear import DistilledLogisticRegression
from skdistill.metrics import fidelity_score
from skdistill.mlp import DistilledMLPClassifier
from skdistill.regressor import DistilledRegressor
from skdistill.teachers import TorchTeacher
from skdistill.tree import DistilledDecisionTree
from skdistill.wrapper import DistilledClassifier

__all__ = [
    "DistilledClassifier",
    "DistilledDecisionTree",
    "DistilledLogisticRegression",
    "DistilledMLPClassifier",
    "DistilledRegressor",
    "TorchTeacher",
    "__version__",
    "fidelity_score",
]

__version__ = "0.1.0.dev0"
