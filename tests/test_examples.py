"""Every example runs to the end on the CPU (they are the docs' gallery)."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = sorted((Path(__file__).resolve().parents[1] / "examples").glob("*.py"))

# Claims an example's text makes, checked on the "model  accuracy  fidelity"
# table it prints (test R2 for a regressor): (row, other row) says the row's
# test score is higher than the other's; (row, number) that it reaches the
# number.
CLAIMS = {
    "plot_fidelity.py": [
        ("depth 10, distilled", "depth 10, hard labels"),
        ("depth  8, distilled", "depth  8, hard labels"),
    ],
    "plot_neural_student.py": [
        ("teacher (CNN)", 0.97),
        ("DistilledMLPClassifier (16) + noise", "MLPClassifier (16), labels"),
        ("DistilledMLPClassifier (16) + noise", "DistilledDecisionTree (depth 8)"),
    ],
    "plot_distilled_regressor.py": [
        ("teacher (MLP)", 0.9),
        ("distilled depth 8 + noise", "tree depth 8, fitted on y"),
        ("distilled depth 4 + noise", "tree depth 4, fitted on y"),
    ],
    "plot_temperature_search.py": [
        ("DistilledDecisionTree, tuned", "DecisionTreeClassifier, hard labels"),
    ],
    "plot_image_teacher.py": [
        ("teacher (CNN)", 0.97),
        ("DistilledDecisionTree", "DecisionTreeClassifier, hard labels"),
        ("DistilledDecisionTree", "DistilledDecisionTree, rows only"),
    ],
    "plot_unlabelled_transfer.py": [
        ("distilled + noise, 957 unlabelled", "DecisionTreeClassifier, 300 labels"),
        ("distilled, 957 unlabelled rows", "distilled, 300 labelled rows"),
    ],
}


def accuracy_table(stdout):
    """{model: test accuracy} from the rows "name  0.123  0.456" printed."""
    rows = re.findall(r"^(\S.*?)\s+(\d\.\d{3})\s+\d\.\d{3}$", stdout, re.MULTILINE)
    return {name: float(accuracy) for name, accuracy in rows}


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_example_runs(path):
    env = {**os.environ, "MPLBACKEND": "Agg"}
    result = subprocess.run(
        [sys.executable, str(path)], env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "accuracy" in result.stdout or "test R2" in result.stdout
    if path.name == "plot_distilled_tree.py":
        # The rules of the depth-3 tree: eight leaves, each with its class.
        assert result.stdout.count("class: ") == 8
    if path.name == "plot_distilled_regressor.py":
        # export_text of the depth-4 tree: sixteen leaves.
        assert result.stdout.count("value: [") == 16
    table = accuracy_table(result.stdout)
    for row, bound in CLAIMS.get(path.name, []):
        if isinstance(bound, float):
            assert table[row] >= bound, result.stdout
        else:
            assert table[row] > table[bound], result.stdout
