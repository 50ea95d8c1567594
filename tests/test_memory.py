"""Peak memory of fit: X, Q and little else (tracemalloc, not timing)."""

import tracemalloc

import numpy as np
import pytest

from skdistill import DistilledDecisionTree, DistilledLogisticRegression

N_SAMPLES, N_FEATURES, N_CLASSES = 100_000, 50, 10


def _allocated_during(fit):
    tracemalloc.start()
    try:
        fit()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize(
    "student, dtype",
    [
        (DistilledLogisticRegression(None, max_iter=5), np.float64),
        (DistilledLogisticRegression(None, max_iter=5), np.float32),
        # scikit-learn's trees copy float64 X to float32 first, as the
        # hard-label DecisionTreeClassifier does: float32 X is the fair test.
        (DistilledDecisionTree(None, max_depth=3), np.float32),
        (DistilledDecisionTree(None, max_depth=3, criterion="entropy"), np.float32),
    ],
    ids=["linear-float64", "linear-float32", "tree-gini", "tree-entropy"],
)
def test_fit_holds_x_and_q_and_under_a_third_more(student, dtype):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((N_SAMPLES, N_FEATURES)).astype(dtype)
    logits = 3 * rng.standard_normal((N_SAMPLES, N_CLASSES))
    q_bytes = N_SAMPLES * N_CLASSES * 8
    peak = _allocated_during(lambda: student.fit(X, teacher_logits=logits))
    # The caller holds X; fit allocates Q (float64) and working memory.
    assert q_bytes <= peak
    assert X.nbytes + peak <= 1.3 * (X.nbytes + q_bytes)
