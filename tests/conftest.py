import os

# One BLAS thread: the suite's matrices are small, and on 2 shared cores
# OpenBLAS's second thread made SciPy's L-BFGS-B steps up to 10 times
# slower (the linear tests: 37 s with two threads, 26 s with one, on an idle
# machine). Set before NumPy loads, and inherited by the examples' processes.
for _name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
from sklearn.datasets import load_breast_cancer, load_digits, load_wine  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

# NumPy may have been imported before this file (by a plugin): limit it too.
threadpool_limits(1, user_api="blas")

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
