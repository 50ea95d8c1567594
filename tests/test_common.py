"""scikit-learn's own estimator checks, over every public estimator."""

from sklearn.linear_model import LogisticRegression
from sklearn.utils.estimator_checks import parametrize_with_checks

from skdistill import DistilledLogisticRegression

# The teacher is unfitted, so it is trained inside fit on each check's data
# (whatever its shape or labels). LogisticRegression is deterministic and
# takes sample_weight, so weighted and repeated rows give the same teacher.
ESTIMATORS = [
    DistilledLogisticRegression(LogisticRegression(max_iter=1000)),
    DistilledLogisticRegression(LogisticRegression(max_iter=1000), alpha=0.5),
]


def expected_failed_checks(estimator):
    return {}


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=expected_failed_checks)
def test_sklearn_compatible(estimator, check):
    check(estimator)
