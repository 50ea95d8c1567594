"""Exported students are plain scikit-learn models: plot, skops and ONNX."""

import io
import json
import zipfile

import matplotlib
import numpy as np
import onnxruntime
import pytest
import skops.io as sio
from conftest import load_scaled, random_mlp
from numpy.testing import assert_allclose, assert_array_equal
from skl2onnx import to_onnx
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.tree import plot_tree
from skops.io.exceptions import UntrustedTypesFoundException

from skdistill import (
    DistilledClassifier,
    DistilledDecisionTree,
    DistilledLogisticRegression,
)

matplotlib.use("Agg")

STUDENTS = {
    "linear": DistilledLogisticRegression(LogisticRegression(), temperature=2.0),
    "tree": DistilledDecisionTree(LogisticRegression(), max_depth=4, random_state=0),
    "wrapper": DistilledClassifier(LogisticRegression(), LogisticRegression()),
}

# What skops asks a loader to trust: the compiled tree, for plain scikit-learn
# trees too. Every other type in an exported student is one skops trusts.
SKLEARN_UNTRUSTED = {"sklearn.tree._tree.Tree"}

# Modules a plain scikit-learn model is made of in a skops file.
PLAIN_MODULES = ("builtins", "numpy", "sklearn")


def skops_type_names(data):
    """Every type a skops file names, as ``module.Class``."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        schema = json.loads(archive.read("schema.json"))
    names, nodes = set(), [schema]
    while nodes:
        node = nodes.pop()
        if isinstance(node, dict):
            if "__module__" in node:
                names.add(f"{node['__module__']}.{node['__class__']}")
            nodes.extend(node.values())
        elif isinstance(node, list):
            nodes.extend(node)
    return names


def assert_plain_scikit_learn_file(data):
    """A skops file of a plain scikit-learn model, with nothing of skdistill,
    torch or pickled objects inside."""
    names = skops_type_names(data)
    assert names, "no types found: has skops's file format changed?"
    # No skdistill, no torch: only what scikit-learn itself is made of.
    assert {name.split(".")[0] for name in names} <= set(PLAIN_MODULES), names
    assert set(sio.get_untrusted_types(data=data)) <= SKLEARN_UNTRUSTED
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        arrays = [name for name in archive.namelist() if name.endswith(".npy")]
        for name in arrays:
            # allow_pickle=False refuses object arrays: every array is numbers.
            np.load(io.BytesIO(archive.read(name)), allow_pickle=False)


@pytest.fixture(params=STUDENTS, ids=STUDENTS)
def fitted(request):
    X, y = load_scaled("wine")
    return clone(STUDENTS[request.param]).fit(X, y), X


def test_skops_round_trip_trusts_only_scikit_learn_types(fitted):
    student, X = fitted
    data = sio.dumps(student.to_sklearn())
    assert_plain_scikit_learn_file(data)
    loaded = sio.loads(data, trusted=sorted(SKLEARN_UNTRUSTED))
    assert np.abs(loaded.predict_proba(X) - student.predict_proba(X)).max() < 1e-6
    assert_array_equal(loaded.predict(X), student.predict(X))


@pytest.mark.parametrize("trusted", [None, []])
def test_skops_load_refuses_untrusted_types(trusted):
    X, y = load_scaled("wine")
    student = clone(STUDENTS["tree"]).fit(X, y)
    data = sio.dumps(student.to_sklearn())
    with pytest.raises(
        UntrustedTypesFoundException, match=r"sklearn\.tree\._tree\.Tree"
    ):
        sio.loads(data, trusted=trusted)


@pytest.mark.parametrize("name", STUDENTS)
def test_torch_taught_student_exports_without_torch_or_skdistill(name):
    X, y = load_scaled("wine")
    # The bare module: to_sklearn must leave the teacher behind.
    student = clone(STUDENTS[name]).set_params(teacher=random_mlp(X.shape[1], 3))
    student.fit(X, y)
    data = sio.dumps(student.to_sklearn())
    assert_plain_scikit_learn_file(data)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        schema = archive.read("schema.json").decode()
    assert "torch" not in schema and "skdistill" not in schema
    loaded = sio.loads(data, trusted=sorted(SKLEARN_UNTRUSTED))
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
