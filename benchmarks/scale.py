"""Scale: DistilledLogisticRegression on a Dask LocalCluster against in memory.

For n rows (d = 50 float32 features, K = 10 classes, a torch MLP teacher of
one hidden layer of 256 units), prints one table row per path and size:

- ``dask``: a ``distributed.LocalCluster`` of 2 worker processes (1 thread
  each) on this machine; X made on the workers and persisted there (what a
  user does with data that fits in the cluster's memory), the teacher run
  per partition on the workers, the student fitted by L-BFGS over the
  partitions;
- ``memory``: the same rows as one NumPy array in this process, the teacher
  run by ``TorchTeacher.predict_logits`` and the student fitted on its
  logits.

Wall time is split into the teacher pass and the student fit (on Dask, the
pass also softens the targets and sums the moments of the starting point,
which the in-memory student does in its fit). Memory, sampled every 0.5 s:
the largest resident set of any worker process, and how far this (the
client) process's resident set grew above its size when the fit started (X,
made before, is not counted); with ``--trace-client``, on Dask, what the
client allocated as ``tracemalloc`` traces it (which slows the client, and
the fit with it). A last row fits a transfer set read lazily from
Zarr files on disk, larger than the sum of the workers' ``memory_limit``,
without persisting it: each L-BFGS step reads it again.

Run ``python benchmarks/scale.py`` (sizes 1, 5 and 20 million rows, about
25 minutes on 2 cores), or ``--sizes 1000000`` for fewer.
"""

import argparse
import contextlib
import gc
import shutil
import tempfile
import threading
import time
import tracemalloc
from pathlib import Path

import numpy as np
import psutil
import torch
from threadpoolctl import threadpool_limits

from skdistill import DistilledLogisticRegression, TorchTeacher

D, K, HIDDEN, CHUNK = 50, 10, 256, 250_000
SEED = 0


def teacher_module():
    torch.manual_seed(SEED)
    module = torch.nn.Sequential(
        torch.nn.Linear(D, HIDDEN), torch.nn.ReLU(), torch.nn.Linear(HIDDEN, K)
    ).eval()
    with torch.no_grad():
        module[2].weight *= 30  # logits of spread about 3, as a trained net's
    return module


def make_rows(n):
    """The rows of the benchmark, made chunk by chunk (the same on any path)."""
    import dask.array as da

    return (
        da.random.RandomState(SEED)
        .standard_normal((n, D), chunks=(CHUNK, D))
        .astype(np.float32)
    )


class Peaks:
    """Largest resident set of this process and of each worker, sampled."""

    def __init__(self, client=None):
        self.client, self.client_peak, self.worker_peak = client, 0, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self):
        me = psutil.Process()
        start = me.memory_info().rss
        while not self._stop.is_set():
            self.client_peak = max(self.client_peak, me.memory_info().rss - start)
            if self.client is not None:
                rss = self.client.run(lambda: psutil.Process().memory_info().rss)
                self.worker_peak = max(self.worker_peak, *rss.values())
            time.sleep(0.5)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def row(path, n, teacher_s, student_s, peaks, note=""):
    worker = f"{peaks.worker_peak / 2**30:.2f}" if peaks.worker_peak else ""
    print(
        f"| {path} | {n:,} | {teacher_s:.1f} | {student_s:.1f} "
        f"| {teacher_s + student_s:.1f} | {worker} "
        f"| {peaks.client_peak / 2**30:.2f} | {note} |",
        flush=True,
    )


class PhaseTimer:
    """Splits a fit at the start of L-BFGS: the teacher's pass, then the steps."""

    def __init__(self, student):
        self.student, self.marks = student, []
        minimize = type(student)._minimize

        def timed(*args, **kwargs):
            self.marks.append(time.perf_counter())
            return minimize(*args, **kwargs)

        student._minimize = timed.__get__(student)

    def __enter__(self):
        self.start = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.end = time.perf_counter()
        del self.student._minimize

    @property
    def seconds(self):
        return self.marks[0] - self.start, self.end - self.marks[0]


def fit_dask(client, X, trace_client=False, **params):
    student = DistilledLogisticRegression(
        TorchTeacher(teacher_module(), device="cpu", cache=False),
        augment=None,
        **params,
    )
    # With trace_client, the client's own allocations, traced (its resident
    # set can hide them among pages freed by earlier runs); tracing slows the
    # client, and so the fit, measurably.
    if trace_client:
        tracemalloc.start()
    with Peaks(client) as peaks, PhaseTimer(student) as timer:
        student.fit(X)
    if trace_client:
        peaks.client_peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return student, *timer.seconds, peaks


def fit_memory(n):
    X = make_rows(n).compute(scheduler="threads")
    teacher = TorchTeacher(teacher_module(), device="cpu", cache=False)
    # One BLAS thread, as each worker has: two made this fit no faster here.
    with threadpool_limits(1), Peaks() as peaks:
        start = time.perf_counter()
        logits = teacher.predict_logits(X)
        teacher_s = time.perf_counter() - start
        student = DistilledLogisticRegression(None).fit(X, teacher_logits=logits)
        student_s = time.perf_counter() - start - teacher_s
    del X, logits
    gc.collect()
    return student, teacher_s, student_s, peaks


@contextlib.contextmanager
def local_cluster(memory_limit):
    """2 worker processes of 1 thread, torch imported (as on a cluster in use)."""
    import distributed

    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            host="127.0.0.1",
            dashboard_address=":0",
            memory_limit=memory_limit,
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        client.run(lambda: __import__("torch"))
        yield cluster, client


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--sizes", type=int, nargs="+", default=[1_000_000, 5_000_000, 20_000_000]
    )
    parser.add_argument(
        "--trace-client",
        action="store_true",
        help="trace the client's allocations on Dask (tracemalloc, slower)",
    )
    parser.add_argument("--no-disk", action="store_true", help="skip the Zarr row")
    parser.add_argument("--disk-rows", type=int, default=25_000_000)
    parser.add_argument("--disk-memory-limit", default="2GiB")
    args = parser.parse_args()

    import dask.array as da
    import distributed

    torch.set_num_threads(1)
    print(
        f"d = {D} float32 features, K = {K}, teacher: torch MLP {D}-{HIDDEN}-{K}; "
        f"partitions of {CHUNK:,} rows; 2 workers of 1 thread; default tol.\n"
    )
    print(
        "| path | n | teacher s | student s | total s | peak GiB per worker "
        "| client GiB added | note |\n|---|---|---|---|---|---|---|---|",
        flush=True,
    )
    for n in args.sizes:
        with local_cluster("9GiB") as (_, client):
            X = make_rows(n).persist()
            distributed.wait(X)
            dask_fit, teacher_s, student_s, peaks = fit_dask(
                client, X, trace_client=args.trace_client
            )
            row("dask", n, teacher_s, student_s, peaks, f"{dask_fit.n_iter_[0]} iter")
            del X
        memory_fit, teacher_s, student_s, peaks = fit_memory(n)
        scale = np.abs(memory_fit.coef_).max()
        difference = np.abs(dask_fit.coef_ - memory_fit.coef_).max() / scale
        row(
            "memory",
            n,
            teacher_s,
            student_s,
            peaks,
            f"{memory_fit.n_iter_[0]} iter; coef Δ {difference:.1e}",
        )

    if args.no_disk:
        return
    # Larger than the workers' memory together, read from disk at each step.
    folder = Path(tempfile.mkdtemp(prefix="skdistill-scale-"))
    try:
        path = folder / "X.zarr"
        make_rows(args.disk_rows).to_zarr(str(path))
        on_disk = args.disk_rows * D * 4
        with local_cluster(args.disk_memory_limit) as (cluster, client):
            limit = sum(w.memory_limit for w in cluster.scheduler.workers.values())
            X = da.from_zarr(str(path))
            fitted, teacher_s, student_s, peaks = fit_dask(client, X)
            row(
                "dask, Zarr on disk",
                args.disk_rows,
                teacher_s,
                student_s,
                peaks,
                f"{fitted.n_iter_[0]} iter; X {on_disk / 2**30:.1f} GiB on disk, "
                f"workers' memory_limit {limit / 2**30:.1f} GiB in all",
            )
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
