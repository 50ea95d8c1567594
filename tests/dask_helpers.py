"""Teachers the Dask tests ship to worker processes, with counters there.

A worker process imports this module by name when it unpickles a teacher
defined here; its counters then count in that process, and the tests read
them with ``Client.run``.
"""

import torch

COUNTS = {"rows": 0, "loads": 0}


def reset():
    COUNTS.update(rows=0, loads=0)


def counts():
    return dict(COUNTS)


class CountingNet(torch.nn.Module):
    """A fixed MLP that counts the rows it forwards and the times it is loaded."""

    def __init__(self, n_features, n_classes, seed=0):
        super().__init__()
        torch.manual_seed(seed)
        self.net = torch.nn.Sequential(
            torch.nn.Linear(n_features, 16),
            torch.nn.Tanh(),
            torch.nn.Linear(16, n_classes),
        ).double()

    def forward(self, x):
        COUNTS["rows"] += x.shape[0]
        return self.net(x)

    def __setstate__(self, state):
        COUNTS["loads"] += 1
        super().__setstate__(state)
