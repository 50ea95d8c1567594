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
