"""Speed benchmark: what distillation costs over plain scikit-learn fits.

Every ratio is measured side by side in one run; each time is the best of
``--repeats`` calls (``time.perf_counter``), in seconds. Sections (``--only``):

- ``linear``: ``DistilledLogisticRegression(teacher).fit(X)``, teacher
  included, against ``LogisticRegression(C=C).fit(X, y_hard)`` (``y_hard`` the
  teacher's top class, computed beforehand) and the naive route: teacher,
  ``soften``, ``replicate_rows`` and ``LogisticRegression(C=C).fit(X_rep,
  y_rep, sample_weight=w_rep)``. Accuracy of the solutions: the largest
  gradient component of the soft-target objective at each, and each one's
  distance to the optimum of its own objective.
- ``accuracy``: the three logistic regression routes at n=100k, d=50, K=10
  for ``tol`` from 1e-4 to 1e-6, each solution's distance to its optimum.
- ``linear-teacher``: ``DistilledLogisticRegression`` against hard-label
  ``LogisticRegression`` (both tol=1e-4, max_iter=1000) on a teacher the
  student can nearly represent: a seeded ``torch.nn.Linear(50, 10)`` run
  through ``TorchTeacher``, n=100k, 20k held-out rows. Hard labels sampled
  from the teacher's softmax (as a real labelled set would be) and the
  teacher's argmax; the student with the teacher's logits precomputed and
  with the teacher run inside ``fit``. Fit time, iterations, ratios and test
  accuracy against the teacher's argmax.
- ``path``: ``regularization_path`` of an L1 ``DistilledLogisticRegression``
  over its default grid of 10 ``C`` (teacher included), against fitting the
  student at each ``C`` on its own (teacher included each time, and with
  ``teacher_logits`` precomputed) and against the hard-label
  ``LogisticRegression(l1_ratio=1, solver="saga")`` at each ``C`` on the
  teacher's top class; the same for the L2 path and ``lbfgs``. Totals over
  the grid, and the features the sparsest non-empty and the densest
  student use.
- ``tree``: the same three routes for a depth-10 tree, Gini and entropy.
- ``regressor``: ``DistilledRegressor`` with a ``Ridge`` (with and without
  the teacher's row cache) and a depth-10 ``DecisionTreeRegressor`` student,
  teacher included (a fixed random numpy
  MLP with one output), against the student fitted on y plus one teacher
  pass, timed apart: the fit should cost no more than their sum.
- ``mlp``: ``DistilledMLPClassifier(teacher).fit(X)``, teacher included,
  against ``MLPClassifier`` on the teacher's top class, same rows, hidden
  sizes, batch size and epochs (``tol=0``, so both run every epoch), on the
  CPU and, when there is one, on CUDA: seconds, ratio and rows per second
  per epoch.
- ``wrapper``: time and peak memory of ``DistilledClassifier`` with a
  ``LogisticRegression`` student, for several thresholds.
- ``teacher``: ``TorchTeacher.predict_logits`` against a hand-written
  inference loop, with and without the row cache, in float32 and under
  bfloat16 autocast, on the CPU and on CUDA when there is one.
- ``cache``: rows run through the module during a ``GridSearchCV`` over
  ``temperature``, per row of X, and the row cache's own cost.
- ``memory``: peak memory of ``fit`` (tracemalloc) over the size of X and Q.
- ``auto``: what ``augment="auto"`` costs at the size of ``make demo``: each
  student at its defaults against the same student with ``augment=None`` and
  its scikit-learn twin, on digits' 1 257 training rows with the quality
  benchmark's 256-256 MLP teacher (``benchmarks/quality.py``, trained once and
  cached), and a depth-8 regression tree on diabetes.

The teacher of ``linear``, ``tree`` and ``wrapper`` is a fixed random numpy
MLP (one hidden layer of 64 units) returning logits; that of ``teacher`` and
``cache`` a torch MLP with three hidden layers of 1024 units. A fit
estimated (from a smaller run of the same route, or for the naive route from
the hard-label fit times the replicated rows) to take over ``--budget``
seconds, or whose data needs over half the available memory, is skipped and
listed under its table.

Run ``python benchmarks/speed.py`` (hours on 2 cores) or ``--quick`` for a
smoke run at small sizes in under a minute. On a shared or loaded machine
pass ``--threads 1``: BLAS threads waiting for a busy core can make small
fits tens of times slower and the ratios meaningless.
"""

import argparse
import copy
import gc
import time
import warnings

import numpy as np
import scipy.sparse as sp
import torch
from _timing import Runner, fmt, header, machine, peak_bytes, ratio, row
from scipy.special import logsumexp, softmax
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import GridSearchCV
from sklearn.neural_network import MLPClassifier
from sklearn.preprocessing import normalize
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor
from threadpoolctl import threadpool_limits

from skdistill import (
    DistilledClassifier,
    DistilledDecisionTree,
    DistilledLogisticRegression,
    DistilledMLPClassifier,
    DistilledRegressor,
    TorchTeacher,
    regularization_path,
)
from skdistill.augment import GaussianNoise
from skdistill.targets import replicate_rows, soften
from skdistill.teachers import CallableTeacher

SEED = 0
SECTIONS = (
    "linear",
    "accuracy",
    "linear-teacher",
    "path",
    "tree",
    "regressor",
    "mlp",
    "wrapper",
    "teacher",
    "cache",
    "memory",
    "auto",
)
FULL = {
    "linear": ([10_000, 100_000, 1_000_000], [20, 100], [2, 10, 100]),
    "headline": (100_000, 50, 10),
    "sparse": (100_000, 50_000, 0.01, 10),  # n, d, density, K
    "linear_teacher": (100_000, 20_000, 50, 10),  # n, held-out n, d, K
    "path": (20_000, 50, 10),
    "tree": (100_000, 50, [2, 10, 100]),
    "regressor": (100_000, 50),
    "mlp": (20_000, 50, 10, 20),  # n, d, K, epochs
    "wrapper": (100_000, 50, 10),
    "teacher": (200_000, 100, 10),
    "cache": (100_000, 50, 10),
    "memory": (100_000, 50, 10),
    "budget": 240.0,
}
QUICK = {
    "linear": ([1_000, 5_000], [20], [2, 10, 100]),
    "headline": (5_000, 50, 10),
    "sparse": (3_000, 5_000, 0.01, 10),
    "linear_teacher": (5_000, 2_000, 50, 10),
    "path": (2_000, 20, 10),
    "tree": (3_000, 20, [2, 10, 100]),
    "regressor": (3_000, 20),
    "mlp": (2_000, 20, 10, 5),
    "wrapper": (3_000, 20, 10),
    "teacher": (20_000, 100, 10),
    "cache": (2_000, 20, 10),
    "memory": (10_000, 50, 10),
    "budget": 3.0,
}
LOGIT_SPREAD = 7.0  # linear teacher: mean over rows of the logits' std over classes
PROBA_ROWS = 10_000  # rows on which probabilities are compared
ACCURACY_ROWS = 100_000  # largest n whose solutions are polished for accuracy


def numpy_teacher(d, n_classes, input_norm, hidden=64):
    """A fixed random one-hidden-layer MLP: X -> logits of spread about 3."""
    rng = np.random.default_rng(SEED + 1)
    W1 = rng.standard_normal((d, hidden)) / input_norm
    b1 = 0.5 * rng.standard_normal(hidden)
    W2 = rng.standard_normal((hidden, n_classes)) * 4.0 / np.sqrt(hidden)
    return lambda X: np.maximum(X @ W1 + b1, 0.0) @ W2


def dense_data(n, d, n_classes):
    X = np.random.default_rng(SEED).standard_normal((n, d))
    return X, numpy_teacher(d, n_classes, np.sqrt(d))


def tfidf_data(n, d, density, n_classes):
    """L2-normalised positive CSR rows with ``density * d`` random terms each."""
    rng = np.random.default_rng(SEED)
    per_row = max(1, round(density * d))
    indices = rng.integers(0, d, size=n * per_row)
    indptr = np.arange(0, n * per_row + 1, per_row)
    X = sp.csr_matrix((rng.exponential(size=n * per_row), indices, indptr), (n, d))
    X.sum_duplicates()
    return normalize(X), numpy_teacher(d, n_classes, 1.0)


def torch_mlp(d, n_classes, hidden=1024):
    torch.manual_seed(SEED)
    nn = torch.nn
    layers = [nn.Linear(d, hidden), nn.ReLU()]
    layers += [nn.Linear(hidden, hidden), nn.ReLU(), nn.Linear(hidden, hidden)]
    return nn.Sequential(*layers, nn.ReLU(), nn.Linear(hidden, n_classes)).eval()


def torch_call(module, X, device="cpu", **params):
    return lambda: TorchTeacher(module, device=device, **params).predict_logits(X)


def class_weights(coef, intercept):
    """``(W, b)`` with one row per class; a binary model's row 0 is zero."""
    if coef.shape[0] == 1:
        return np.vstack([np.zeros_like(coef), coef]), np.r_[0.0, intercept]
    return coef, intercept


def teacher_scale_proba(model, X, T):
    """Probabilities of a model fitted at temperature T, on the teacher's scale.

    What a distilled student's ``predict_proba`` gives: logits times T.
    """
    W, b = class_weights(model.coef_, model.intercept_)
    return softmax(T * (np.asarray(X @ W.T) + b), axis=1)


def objective(W, b, X, Q, C):
    """Soft-target loss and largest gradient component at ``(W, b)``.

    What both the distilled student and the naive route minimise, with
    scikit-learn's scaling, at the fitting temperature.
    """
    n = X.shape[0]
    l2 = 1.0 / (C * n)
    loss, gW, gb = 0.5 * l2 * np.vdot(W, W), l2 * W, np.zeros(len(b))
    for start in range(0, n, 65536):
        rows = slice(start, start + 65536)
        Z = np.asarray(X[rows] @ W.T) + b
        loss += np.sum(logsumexp(Z, axis=1) - np.einsum("nk,nk->n", Q[rows], Z)) / n
        G = (softmax(Z, axis=1) - Q[rows]) / n
        gW = gW + np.asarray(X[rows].T @ G).T
        gb += G.sum(axis=0)
    grad = np.column_stack([gW, gb])
    return loss, np.abs(grad[1:] if len(b) == 2 else grad).max()


def three_routes(runner, tag, key, n, kept, fits, naive_bytes):
    """Time the hard, distilled and naive fits: ``(times, models)``.

    The naive route is estimated to do the hard-label work on ``kept``
    replicated rows instead of n.
    """
    hard, distilled, naive = fits
    t_hard, m_hard = runner.time(f"{tag} hard", ("hard", *key), n, hard)
    t_dist, m_dist = runner.time(f"{tag} distilled", ("distilled", *key), n, distilled)
    base = t_hard or t_dist
    t_naive, m_naive = runner.time(
        f"{tag} naive ({kept / n:.1f} rows per row)",
        ("naive", *key),
        kept,
        naive,
        nbytes=naive_bytes,
        guess=np.inf if base is None else base * kept / n,
    )
    return (t_hard, t_dist, t_naive), (m_hard, m_dist, m_naive)


def linear_cell(runner, X, teacher, K, C=1.0, T=2.0):
    n, d = X.shape
    cells = X.nnz if sp.issparse(X) else n * d
    logits = teacher(X)
    y_hard, Q = logits.argmax(axis=1), soften(logits, T)
    kept = int(np.count_nonzero(Q > 1e-8))
    tag = f"linear n={n} d={d} K={K}"

    def naive():
        X_rep, y_rep, w_rep = replicate_rows(X, soften(teacher(X), T))
        return LogisticRegression(C=C).fit(X_rep, y_rep, sample_weight=w_rep)

    fits = (
        lambda: LogisticRegression(C=C).fit(X, y_hard),
        lambda: DistilledLogisticRegression(
            teacher, temperature=T, C=C, augment=None
        ).fit(X),
        naive,
    )
    times, (hard, dist, naive_lr) = three_routes(
        runner, tag, ("lr", d, K), n, kept, fits, 12 * cells * kept // n
    )
    t_hard, t_dist, t_naive = times
    models = (dist, hard, naive_lr)
    iters = "/".join(fmt(m.n_iter_[0] if m else None, "d") for m in models)
    grads, to_optimum = [None, None], [None, None, None]
    sub = X[:PROBA_ROWS]
    naive_ok = naive_lr is not None and len(naive_lr.classes_) == K
    if naive_ok:
        W_n, b_n = class_weights(naive_lr.coef_, naive_lr.intercept_)
        grads[1] = objective(W_n, b_n, X, Q, C)[1]
    if dist is not None:
        W_d, b_d = class_weights(dist.coef_ / T, dist.intercept_ / T)
        grads[0] = objective(W_d, b_d, X, Q, C)[1]
    if dist is not None and n <= ACCURACY_ROWS:
        p_opt = polish(dist).fit(X, teacher_logits=logits).predict_proba(sub)
        to_optimum[0] = np.abs(dist.predict_proba(sub) - p_opt).max()
        if naive_ok:
            to_optimum[2] = np.abs(teacher_scale_proba(naive_lr, sub, T) - p_opt).max()
    if hard is not None and n <= ACCURACY_ROWS:
        p_opt = polish(hard).fit(X, y_hard).predict_proba(sub)
        to_optimum[1] = np.abs(hard.predict_proba(sub) - p_opt).max()
    row(
        f"{n} | {d} | {K} | {fmt(t_hard)} | {fmt(t_dist)} | {fmt(t_naive)} "
        f"| {fmt(ratio(t_dist, t_hard), '.2f')} | {fmt(ratio(t_naive, t_hard), '.2f')} "
        f"| {iters} | {' / '.join(fmt(g, '.1e') for g in grads)} "
        f"| {' / '.join(fmt(g, '.1e') for g in to_optimum)}"
    )
    return ratio(t_dist, t_hard), iters


def polish(model):
    """A copy of a fitted model set to go on from its solution, tol=1e-10."""
    return copy.deepcopy(model).set_params(tol=1e-10, max_iter=300, warm_start=True)


def section_linear(runner, sizes):
    print(
        "\n## Logistic regression: distilled vs hard labels vs naive replicated\n\n"
        "Teacher included in distilled and naive; T=2, C=1, tol=1e-4. n_iter: "
        "distilled/hard/naive (100 = max_iter). max grad: largest gradient "
        "component of the soft-target objective (scikit-learn's scaling, which "
        "`tol` bounds) at the distilled / naive solution. Δp to optimum: largest "
        f"probability gap on the first {PROBA_ROWS} rows between each solution "
        "and the optimum of its own objective, approached by going on from it "
        "at tol=1e-10 for up to 300 more iterations (distilled and naive share "
        "the soft-target objective; hard "
        f"has its own); for n ≤ {ACCURACY_ROWS} only.\n"
    )
    header(
        "n | d | K | hard s | distilled s | naive s | distilled/hard | naive/hard "
        "| n_iter | max grad d / n | Δp to optimum d / h / n"
    )
    ns, ds, ks = sizes["linear"]
    for n in ns:
        for d in ds:
            for K in ks:
                linear_cell(runner, *dense_data(n, d, K), K)
    n, d, K = sizes["headline"]
    headline, iters = linear_cell(runner, *dense_data(n, d, K), K)
    n_s, d_s, density, K_s = sizes["sparse"]
    linear_cell(runner, *tfidf_data(n_s, d_s, density, K_s), K_s)
    print(
        f"\nHeadline (MLP teacher) n={n}, d={d}, K={K}: distilled / hard-label "
        f"fit = {fmt(headline, '.2f')} (target ≤ 1.2), n_iter distilled/hard/naive "
        f"= {iters}. Last row: CSR, tf-idf-like ({density:.0%} dense, "
        "L2-normalised rows)."
    )
    runner.report_skipped()


def section_accuracy(runner, sizes):
    n, d, K = sizes["headline"]
    X, teacher = dense_data(n, d, K)
    C, T = 1.0, 2.0
    logits = teacher(X)
    y_hard = logits.argmax(axis=1)
    sub = X[:PROBA_ROWS]
    print(
        f"\n## Logistic regression at equal tol, n={n}, d={d}, K={K}\n\n"
        "Each route at each `tol`; Δp to optimum as in the table above, the "
        "optimum of each objective computed once at tol=1e-10. Ratios: distilled "
        "over hard at the same `tol`, and over hard at the default tol=1e-4.\n"
    )
    header(
        "tol | hard s | distilled s | naive s | n_iter d / h / n "
        "| Δp to optimum d / h / n | distilled/hard | distilled/hard(1e-4)"
    )
    tight = {"tol": 1e-10, "max_iter": 10_000}
    soft_opt = DistilledLogisticRegression(None, temperature=T, C=C, **tight)
    p_soft = soft_opt.fit(X, teacher_logits=logits).predict_proba(sub)
    p_hard = LogisticRegression(C=C, **tight).fit(X, y_hard).predict_proba(sub)
    t_default = None
    for tol in (1e-4, 1e-5, 1e-6):

        def naive(tol=tol):
            X_rep, y_rep, w_rep = replicate_rows(X, soften(teacher(X), T))
            lr = LogisticRegression(C=C, tol=tol)
            return lr.fit(X_rep, y_rep, sample_weight=w_rep)

        def hard(tol=tol):
            return LogisticRegression(C=C, tol=tol).fit(X, y_hard)

        def distilled(tol=tol):
            student = DistilledLogisticRegression(
                teacher, temperature=T, C=C, tol=tol, augment=None
            )
            return student.fit(X)

        (t_h, m_h), (t_d, m_d), (t_n, m_n) = (
            runner.time(f"{fit.__name__} tol={tol}", (fit.__name__, tol), n, fit)
            for fit in (hard, distilled, naive)
        )
        t_default = t_default or t_h
        gaps = [None, None, None]
        if m_d is not None:
            gaps[0] = np.abs(m_d.predict_proba(sub) - p_soft).max()
        if m_h is not None:
            gaps[1] = np.abs(m_h.predict_proba(sub) - p_hard).max()
        if m_n is not None:
            gaps[2] = np.abs(teacher_scale_proba(m_n, sub, T) - p_soft).max()
        models = (m_d, m_h, m_n)
        iters = " / ".join(fmt(m.n_iter_[0] if m else None, "d") for m in models)
        row(
            f"{tol:g} | {fmt(t_h)} | {fmt(t_d)} | {fmt(t_n)} | {iters} "
            f"| {' / '.join(fmt(g, '.1e') for g in gaps)} "
            f"| {fmt(ratio(t_d, t_h), '.2f')} | {fmt(ratio(t_d, t_default), '.2f')}"
        )
    runner.report_skipped()


def linear_torch_teacher(d, n_classes, X):
    """A seeded ``torch.nn.Linear(d, K)`` whose logits on X spread about 7.

    Weights standard normal, bias 0.1 × standard normal, all scaled so that
    the mean over the rows of X of the logits' standard deviation across
    classes is ``LOGIT_SPREAD``.
    """
    torch.manual_seed(SEED + 2)
    module = torch.nn.Linear(d, n_classes)
    with torch.no_grad():
        module.weight.copy_(torch.randn(n_classes, d))
        module.bias.copy_(0.1 * torch.randn(n_classes))
        logits = TorchTeacher(module, device="cpu", cache=False).predict_logits(X)
        scale = float(LOGIT_SPREAD / logits.std(axis=1).mean())
        module.weight.mul_(scale)
        module.bias.mul_(scale)
    return module.eval()


def sample_labels(logits, rng):
    """One class per row drawn from ``softmax(logits)``."""
    cumulative = softmax(logits, axis=1).cumsum(axis=1)
    u = rng.random((len(logits), 1)) * cumulative[:, -1:]
    return np.minimum((cumulative < u).sum(axis=1), logits.shape[1] - 1)


def section_linear_teacher(runner, sizes):
    n, n_test, d, K = sizes["linear_teacher"]
    C, T, tol, max_iter = 1.0, 2.0, 1e-4, 1000
    X_all = np.random.default_rng(SEED).standard_normal((n + n_test, d))
    module = linear_torch_teacher(d, K, X_all[:n])
    logits_all = TorchTeacher(module, device="cpu", cache=False).predict_logits(X_all)
    X, X_test = X_all[:n], X_all[n:]
    logits, y_test = logits_all[:n], logits_all[n:].argmax(axis=1)
    y_argmax = logits.argmax(axis=1)
    y_sampled = sample_labels(logits, np.random.default_rng(SEED + 3))
    std, spread = logits.std(axis=1).mean(), np.ptp(logits, axis=1).mean()
    print(
        f"\n## Logistic regression on a linear teacher, n={n}, d={d}, K={K}\n\n"
        f"Teacher: `TorchTeacher(torch.nn.Linear({d}, {K}), device='cpu')`, "
        f"seeded weights scaled so that the logits' standard deviation across "
        f"classes, averaged over the rows, is {std:.2f} (max − min across "
        f"classes: {spread:.1f} on average); X standard normal. Hard-label "
        f"baseline: `LogisticRegression(C={C:g}, tol={tol:g}, "
        f"max_iter={max_iter})` on labels sampled from the teacher's softmax "
        f"({np.mean(y_sampled == y_argmax):.1%} of them equal to its argmax), "
        f"and on the argmax. Student: `DistilledLogisticRegression(teacher, "
        f"temperature={T:g}, C={C:g}, tol={tol:g}, max_iter={max_iter})` on X "
        "alone, with `teacher_logits=` precomputed, and with the teacher run "
        "inside `fit` (a fresh `TorchTeacher` per fit, so every repeat runs "
        f"the module). s: best of {runner.repeats}. Test accuracy: agreement "
        f"with the teacher's argmax on {n_test} held-out rows.\n"
    )
    header(
        "fit | targets | s | n_iter | / hard (sampled) | / hard (argmax) "
        "| test accuracy vs teacher"
    )

    def hard(y):
        lr = LogisticRegression(C=C, tol=tol, max_iter=max_iter)
        return lambda: lr.fit(X, y)

    def distilled(precomputed):
        def fit():
            teacher = TorchTeacher(module, device="cpu")
            student = DistilledLogisticRegression(
                teacher, temperature=T, C=C, tol=tol, max_iter=max_iter, augment=None
            )
            if precomputed:
                return student.fit(X, teacher_logits=logits)
            return student.fit(X)

        return fit

    routes = [
        ("hard-label", "sampled labels", hard(y_sampled)),
        ("hard-label", "argmax labels", hard(y_argmax)),
        ("distilled", "logits precomputed", distilled(True)),
        ("distilled", "teacher inside fit", distilled(False)),
    ]
    results = {}
    for name, targets, fit in routes:
        key = ("linear-teacher", name, targets)
        results[targets] = runner.time(f"{name} {targets}", key, n, fit)
    t_sampled, t_argmax = results["sampled labels"][0], results["argmax labels"][0]
    for name, targets, _ in routes:
        t, model = results[targets]
        n_iter = None if model is None else int(model.n_iter_[0])
        accuracy = None if model is None else np.mean(model.predict(X_test) == y_test)
        row(
            f"{name} | {targets} | {fmt(t)} | {fmt(n_iter, 'd')} "
            f"| {fmt(ratio(t, t_sampled), '.2f')} | {fmt(ratio(t, t_argmax), '.2f')} "
            f"| {fmt(accuracy, '.4f')}"
        )
    t_pre, t_inside = results["logits precomputed"][0], results["teacher inside fit"][0]
    print(
        f"\nLinear teacher: distilled / hard-label fit (sampled labels) = "
        f"{fmt(ratio(t_pre, t_sampled), '.2f')} with logits precomputed, "
        f"{fmt(ratio(t_inside, t_sampled), '.2f')} with the teacher inside fit "
        "(target ≤ 1.2)."
    )
    runner.report_skipped()


def full_proba(model, X, K):
    proba = np.zeros((X.shape[0], K))
    proba[:, model.classes_] = model.predict_proba(X)
    return proba


def section_tree(runner, sizes):
    n, d, ks = sizes["tree"]
    print(
        f"\n## Decision tree, max_depth=10, n={n}, d={d}\n\n"
        "Teacher included in distilled and naive; T=1. max Δp: distilled vs "
        f"naive on the first {PROBA_ROWS} training rows.\n"
    )
    header(
        "criterion | K | hard s | distilled s | naive s | distilled/hard "
        "| naive/hard | leaves d/n | max Δp"
    )
    for criterion in ("gini", "entropy"):
        for K in ks:
            X, teacher = dense_data(n, d, K)
            logits = teacher(X)
            kept = int(np.count_nonzero(soften(logits, 1.0) > 1e-8))
            params = {"max_depth": 10, "criterion": criterion, "random_state": 0}
            tag = f"tree {criterion} K={K}"

            def naive():
                X_rep, y_rep, w_rep = replicate_rows(X, soften(teacher(X), 1.0))
                tree = DecisionTreeClassifier(**params)
                return tree.fit(X_rep, y_rep, sample_weight=w_rep)

            fits = (
                lambda: DecisionTreeClassifier(**params).fit(X, logits.argmax(1)),
                lambda: DistilledDecisionTree(teacher, augment=None, **params).fit(X),
                naive,
            )
            times, (_, dist, naive_tree) = three_routes(
                runner, tag, ("tree", criterion, K), n, kept, fits, 12 * d * kept
            )
            t_hard, t_dist, t_naive = times
            models = (dist, naive_tree)
            leaves = "/".join(fmt(m.get_n_leaves() if m else None) for m in models)
            gap = None
            if dist is not None and naive_tree is not None:
                sub = X[:PROBA_ROWS]
                p_dist, p_naive = (full_proba(m, sub, K) for m in models)
                gap = np.abs(p_dist - p_naive).max()
            row(
                f"{criterion} | {K} | {fmt(t_hard)} | {fmt(t_dist)} | {fmt(t_naive)} "
                f"| {fmt(ratio(t_dist, t_hard), '.2f')} "
                f"| {fmt(ratio(t_naive, t_hard), '.2f')} | {leaves} | {fmt(gap, '.1e')}"
            )
    print("\nTarget: distilled/hard ≤ 1.2 at K=10.")
    runner.report_skipped()


def section_path(runner, sizes):
    n, d, K = sizes["path"]
    X, teacher = dense_data(n, d, K)
    logits = teacher(X)
    y_hard = logits.argmax(axis=1)
    print(
        f"\n## Regularisation path, n={n}, d={d}, K={K}, 10 values of C\n\n"
        "Totals over the grid, seconds. Path: `regularization_path`, teacher "
        "included. Each C: the student fitted alone at every C, teacher "
        "included (`cache=False`) and with `teacher_logits`. Hard: "
        "`LogisticRegression` on the teacher's top class at every C (saga for "
        "L1, lbfgs for L2).\n"
    )
    header(
        "penalty | path s | each C s | each C, logits given s | hard s "
        "| each C / path | hard / path | features used"
    )
    for penalty in ("l1", "l2"):
        student = DistilledLogisticRegression(
            CallableTeacher(teacher, cache=False), penalty=penalty, augment=None
        )
        key = ("path", penalty)
        t_path, path = runner.time(
            f"{penalty} path",
            key + ("path",),
            n,
            lambda student=student: regularization_path(student, X, Cs=10),
        )
        Cs = path.Cs

        def each(given=None, student=student):
            for C in Cs:
                clone(student).set_params(C=C).fit(X, teacher_logits=given)

        def hard(penalty=penalty):
            for C in Cs:
                params = {"l1_ratio": 1.0, "solver": "saga"} if penalty == "l1" else {}
                LogisticRegression(C=C, **params).fit(X, y_hard)

        t_each, _ = runner.time(f"{penalty} each C", key + ("each",), n, each)
        t_given, _ = runner.time(
            f"{penalty} each C given",
            key + ("given",),
            n,
            lambda: each(logits),
        )
        t_hard, _ = runner.time(f"{penalty} hard", key + ("hard",), n, hard)
        used = sorted({int(path.n_nonzero[i]) for i in (0, 1, -1)})
        row(
            f"{penalty} | {fmt(t_path)} | {fmt(t_each)} | {fmt(t_given)} "
            f"| {fmt(t_hard)} | {fmt(ratio(t_each, t_path), '.2f')} "
            f"| {fmt(ratio(t_hard, t_path), '.2f')} | {used} of {d}"
        )
    runner.report_skipped()


def section_regressor(runner, sizes):
    n, d = sizes["regressor"]
    X, network = dense_data(n, d, 1)

    def teacher(rows):
        return network(rows)[:, 0]

    y = teacher(X) + np.random.default_rng(SEED).standard_normal(n)
    print(
        f"\n## DistilledRegressor, n={n}, d={d}\n\n"
        "Distilled: teacher included, alpha=0. Hard: the student fitted on y; "
        "teacher: one pass of the teacher over X, timed apart.\n"
    )
    header("student | hard s | teacher s | distilled s | distilled/(hard+teacher)")
    t_teacher, _ = runner.time(
        "teacher pass", ("regressor", "teacher"), n, lambda: teacher(X)
    )
    uncached = CallableTeacher(teacher, output="values", cache=False)
    for name, student, distilled_teacher in (
        ("Ridge", Ridge(), teacher),
        ("Ridge, cache=False", Ridge(), uncached),
        ("tree depth 10", DecisionTreeRegressor(max_depth=10, random_state=0), teacher),
    ):
        key = ("regressor", name)
        t_hard, _ = runner.time(
            f"{name} hard", key + ("hard",), n, lambda: copy.deepcopy(student).fit(X, y)
        )
        t_dist, _ = runner.time(
            f"{name} distilled",
            key + ("distilled",),
            n,
            lambda: DistilledRegressor(student, distilled_teacher, augment=None).fit(X),
        )
        total = None if None in (t_hard, t_teacher) else t_hard + t_teacher
        row(
            f"{name} | {fmt(t_hard)} | {fmt(t_teacher)} | {fmt(t_dist)} "
            f"| {fmt(ratio(t_dist, total), '.2f')}"
        )
    print(
        "\nTarget: distilled/(hard+teacher) ≤ 1.1. The row cache (on by default, "
        "so that a search runs each row once) keys every row: ``cache=False`` "
        "shows its share."
    )
    runner.report_skipped()


def section_mlp(runner, sizes):
    n, d, K, epochs = sizes["mlp"]
    X, teacher = dense_data(n, d, K)
    labels = teacher(X).argmax(axis=1)
    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    print(
        f"\n## DistilledMLPClassifier, n={n}, d={d}, K={K}, {epochs} epochs\n\n"
        "Teacher included in the distilled fit; both batch_size=200, tol=0. "
        "rows/s: rows trained on per second, per epoch.\n"
    )
    header("hidden | device | hard s | distilled s | distilled/hard | rows/s")
    for hidden in [(32,), (100,)]:
        common = {"hidden_layer_sizes": hidden, "max_iter": epochs, "tol": 0.0}
        t_hard, _ = runner.time(
            f"mlp {hidden} hard",
            ("mlp", hidden, "hard"),
            n,
            lambda: MLPClassifier(random_state=0, **common).fit(X, labels),
        )
        for device in devices:
            t_dist, _ = runner.time(
                f"mlp {hidden} {device}",
                ("mlp", hidden, device),
                n,
                lambda: DistilledMLPClassifier(
                    teacher, device=device, random_state=0, augment=None, **common
                ).fit(X),
            )
            rate = None if t_dist is None else n * epochs / t_dist
            row(
                f"{hidden} | {device} | {fmt(t_hard)} | {fmt(t_dist)} "
                f"| {fmt(ratio(t_dist, t_hard), '.2f')} | {fmt(rate, '.3g')}"
            )
    print("\nTarget: distilled/hard ≤ 1.5 on the CPU.")
    section_mlp_redraw(runner, n // 4, d, K, max(2, epochs // 4))
    runner.report_skipped()


def section_mlp_redraw(runner, n, d, K, epochs, copies=4):
    """Noise rows redrawn each epoch: on the student's device, or on the CPU."""
    X = np.random.default_rng(SEED).standard_normal((n, d))
    module = torch_mlp(d, K, hidden=256)
    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    print(
        f"\n### Redrawn noise rows, n={n}, {copies} copies, {epochs} epochs\n\n"
        "A torch teacher (3 hidden layers of 256) labels fresh Gaussian-noise "
        "rows each epoch, on the student's device in the training step, or "
        "drawn by the augmenter and labelled in one pass per epoch through "
        "the general route (a `preprocess` keeps the rows off the device). "
        "rows/s: rows trained on per second, synthetic ones included.\n"
    )
    header("device | rows drawn | s | ratio | rows/s")
    for device in devices:
        times = {}
        for route in ("on the device", "general route"):
            preprocess = (
                None
                if route == "on the device"
                else lambda batch: torch.as_tensor(batch, dtype=torch.float32)
            )
            teacher = TorchTeacher(
                module, device=device, preprocess=preprocess, cache=False
            )
            t, _ = runner.time(
                f"mlp redraw {device} {route}",
                ("mlp redraw", device, route),
                n,
                lambda teacher=teacher: DistilledMLPClassifier(
                    teacher,
                    hidden_layer_sizes=(32,),
                    augment=GaussianNoise(n_copies=copies),
                    redraw=True,
                    max_iter=epochs,
                    tol=0.0,
                    device=device,
                    random_state=0,
                ).fit(X),
            )
            times[route] = t
            rate = None if t is None else n * (1 + copies) * epochs / t
            row(
                f"{device} | {route} | {fmt(t)} "
                f"| {fmt(ratio(t, times['on the device']), '.2f')} "
                f"| {fmt(rate, '.3g')}"
            )


def section_wrapper(runner, sizes):
    n, d, K = sizes["wrapper"]
    X, teacher = dense_data(n, d, K)
    logits = teacher(X)
    Q = soften(logits, 1.0)
    print(
        f"\n## DistilledClassifier(LogisticRegression()), n={n}, d={d}, K={K}\n\n"
        "Teacher included; T=1. Peak: tracemalloc, in a separate run. max Δp: "
        f"against threshold=0 on the first {PROBA_ROWS} rows.\n"
    )
    header(
        "fit | threshold | rows kept / n | s | ratio | peak MB | peak ratio | max Δp"
    )

    def hard():
        return LogisticRegression().fit(X, logits.argmax(axis=1))

    t_hard, _ = runner.time("wrapper hard", ("wrapper", "hard"), n, hard)
    peak_hard = peak_bytes(hard)
    row(f"hard | | 1.00 | {fmt(t_hard)} | 1.00 | {peak_hard / 1e6:.1f} | 1.00 |")
    reference = None
    for threshold in (0.0, 1e-8, 1e-3, 1e-2):

        def fit():
            student = DistilledClassifier(
                LogisticRegression(), teacher, threshold=threshold, augment=None
            )
            return student.fit(X)

        t, model = runner.time(f"wrapper {threshold=}", ("wrapper", threshold), n, fit)
        if model is None:
            continue
        peak = peak_bytes(fit)
        proba = model.predict_proba(X[:PROBA_ROWS])
        reference = proba if reference is None else reference
        row(
            f"distilled | {threshold:g} | {np.count_nonzero(Q > threshold) / n:.2f} "
            f"| {fmt(t)} | {fmt(ratio(t, t_hard), '.2f')} | {peak / 1e6:.1f} "
            f"| {peak / peak_hard:.2f} | {np.abs(proba - reference).max():.1e}"
        )
    runner.report_skipped()


def hand_loop(model, X, device, batch_size=1024):
    """The reference: a plain batched ``inference_mode`` loop, numpy out."""
    out = []
    with torch.inference_mode():
        for batch in torch.from_numpy(X).split(batch_size):
            out.append(model(batch.to(device)).float().cpu())
    return torch.cat(out).numpy()


def mlp_flops(d, K, hidden=1024):
    """Multiply-adds ×2 of one row through ``torch_mlp``."""
    return 2 * (d * hidden + 2 * hidden * hidden + hidden * K)


def matmul_peak(device, precision, repeats=5):
    """FLOP/s of a large square ``Linear`` in ``precision``: the hardware's pace.

    Run the way the teacher runs: float32 tensors, under autocast for 16-bit.
    """
    size = 8192 if device.type == "cuda" else 1024
    a = torch.randn(size, size, device=device)
    b = torch.randn(size, size, device=device)
    best = np.inf
    for _ in range(repeats):
        sync(device)
        start = time.perf_counter()
        with autocast(device, precision):
            torch.nn.functional.linear(a, b)
        sync(device)
        best = min(best, time.perf_counter() - start)
    return 2 * size**3 / best


def autocast(device, precision):
    """``torch.autocast`` to ``precision``; a no-op for float32."""
    dtype = getattr(torch, precision)
    return torch.autocast(device.type, dtype=dtype, enabled=precision != "float32")


def sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize()


def section_teacher(runner, sizes):
    n, d, K = sizes["teacher"]
    X = np.random.default_rng(SEED).standard_normal((n, d), dtype=np.float32)
    devices = [torch.device("cpu")]
    if torch.cuda.is_available():
        devices.append(torch.device("cuda"))
    print(
        f"\n## TorchTeacher inference, MLP {d}-1024-1024-1024-{K}, n={n}, float32 "
        "input, batch 1024\n\n"
        "FLOP/s: the MLP's multiply-adds ×2 per row × rows/s; peak: a square "
        "matmul (1024² on the CPU, 8192² on a GPU) of the same precision on the "
        "same device, measured beside it (no FLOP/s for a cache hit). "
        "bfloat16: `TorchTeacher(dtype='bfloat16')` (autocast) against the hand "
        "loop under the same autocast.\n"
    )
    header("device | route | s | rows/s | GFLOP/s | / matmul peak | ratio to hand loop")
    for device in devices:
        mlp = torch_mlp(d, K).to(device)
        peaks = {p: matmul_peak(device, p) for p in ("float32", "bfloat16")}
        warm = TorchTeacher(mlp, device=device)
        warm.predict_logits(X)

        def autocast_loop(mlp=mlp, device=device):
            with autocast(device, "bfloat16"):
                return hand_loop(mlp, X, device)

        routes = {
            ("float32", "hand-written loop"): lambda: hand_loop(mlp, X, device),
            ("float32", "cache=False"): torch_call(mlp, X, device, cache=False),
            ("float32", "cache=True, first call"): torch_call(mlp, X, device),
            ("float32", "cache=True, second call"): lambda: warm.predict_logits(X),
            ("bfloat16", "hand-written loop"): autocast_loop,
            ("bfloat16", "cache=False"): torch_call(
                mlp, X, device, cache=False, dtype="bfloat16"
            ),
        }
        reference = {}
        for (precision, name), call in routes.items():
            key = ("teacher", device.type, precision, name)
            t, _ = runner.time(" ".join(key), key, n, call)
            reference.setdefault(precision, t)
            forward = t is not None and name != "cache=True, second call"
            flops = n * mlp_flops(d, K) / t if forward else None
            row(
                f"{device.type} | {precision} {name} | {fmt(t)} "
                f"| {fmt(None if t is None else n / t, '.3g')} "
                f"| {fmt(None if flops is None else flops / 1e9, '.1f')} "
                f"| {fmt(ratio(flops, peaks[precision]), '.0%')} "
                f"| {fmt(ratio(t, reference[precision]), '.2f')}"
            )
    print("\nTarget: cache=False / hand-written loop ≤ 1.05 on the CPU.")
    runner.report_skipped()


def section_cache(runner, sizes):
    n, d, K = sizes["cache"]
    X, _ = dense_data(n, d, K)
    mlp = torch_mlp(d, K)
    teacher = TorchTeacher(mlp, device="cpu")
    y = teacher.predict_logits(X).argmax(axis=1)
    teacher.clear_cache()
    forwarded = []
    hook = mlp.register_forward_pre_hook(lambda _, args: forwarded.append(len(args[0])))
    search = GridSearchCV(
        DistilledLogisticRegression(teacher, augment=None),
        {"temperature": [0.5, 1, 2, 4]},
        cv=5,
    )
    start = time.perf_counter()
    with warnings.catch_warnings():
        # A rare teacher class can have fewer rows than folds at small n.
        warnings.filterwarnings("ignore", "The least populated class")
        search.fit(X, y)
    seconds = time.perf_counter() - start
    hook.remove()
    print(
        f"\n## Row cache, MLP {d}-1024-1024-1024-{K}, n={n}\n\n"
        "`GridSearchCV(DistilledLogisticRegression(TorchTeacher(mlp)), "
        "{'temperature': [0.5, 1, 2, 4]}, cv=5)`, refit included: "
        f"**{sum(forwarded) / n:.2f}** rows forwarded per row of X (target ≤ 1.0; "
        f"17 without the cache), {seconds:.1f} s, one run. The cache's own cost "
        "is measured on a `Linear(d, K)` probe, whose forward is negligible.\n"
    )
    header("predict_logits(X) | s | / MLP forward | target")
    warm = TorchTeacher(mlp, device="cpu")
    warm.predict_logits(X)
    probe = torch.nn.Linear(d, K)
    routes = {
        "MLP, cache=False (forward)": torch_call(mlp, X, cache=False),
        "MLP, cache hit": lambda: warm.predict_logits(X),
        "probe, cache=False": torch_call(probe, X, cache=False),
        "probe, cache=True, first call": torch_call(probe, X),
    }
    times = {
        name: runner.time(f"cache: {name}", ("cache", name), n, call)[0]
        for name, call in routes.items()
    }
    on, off = times["probe, cache=True, first call"], times["probe, cache=False"]
    cost = None if on is None or off is None else on - off
    times["cache cost: hashing, lookup, store (probe first call − cache=False)"] = cost
    forward = times["MLP, cache=False (forward)"]
    for name, seconds in times.items():
        target = "< 10%" if name.startswith("cache cost") else ""
        share = fmt(ratio(seconds, forward), ".1%")
        row(f"{name} | {fmt(seconds)} | {share} | {target}")
    runner.report_skipped()


def section_memory(sizes):
    n, d, K = sizes["memory"]
    X64, teacher = dense_data(n, d, K)
    logits = teacher(X64)
    y_hard = logits.argmax(axis=1)
    print(
        f"\n## Peak memory of fit, n={n}, d={d}, K={K}\n\n"
        "allocated: tracemalloc peak during `fit` (numpy allocations included), "
        "over bytes(X) + bytes(Q), Q the float64 (n, K) targets. resident: X, "
        "which the caller holds, plus that peak, over the same. The teacher is "
        "out of the measurement: `fit(X, teacher_logits=...)` with logits "
        "computed beforehand. scikit-learn's trees copy float64 X to float32 "
        "first; the float32 rows show the fits without that copy.\n"
    )
    header("X | fit | peak MB | allocated / (X+Q) | resident / (X+Q) | target")
    for X in (X64, X64.astype(np.float32)):
        base = X.nbytes + n * K * 8
        runs = [
            (DistilledLogisticRegression(None), {"teacher_logits": logits}),
            (
                DistilledDecisionTree(None, max_depth=10, criterion="gini"),
                {"teacher_logits": logits},
            ),
            (
                DistilledDecisionTree(None, max_depth=10, criterion="entropy"),
                {"teacher_logits": logits},
            ),
            (LogisticRegression(), {"y": y_hard}),
            (DecisionTreeClassifier(max_depth=10), {"y": y_hard}),
        ]
        for model, kwargs in runs:
            peak = peak_bytes(lambda: model.fit(X, **kwargs))
            target = "≤ 1.3" if "teacher_logits" in kwargs else ""
            row(
                f"{X.dtype} | `{model!r}` | {peak / 1e6:.1f} | {peak / base:.2f} "
                f"| {(X.nbytes + peak) / base:.2f} | {target}"
            )


def section_auto(runner):
    from quality import defaults_split
    from sklearn.naive_bayes import GaussianNB

    X, _, y, _, teacher, _ = defaults_split("digits", 0)
    X_r, _, y_r, _, teacher_r, _ = defaults_split("diabetes", 0, regression=True)
    print(
        f'\n## augment="auto": digits, n={len(X)}, d={X.shape[1]}, K=10; '
        f"diabetes, n={len(X_r)}\n\n"
        "Teacher included (a 256-256 MLP, one thread); `auto` s: the student at "
        "its defaults, `none` s: with augment=None.\n"
    )
    header("student | copies | twin s | none s | auto s | auto/none | auto/twin")
    cases = [
        (
            "DistilledLogisticRegression",
            lambda **kw: DistilledLogisticRegression(teacher, random_state=0, **kw),
            lambda: LogisticRegression(max_iter=1000),
            (X, y),
        ),
        (
            "DistilledDecisionTree",
            lambda **kw: DistilledDecisionTree(teacher, random_state=0, **kw),
            lambda: DecisionTreeClassifier(criterion="entropy", random_state=0),
            (X, y),
        ),
        (
            "DistilledDecisionTree, max_depth=8",
            lambda **kw: DistilledDecisionTree(
                teacher, max_depth=8, random_state=0, **kw
            ),
            lambda: DecisionTreeClassifier(
                criterion="entropy", max_depth=8, random_state=0
            ),
            (X, y),
        ),
        (
            "DistilledMLPClassifier, (16,)",
            lambda **kw: DistilledMLPClassifier(
                teacher, hidden_layer_sizes=(16,), random_state=0, **kw
            ),
            lambda: MLPClassifier((16,), random_state=0),
            (X, y),
        ),
        (
            "DistilledClassifier, GaussianNB",
            lambda **kw: DistilledClassifier(
                GaussianNB(), teacher, random_state=0, **kw
            ),
            GaussianNB,
            (X, y),
        ),
        (
            "DistilledRegressor, depth-8 tree",
            lambda **kw: DistilledRegressor(
                DecisionTreeRegressor(max_depth=8, random_state=0),
                teacher_r,
                random_state=0,
                **kw,
            ),
            lambda: DecisionTreeRegressor(max_depth=8, random_state=0),
            (X_r, y_r),
        ),
    ]
    for name, student, twin, (X_fit, y_fit) in cases:
        t_twin, _ = runner.time(
            name, ("auto twin", name), 1, lambda: twin().fit(X_fit, y_fit)
        )
        t_none, _ = runner.time(
            name, ("auto none", name), 1, lambda: student(augment=None).fit(X_fit)
        )
        t_auto, fitted = runner.time(
            name, ("auto", name), 1, lambda: student().fit(X_fit)
        )
        copies = fitted.augment_.n_copies if fitted.augment_ is not None else 0
        row(
            f"{name} | {copies} | {fmt(t_twin)} | {fmt(t_none)} | {fmt(t_auto)} "
            f"| {fmt(ratio(t_auto, t_none), '.1f')} "
            f"| {fmt(ratio(t_auto, t_twin), '.1f')}"
        )
    runner.report_skipped()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, < 1 min")
    parser.add_argument("--only", default=",".join(SECTIONS), help="sections, a,b")
    parser.add_argument("--repeats", type=int, default=3, help="best of this many")
    parser.add_argument("--budget", type=float, help="skip fits estimated slower (s)")
    parser.add_argument("--threads", type=int, help="BLAS, OpenMP and torch threads")
    args = parser.parse_args()
    only = args.only.split(",")
    if unknown := sorted(set(only) - set(SECTIONS)):
        parser.error(f"unknown sections {unknown}; choose from {', '.join(SECTIONS)}")
    sizes = QUICK if args.quick else FULL
    runner = Runner(args.repeats, args.budget or sizes["budget"])
    warnings.simplefilter("ignore", ConvergenceWarning)
    if args.threads:
        threadpool_limits(args.threads)
        torch.set_num_threads(args.threads)
    print(machine())
    # torch's import leaves ~250k objects that every gc.collect() before a
    # timed run would walk (0.1-0.2 s each); they live to the end anyway.
    gc.freeze()
    sections = {
        "linear": lambda: section_linear(runner, sizes),
        "accuracy": lambda: section_accuracy(runner, sizes),
        "linear-teacher": lambda: section_linear_teacher(runner, sizes),
        "path": lambda: section_path(runner, sizes),
        "tree": lambda: section_tree(runner, sizes),
        "regressor": lambda: section_regressor(runner, sizes),
        "mlp": lambda: section_mlp(runner, sizes),
        "wrapper": lambda: section_wrapper(runner, sizes),
        "teacher": lambda: section_teacher(runner, sizes),
        "cache": lambda: section_cache(runner, sizes),
        "memory": lambda: section_memory(sizes),
        "auto": lambda: section_auto(runner),
    }
    for name in SECTIONS:
        if name in only:
            start = time.perf_counter()
            sections[name]()
            print(f"\n<!-- {name}: {time.perf_counter() - start:.0f} s -->", flush=True)


if __name__ == "__main__":
    main()
