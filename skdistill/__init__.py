"""skdistill: distil a trained teacher into small, interpretable students."""

from skdistill._path import regularization_path
from skdistill.display import AgreementDisplay, FidelityCurveDisplay
from skdistill.linear import DistilledLogisticRegression
from skdistill.metrics import fidelity_report, fidelity_score
from skdistill.mlp import DistilledMLPClassifier
from skdistill.regressor import DistilledRegressor
from skdistill.teachers import TorchTeacher
from skdistill.tree import DistilledDecisionTree
from skdistill.wrapper import DistilledClassifier

__all__ = [
    "AgreementDisplay",
    "DistilledClassifier",
    "DistilledDecisionTree",
    "DistilledLogisticRegression",
    "DistilledMLPClassifier",
    "DistilledRegressor",
    "FidelityCurveDisplay",
    "TorchTeacher",
    "__version__",
    "fidelity_report",
    "fidelity_score",
    "regularization_path",
]

__version__ = "0.1.0.dev0"
