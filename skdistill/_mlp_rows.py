"""The rows DistilledMLPClassifier trains on in each epoch, in shuffled batches.

Three sources, one interface (``batches(batch_size, generator)`` yields
``(X, hard_targets, soft_targets, weights)`` tensors on the device):

- :class:`FixedRows`: the same rows every epoch (the transfer set, synthetic
  rows included when they were drawn once);
- :class:`RedrawnRows`: the real rows plus synthetic rows drawn and labelled
  afresh each epoch, by any augmenter and any teacher (on the CPU, then
  moved to the device);
- :class:`DeviceRows`: the real rows plus Gaussian-noise copies drawn on the
  device batch by batch and labelled there by a torch teacher in the same
  step, so the synthetic rows never leave the device and never exist all at
  once.
"""

from skdistill._errors import TeacherValueError
from skdistill._torch import torch

__all__ = ["DeviceRows", "FixedRows", "RedrawnRows", "TARGETS"]

#: The tensors of a row, in the order a batch gives them.
TARGETS = ("X", "hard_targets", "soft_targets", "weights")


class FixedRows:
    """The same rows in each epoch, reshuffled.

    Parameters
    ----------
    data : dict of tensors
        ``X``, ``hard_targets``, ``soft_targets`` and ``weights`` (see
        :func:`skdistill._mlp_train.loss_targets`), on the device.
    """

    def __init__(self, data):
        self.data = data

    def _epoch_data(self):
        return self.data

    def batches(self, batch_size, generator):
        """Yield the epoch's rows in shuffled batches of ``batch_size``."""
        t = torch()
        data = self._epoch_data()
        n = len(data["X"])
        order = t.randperm(n, generator=generator).to(data["X"].device)
        # One gather per epoch; the batches are then slices of it.
        shuffled = [data[name][order] for name in TARGETS]
        for start in range(0, n, batch_size):
            yield tuple(part[start : start + batch_size] for part in shuffled)


class RedrawnRows(FixedRows):
    """The real rows plus synthetic rows drawn afresh in each epoch.

    Parameters
    ----------
    data : dict of tensors
        The real rows, as for :class:`FixedRows`.
    draw : callable
        ``draw() -> dict of tensors``: fresh synthetic rows, labelled.
    """

    def __init__(self, data, draw):
        super().__init__(data)
        self.draw = draw

    def _epoch_data(self):
        new = self.draw()
        return {k: torch().cat([self.data[k], new[k]]) for k in TARGETS}


class DeviceRows:
    """The real rows plus noisy copies drawn and labelled on the device.

    Each epoch covers the real rows once and ``n_copies`` synthetic rows per
    real row, shuffled together as :class:`RedrawnRows` shuffles them; a
    synthetic row is its source row plus ``N(0, sd**2)`` noise per feature,
    clipped to ``[low, high]`` (what :class:`~skdistill.augment.GaussianNoise`
    draws), labelled by the teacher alone with its source row's weight.

    Parameters
    ----------
    data : dict of tensors
        The real rows, as for :class:`FixedRows`.
    noise : tuple of tensors or None
        ``(sd, low, high)`` per feature on the device; ``low`` and ``high``
        None when the rows are not clipped.
    n_copies : int
        Synthetic rows per real row in each epoch.
    label : callable
        ``label(X) -> logits``, float32 tensors on the device.
    temperature : float
    noise_generator : torch.Generator
        Draws the noise, on the device.
    owner : str
        Name for messages.
    label_rows : int, default=1024
        Rows labelled at once, at least: the teacher's batch size.
    """

    def __init__(
        self,
        data,
        noise,
        n_copies,
        label,
        temperature,
        noise_generator,
        owner,
        label_rows=1024,
    ):
        self.data = data
        self.label_rows = label_rows
        self.sd, self.low, self.high = noise
        self.n_copies = n_copies
        self.label = label
        self.temperature = temperature
        self.noise_generator = noise_generator
        self.owner = owner

    def batches(self, batch_size, generator):
        """Yield the epoch's rows in shuffled batches, synthetic ones made here.

        The synthetic rows of several batches (``label_rows`` or more) are
        drawn and labelled together, so the teacher runs on batches of its
        own size rather than the student's.
        """
        t = torch()
        real = self.data
        X = real["X"]
        n, device = len(X), X.device
        # The order stays on the CPU, where the generator draws it: which rows
        # of a block are real is known there, without waiting on the device.
        order = t.randperm(n * (1 + self.n_copies), generator=generator)
        block = batch_size * -(-self.label_rows // batch_size)
        not_finite = t.zeros((), dtype=t.bool, device=device)
        for first in range(0, len(order), block):
            rows = order[first : first + block]
            is_real = rows < n
            positions = t.arange(len(rows))
            parts = self._block(
                len(rows),
                rows[is_real].to(device),
                positions[is_real].to(device),
                (rows[~is_real] % n).to(device),
                positions[~is_real].to(device),
            )
            not_finite |= parts.pop()
            for start in range(0, len(rows), batch_size):
                yield tuple(part[start : start + batch_size] for part in parts)
        # One check per epoch: a check per batch would wait on the device.
        if bool(not_finite):
            raise TeacherValueError(
                f"{self.owner}: the teacher's output on the synthetic rows drawn "
                "this epoch contains NaN or +inf (or -inf for every class) in "
                "some rows; check the teacher on rows near the data, or draw "
                "closer ones (a smaller GaussianNoise scale)."
            )

    def _block(self, size, real_rows, real_at, source, synthetic_at):
        """The block's four tensors in its order, and whether a logit was bad.

        ``real_rows`` are the real rows of the block, at positions
        ``real_at``; ``source`` the real row each synthetic row is drawn
        from, at positions ``synthetic_at``.
        """
        t = torch()
        real = self.data
        X = real["X"]
        X_new = X[source] + self.sd * t.randn(
            (len(source), X.shape[1]), generator=self.noise_generator, device=X.device
        )
        if self.low is not None:
            X_new = t.clamp(X_new, self.low, self.high)
        logits = self.label(X_new)
        K = real["soft_targets"].shape[1]
        if logits.shape[1:] != (K,):
            raise TeacherValueError(
                f"{self.owner}: the teacher's output on the synthetic rows has "
                f"shape {tuple(logits.shape)}, but {K} columns on the real rows; a "
                "teacher's output shape must not change between calls."
            )
        T = self.temperature
        weights = real["weights"][source]
        new = {
            "X": X_new,
            "hard_targets": t.zeros_like(logits),
            "soft_targets": t.softmax(logits / T, dim=1) * (weights * T**2)[:, None],
            "weights": weights,
        }
        parts = []
        for name in TARGETS:
            part = new[name].new_empty((size, *new[name].shape[1:]))
            part[real_at] = real[name][real_rows]
            part[synthetic_at] = new[name]
            parts.append(part)
        # NaN, +inf, or -inf for every class (-inf alone masks a class).
        parts.append(~t.isfinite(logits.amax(dim=1)).all())
        return parts
