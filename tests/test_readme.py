"""The README's quick start runs as written."""

import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def test_quick_start_and_augmentation_run(capsys):
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)
    assert len(blocks) == 2
    namespace = {}
    exec(compile(blocks[0], str(README), "exec"), namespace)
    out = capsys.readouterr().out
    accuracy, fidelity = map(float, re.findall(r"\d\.\d{3}", out))
    assert accuracy > 0.9 and fidelity > 0.9
    assert type(namespace["plain"]).__name__ == "LogisticRegression"
    second = {}  # each block runs on its own
    exec(compile(blocks[1], str(README), "exec"), second)
    out = capsys.readouterr().out
    accuracy, fidelity = map(float, re.findall(r"\d\.\d{3}", out))
    assert accuracy > 0.85 and fidelity > 0.85
    assert second["tree"].get_depth() == 8
