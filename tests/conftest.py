import numpy as np
import pytest
import torch
from sklearn.datasets import load_breast_cancer, load_digits, load_wine
from sklearn.preprocessing import StandardScaler

DATASETS = {
    "wine": load_wine,
    "digits": load_digits,
    "breast_cancer": load_breast_cancer,
}


def load_scaled(name):
    """A data set that ships with scikit-learn, standardised."""
    X, y = DATASETS[name](return_X_y=True)
    return StandardScaler().fit_transform(X), y


def random_mlp(n_features, n_classes, *, seed=0, hidden=16):
    """A fixed, untrained torch MLP: a smooth non-linear teacher."""
    torch.manual_seed(seed)
    return torch.nn.Sequential(
        torch.nn.Linear(n_features, hidden),
        torch.nn.Tanh(),
        torch.nn.Linear(hidden, n_classes),
    ).double()


class RowCounter(torch.nn.Module):
    """Wraps a module and counts the rows it is asked to forward."""

    def __init__(self, module):
        super().__init__()
        self.module = module
        self.rows = 0

    def forward(self, x):
        self.rows += x.shape[0]
        return self.module(x)


@pytest.fixture
def rng():
    return np.random.default_rng(0)


_BLOCKED_RUN = """
import importlib.abc, pickle, sys
import numpy as np

class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name.split(".")[0] in ("torch", "skdistill"):
            raise ImportError(f"{name} is blocked")

sys.meta_path.insert(0, Block())
model = pickle.loads(open(sys.argv[1], "rb").read())
np.save(sys.argv[3], getattr(model, sys.argv[4])(np.load(sys.argv[2])))
assert not any(m.split(".")[0] in ("torch", "skdistill") for m in sys.modules)
"""


def predict_without_torch(model, X, tmp_path, method="predict"):
    """``model.<method>(X)`` in a fresh Python where torch and skdistill
    cannot be imported, the model unpickled there."""
    import pickle
    import subprocess
    import sys

    paths = [tmp_path / name for name in ("model.pkl", "X.npy", "out.npy")]
    paths[0].write_bytes(pickle.dumps(model))
    np.save(paths[1], X)
    subprocess.run(
        [sys.executable, "-c", _BLOCKED_RUN, *map(str, paths), method], check=True
    )
    return np.load(paths[2])
