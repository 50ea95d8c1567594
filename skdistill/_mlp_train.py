"""The torch side of DistilledMLPClassifier: its loss, its network, its training.

The network lives here only while it trains: its weights come in and go out
as NumPy arrays (``coefs``, ``intercepts``, laid out as scikit-learn's
``MLPClassifier`` lays them out), so a fitted student predicts, pickles and
exports without torch.
"""

import contextlib

import numpy as np
from scipy.special import expit

from skdistill._progress import progress
from skdistill._torch import torch

__all__ = [
    "ACTIVATIONS",
    "distillation_loss",
    "forward",
    "init_params",
    "loss_targets",
    "train_network",
]

#: Hidden activations, as NumPy functions (scikit-learn's names).
ACTIVATIONS = {
    "identity": lambda h: h,
    "logistic": expit,
    "tanh": np.tanh,
    "relu": lambda h: np.maximum(h, 0.0),
}


def _torch_activation(name):
    t = torch()
    return {
        "identity": lambda h: h,
        "logistic": t.sigmoid,
        "tanh": t.tanh,
        "relu": t.relu,
    }[name]


def forward(X, coefs, intercepts, activation):
    """The network's logits on X, in NumPy: what ``MLPClassifier`` computes.

    Parameters
    ----------
    X : ndarray or sparse matrix of shape (n_samples, n_features)
    coefs, intercepts : lists of ndarray
        Weights and biases of each layer.
    activation : {"identity", "logistic", "tanh", "relu"}
        The hidden layers' activation.

    Returns
    -------
    logits : ndarray of shape (n_samples, n_outputs)
    """
    h = X
    for i, (W, b) in enumerate(zip(coefs, intercepts)):
        h = np.asarray(h @ W) + b
        if i < len(coefs) - 1:
            h = ACTIVATIONS[activation](h)
    return h


def init_params(layer_sizes, activation, rng):
    """Glorot-uniform weights and biases, drawn as scikit-learn draws them.

    Parameters
    ----------
    layer_sizes : list of int
        Inputs, hidden units per layer, outputs.
    activation : str
    rng : numpy.random.RandomState

    Returns
    -------
    coefs, intercepts : lists of ndarray, float64
    """
    factor = 2.0 if activation == "logistic" else 6.0
    coefs, intercepts = [], []
    for fan_in, fan_out in zip(layer_sizes[:-1], layer_sizes[1:]):
        bound = np.sqrt(factor / (fan_in + fan_out))
        coefs.append(rng.uniform(-bound, bound, (fan_in, fan_out)))
        intercepts.append(rng.uniform(-bound, bound, fan_out))
    return coefs, intercepts


def loss_targets(soft, hard, row_alpha, temperature, weights):
    """The two weighted target matrices of Hinton's loss, made once per fit.

    Parameters
    ----------
    soft : ndarray of shape (n, K)
        The teacher's softened distributions ``softmax(z / T)``.
    hard : ndarray of shape (n,) of int
        Column of each row's label, -1 where there is none.
    row_alpha : ndarray of shape (n,)
        Weight of the hard term on each row (0 where there is no label).
    temperature : float
    weights : ndarray of shape (n,)
        Row weights.

    Returns
    -------
    hard_targets : ndarray of shape (n, K)
        ``w_i a_i onehot(y_i)``.
    soft_targets : ndarray of shape (n, K)
        ``w_i (1 - a_i) T**2 softmax(z_i / T)``.
    """
    hard_targets = np.zeros_like(soft)
    labelled = np.flatnonzero(hard >= 0)
    hard_targets[labelled, hard[labelled]] = (weights * row_alpha)[labelled]
    scale = weights * (1 - row_alpha) * temperature**2
    return hard_targets, soft * scale[:, np.newaxis]


def distillation_loss(student_logits, hard_targets, soft_targets, temperature, total):
    """Hinton's loss of a batch, the weighted mean over its rows.

    With the targets of :func:`loss_targets`, this is ``sum_i w_i [a_i CE(y_i,
    softmax(s_i)) + (1 - a_i) T**2 CE(softmax(z_i / T), softmax(s_i / T))] /
    total``: four operations on the batch (two more when ``T != 1``).

    Parameters
    ----------
    student_logits : tensor of shape (n, K)
    hard_targets, soft_targets : tensors of shape (n, K)
        From :func:`loss_targets`.
    temperature : float
    total : tensor or float
        The batch's sum of row weights.

    Returns
    -------
    loss : scalar tensor
    """
    t = torch()
    log_p = t.log_softmax(student_logits, dim=1)
    if temperature == 1:
        return -((hard_targets + soft_targets) * log_p).sum() / total
    log_q = t.log_softmax(student_logits / temperature, dim=1)
    return -((hard_targets * log_p).sum() + (soft_targets * log_q).sum()) / total


# Below this many multiply-adds in a batch's largest layer, torch's threads
# cost more than they give on the CPU: an op takes a few microseconds, and on
# a loaded machine the threads' waiting made a digits fit 3x slower (6.2 s
# against 2.0 s for 100 epochs of a 64-32-10 network, measured).
_ONE_THREAD_WORK = 1 << 22


@contextlib.contextmanager
def _cpu_threads(device, batch_size, layer_sizes):
    """One torch thread while a small network trains on the CPU."""
    t = torch()
    work = batch_size * max(a * b for a, b in zip(layer_sizes[:-1], layer_sizes[1:]))
    if device.type != "cpu" or work >= _ONE_THREAD_WORK:
        yield
        return
    previous = t.get_num_threads()
    t.set_num_threads(1)
    try:
        yield
    finally:
        t.set_num_threads(previous)


class _Network:
    """The student's layers as views of one flat torch parameter vector.

    One vector makes Adam's update six operations for the whole network,
    whatever its depth: on a small network, each torch operation costs more
    than its arithmetic.
    """

    def __init__(self, coefs, intercepts, activation, device):
        t = torch()
        arrays = [*coefs, *intercepts]
        self.shapes = [a.shape for a in arrays]
        self.sizes = [a.size for a in arrays]
        self.n_layers = len(coefs)
        flat = np.concatenate([a.ravel() for a in arrays])
        self.theta = t.tensor(flat, dtype=t.float32, device=device, requires_grad=True)
        # 1 on the weights, 0 on the biases: the L2 penalty's support.
        mask = np.concatenate(
            [np.full(a.size, i < len(coefs)) for i, a in enumerate(arrays)]
        )
        self.weights_mask = t.tensor(mask, dtype=t.float32, device=device)
        self.activation = _torch_activation(activation)

    def _layers(self, theta):
        parts = [
            p.view(shape) for p, shape in zip(theta.split(self.sizes), self.shapes)
        ]
        return parts[: self.n_layers], parts[self.n_layers :]

    def __call__(self, X):
        t = torch()
        coefs, intercepts = self._layers(self.theta)
        h = X
        for i, (W, b) in enumerate(zip(coefs, intercepts)):
            h = t.addmm(b, h, W)
            if i < self.n_layers - 1:
                h = self.activation(h)
        return h

    def penalty(self):
        """``||W||^2`` over the weights, without a graph."""
        theta = self.theta.detach()
        return (theta * self.weights_mask).dot(theta)

    def numpy(self):
        coefs, intercepts = self._layers(self.theta.detach().cpu().double())
        return [W.numpy().copy() for W in coefs], [b.numpy().copy() for b in intercepts]


class _Adam:
    """Adam as scikit-learn's ``MLPClassifier`` runs it (its defaults too).

    ``torch.optim.Adam`` spends most of a small network's step on its own
    bookkeeping (0.8 ms of 2 ms per step on digits); this is the same update
    in six in-place operations on the network's one parameter vector.
    """

    def __init__(self, network, lr, beta_1=0.9, beta_2=0.999, epsilon=1e-8):
        t = torch()
        self.network = network
        self.lr, self.beta_1, self.beta_2, self.epsilon = lr, beta_1, beta_2, epsilon
        self.m = t.zeros_like(network.theta)
        self.v = t.zeros_like(network.theta)
        self.steps = 0

    def step(self, decay):
        """One update, with ``decay * W`` added to the gradient of the weights.

        That is the gradient of scikit-learn's L2 penalty ``decay / 2 *
        ||W||^2``, added here rather than through autograd.
        """
        t = torch()
        self.steps += 1
        lr = float(
            self.lr
            * np.sqrt(1 - self.beta_2**self.steps)
            / (1 - self.beta_1**self.steps)
        )
        theta = self.network.theta
        with t.no_grad():
            g = theta.grad.addcmul_(theta, self.network.weights_mask, value=decay)
            self.m.mul_(self.beta_1).add_(g, alpha=1 - self.beta_1)
            self.v.mul_(self.beta_2).addcmul_(g, g, value=1 - self.beta_2)
            theta.addcdiv_(self.m, self.v.sqrt().add_(self.epsilon), value=-lr)
            theta.grad = None


def train_network(coefs, intercepts, rows, validation, settings, generator):
    """Train the network with Adam, mini-batched; return what the fit records.

    Parameters
    ----------
    coefs, intercepts : lists of ndarray
        Starting weights.
    rows : FixedRows, RedrawnRows or DeviceRows
        The rows of each epoch (:mod:`skdistill._mlp_rows`): ``X``,
        ``hard_targets``, ``soft_targets`` (:func:`loss_targets`) and
        ``weights``, on the device, in shuffled batches.
    validation : dict of tensors or None
        ``X``, ``top`` (the targets' top class at T = 1) and ``weights`` of
        the held-out rows, for early stopping.
    settings : dict
        ``activation``, ``temperature``, ``l2_alpha``, ``learning_rate_init``,
        ``batch_size``, ``max_iter``, ``tol``, ``n_iter_no_change``,
        ``verbose``, ``device``, ``owner``.
    generator : torch.Generator
        Draws the order of the rows in each epoch.

    Returns
    -------
    result : dict
        ``coefs``, ``intercepts`` (the best weights under early stopping),
        ``loss_curve``, ``validation_scores`` (or None), ``n_iter``,
        ``converged``, ``best_loss``, ``rows_seen``.
    """
    sizes = [coefs[0].shape[0], *(W.shape[1] for W in coefs)]
    epochs = progress(
        settings["max_iter"],
        f"{settings['owner']}: training",
        unit="epochs",
        enabled=bool(settings["verbose"]),
    )
    with _cpu_threads(settings["device"], settings["batch_size"], sizes), epochs as job:
        return _train(coefs, intercepts, rows, validation, settings, generator, job)


def _train(coefs, intercepts, rows, validation, settings, generator, epochs):
    t = torch()
    s = settings
    network = _Network(coefs, intercepts, s["activation"], s["device"])
    optimizer = _Adam(network, s["learning_rate_init"])
    loss_curve, scores = [], [] if validation is not None else None
    best_loss, best_score, best_weights, stale = np.inf, -np.inf, None, 0
    converged = False
    seen = 0
    for epoch in range(s["max_iter"]):
        total = t.zeros((), device=s["device"])
        n = 0
        for X_b, hard_b, soft_b, weights in rows.batches(s["batch_size"], generator):
            n += len(X_b)
            loss = distillation_loss(
                network(X_b), hard_b, soft_b, s["temperature"], weights.sum()
            )
            loss.backward()
            # scikit-learn's L2 penalty, alpha / (2 * batch rows) * ||W||^2,
            # on the weights only: its gradient goes straight to Adam, its
            # value (at the weights the loss saw) to the loss curve.
            decay = s["l2_alpha"] / len(X_b)
            penalty = decay / 2 * network.penalty()
            optimizer.step(decay)
            total += (loss.detach() + penalty) * len(X_b)
        seen += n
        loss_curve.append(float(total) / n)
        if validation is not None:
            with t.no_grad():
                top = network(validation["X"]).argmax(dim=1)
                agree = (top == validation["top"]).to(t.float32)
                w = validation["weights"]
                scores.append(float((w * agree).sum() / w.sum()))
            improved = scores[-1] > best_score + s["tol"]
            if scores[-1] > best_score:
                best_score, best_weights = scores[-1], network.numpy()
        else:
            improved = loss_curve[-1] < best_loss - s["tol"]
        best_loss = min(best_loss, loss_curve[-1])
        stale = 0 if improved else stale + 1
        if s["verbose"]:
            epochs.write(f"{s['owner']}: epoch {epoch + 1}, loss {loss_curve[-1]:.6f}")
        epochs.update(1)
        if stale > s["n_iter_no_change"]:
            converged = True
            break
    coefs, intercepts = best_weights if best_weights is not None else network.numpy()
    return {
        "coefs": coefs,
        "intercepts": intercepts,
        "loss_curve": loss_curve,
        "validation_scores": scores,
        "n_iter": len(loss_curve),
        "converged": converged,
        "best_loss": best_loss,
        "rows_seen": seen,
    }
