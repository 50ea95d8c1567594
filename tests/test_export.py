"""Exported students are plain scikit-learn models: plot, skops and ONNX."""

import matplotlib
import numpy as np
import onnxruntime
import pytest
import skops.io as sio
from conftest import load_scaled
from numpy.testing import assert_allclose, assert_array_equal
from skl2onnx import to_onnx
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.tree import plot_tree

from skdistill import DistilledDecisionTree, DistilledLogisticRegression

matplotlib.use("Agg")

STUDENTS = {
    "linear": DistilledLogisticRegression(LogisticRegression(), temperature=2.0),
    "tree": DistilledDecisionTree(LogisticRegression(), max_depth=4, random_state=0),
}


@pytest.fixture(params=STUDENTS, ids=STUDENTS)
def fitted(request):
    X, y = load_scaled("wine")
    return clone(STUDENTS[request.param]).fit(X, y), X


def test_skops_round_trip_trusts_only_scikit_learn_types(fitted):
    student, X = fitted
    data = sio.dumps(student.to_sklearn())
    untrusted = sio.get_untrusted_types(data=data)
    # skops asks to trust the compiled tree type, for plain sklearn trees too.
    assert set(untrusted) <= {"sklearn.tree._tree.Tree"}
    loaded = sio.loads(data, trusted=untrusted or None)
    assert np.abs(loaded.predict_proba(X) - student.predict_proba(X)).max() < 1e-6
    assert_array_equal(loaded.predict(X), student.predict(X))


def test_onnx_export_predicts_the_same(fitted):
    student, X = fitted
    plain = student.to_sklearn()
    model = to_onnx(
        plain, X[:1].astype(np.float32), options={id(plain): {"zipmap": False}}
    )
    session = onnxruntime.InferenceSession(
        model.SerializeToString(), providers=["CPUExecutionProvider"]
    )
    labels, proba = session.run(None, {session.get_inputs()[0].name: X.astype("f4")})
    assert_array_equal(labels, student.predict(X))
    # float32 inference: agreement to float32 precision.
    assert_allclose(proba, student.predict_proba(X), atol=1e-5)


def test_plot_tree_draws_the_exported_tree():
    X, y = load_scaled("wine")
    student = clone(STUDENTS["tree"]).fit(X, y)
    artists = plot_tree(student.to_sklearn(), class_names=["a", "b", "c"])
    texts = [artist.get_text() for artist in artists]
    assert sum("class = " in text for text in texts) == student.tree_.node_count
