"""torch helpers for teachers and torch students: lazy import, device, saving.

torch is imported only when a torch object is used, so students distilled
from scikit-learn teachers never pay for it. Nothing here imports torch at
module load.
"""

import io
import sys

import numpy as np

from skdistill._errors import TeacherValueError

__all__ = [
    "float_limit",
    "is_tensor",
    "is_torch_module",
    "load_module",
    "resolve_device",
    "same_device",
    "save_module",
    "torch",
    "weights_checksum",
]

# Row width of the layout weights_checksum sums by rows and by columns.
_CHECKSUM_WIDTH = 256

# Integer view of each floating dtype, by element size in bytes.
_INT_VIEWS = {1: "uint8", 2: "int16", 4: "int32"}


def torch():
    """The torch module, imported on first use."""
    import torch

    return torch


def is_torch_module(obj):
    """Whether ``obj`` is a ``torch.nn.Module`` (False when torch is not loaded)."""
    loaded = sys.modules.get("torch")
    return loaded is not None and isinstance(obj, loaded.nn.Module)


def is_tensor(obj):
    """Whether ``obj`` is a ``torch.Tensor`` (False when torch is not loaded)."""
    loaded = sys.modules.get("torch")
    return loaded is not None and isinstance(obj, loaded.Tensor)


def resolve_device(device="auto", *, owner="TorchTeacher"):
    """Return the ``torch.device`` to run on.

    Parameters
    ----------
    device : str or torch.device, default="auto"
        ``"auto"`` picks CUDA when it is available, else the CPU; any other
        value is passed to ``torch.device``.
    owner : str, default="TorchTeacher"
        Name used in error messages.

    Returns
    -------
    torch.device

    Examples
    --------
    >>> from skdistill.teachers import resolve_device
    >>> resolve_device("cpu")
    device(type='cpu')
    """
    t = torch()
    if isinstance(device, str) and device == "auto":
        return t.device("cuda" if t.cuda.is_available() else "cpu")
    try:
        resolved = t.device(device)
    except (RuntimeError, TypeError, ValueError) as exc:
        raise TeacherValueError(
            f"{owner}: device={device!r} is not a device torch knows; "
            "use 'auto', 'cpu', 'cuda' or 'cuda:N'."
        ) from exc
    if resolved.type == "cuda" and not t.cuda.is_available():
        raise TeacherValueError(
            f"{owner}: device={device!r} but CUDA is not available on this "
            "machine; use device='auto' (CUDA when present, else CPU) or 'cpu'."
        )
    if resolved.type not in ("cpu", "cuda"):
        try:
            t.empty(0, device=resolved)
        except (RuntimeError, TypeError, ValueError) as exc:
            raise TeacherValueError(
                f"{owner}: device={device!r} is not usable on this machine "
                f"({exc}); use device='auto' (CUDA when present, else CPU) or "
                "'cpu'."
            ) from exc
    return resolved


def save_module(module):
    """The bytes of ``module`` as ``torch.save`` writes them."""
    buffer = io.BytesIO()
    torch().save(module, buffer)
    return buffer.getvalue()


def load_module(data):
    """A module from :func:`save_module` bytes, on CUDA if present, else the CPU.

    A module saved on a GPU loads on a CPU-only machine.
    """
    t = torch()
    map_location = "cuda" if t.cuda.is_available() else "cpu"
    return t.load(io.BytesIO(data), map_location=map_location, weights_only=False)


def weights_checksum(module):
    """A checksum of every parameter and buffer of ``module``, on its device.

    Each tensor's bits, read as integers and laid out in rows of 256, are
    summed by row and by column; the row sums weighted by their row number
    and the column sums by their column number make the checksum, with the
    tensor's name, shape and dtype. Any change of a single value, and a swap
    of any two different values, changes it, whatever the tensor's identity
    or memory address. It costs two reductions over the weights, without a
    copy: about as much as a forward pass of a few hundred rows through an
    MLP on the CPU (docs/teachers.rst has the measurement).

    Parameters
    ----------
    module : torch.nn.Module

    Returns
    -------
    tuple
    """
    t = torch()
    parts = []
    for name, tensor in [*module.named_parameters(), *module.named_buffers()]:
        flat = tensor.detach().reshape(-1)
        if flat.is_complex():
            flat = t.view_as_real(flat).reshape(-1)
        if flat.dtype == t.bool:
            flat = flat.view(t.uint8)
        elif flat.element_size() == 8:
            # As pairs of 32-bit words: 64-bit words would make the int64
            # sums wrap, and a sign flip of an even number of values vanish.
            flat = flat.view(t.int32)
        elif flat.is_floating_point():
            flat = flat.view(getattr(t, _INT_VIEWS[flat.element_size()]))
        width = _CHECKSUM_WIDTH
        body = flat[: len(flat) // width * width].view(-1, width)
        rows = body.sum(dim=1, dtype=t.int64)
        columns = body.sum(dim=0, dtype=t.int64)
        tail = flat[len(body) * width :].to(t.int64)
        row_number = t.arange(1, len(rows) + 1, device=rows.device)
        column_number = t.arange(1, width + 1, device=rows.device)
        tail_number = t.arange(1, len(tail) + 1, device=rows.device)
        sums = t.stack(
            [
                rows.sum() + tail.sum(),
                (rows * row_number).sum(),
                (columns * column_number).sum(),
                (tail * tail_number).sum(),
            ]
        )
        parts.append((name, tuple(tensor.shape), str(tensor.dtype), *sums.tolist()))
    return tuple(parts)


def float_limit(dtype):
    """Largest finite value of a torch floating dtype, as a float."""
    return float(torch().finfo(dtype).max) if dtype.is_floating_point else np.inf


def same_device(a, b):
    """Whether two devices are one (``"cuda"`` is ``"cuda:0"`` when 0 is current)."""
    t = torch()
    return t.empty(0, device=a).device == t.empty(0, device=b).device
