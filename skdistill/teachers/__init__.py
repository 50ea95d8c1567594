"""Teachers: run a trained model and return its logits as NumPy.

A classification teacher is anything with ``predict_logits(X) -> ndarray
(n_samples, n_classes)`` and a ``classes`` attribute (the label of each output
column, or None for ``0..K-1``); a regression teacher has ``predict_values(X)
-> ndarray (n_samples,) or (n_samples, n_outputs)``. Each says which it is in
its ``task``. :func:`as_teacher` turns what a user passes into one:

- :class:`TorchTeacher` runs a PyTorch ``nn.Module`` in batches on the GPU
  when there is one (``output="values"`` for a regressor);
- :class:`SklearnTeacher` wraps a fitted scikit-learn classifier or
  regressor;
- :class:`CallableTeacher` wraps a function ``X -> logits`` or ``X ->
  predictions`` (and any object with ``predict_logits`` and ``classes``).

Each remembers the outputs of the rows it has run (``_cache``), bounded in
bytes, so a search runs each distinct row through the model once. torch is
imported only when a torch teacher is used.
"""

from skdistill._torch import resolve_device
from skdistill.teachers._adapters import (
    CallableTeacher,
    SklearnTeacher,
    estimator_task,
)
from skdistill.teachers._cache import DEFAULT_CACHE_BYTES
from skdistill.teachers._resolve import (
    as_teacher,
    is_duck_teacher,
    is_fitted_classifier,
    is_shared_teacher,
)
from skdistill.teachers._torch_teacher import TorchTeacher

__all__ = [
    "DEFAULT_CACHE_BYTES",
    "CallableTeacher",
    "SklearnTeacher",
    "TorchTeacher",
    "as_teacher",
    "estimator_task",
    "is_duck_teacher",
    "is_fitted_classifier",
    "is_shared_teacher",
    "resolve_device",
]
