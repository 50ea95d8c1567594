"""Timing, memory and table helpers of ``benchmarks/speed.py``."""

import gc
import os
import platform
import time
import tracemalloc

import numpy as np
import scipy
import sklearn
import torch
from threadpoolctl import threadpool_info


def machine():
    """One line on the machine and the libraries, one on the thread pools."""
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    pools = {f"{p['internal_api']} {p['num_threads']}" for p in threadpool_info()}
    return (
        f"Machine: {platform.platform()}, {os.cpu_count()} CPUs (load {load}), "
        f"Python {platform.python_version()}, numpy {np.__version__}, scipy "
        f"{scipy.__version__}, scikit-learn {sklearn.__version__}, torch "
        f"{torch.__version__} ({torch.get_num_threads()} threads).\n"
        f"Thread pools: {', '.join(sorted(pools))}.\n"
    )


def available_bytes():
    try:
        with open("/proc/meminfo") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_AVPHYS_PAGES")


class Runner:
    """Best-of-``repeats`` timer that skips runs estimated over ``budget``.

    A run's time is estimated from the largest smaller run of the same key,
    linearly in ``size``, else from ``guess``; a run whose data needs more
    than half the available memory is skipped too. Repeats stop once their
    total passes the budget.
    """

    def __init__(self, repeats, budget):
        self.repeats, self.budget = repeats, budget
        self.history = {}  # key -> [(size, best seconds)]
        self.skipped = []

    def estimate(self, key, size, guess=None):
        smaller = [(s, t) for s, t in self.history.get(key, []) if s <= size]
        if not smaller:
            return guess
        s, t = max(smaller)
        return t * size / s

    def time(self, label, key, size, fit, nbytes=0, guess=None):
        """``(best seconds, last result)``, or ``(None, None)`` when skipped."""
        estimate = self.estimate(key, size, guess)
        if nbytes > available_bytes() / 2:
            self.skipped.append(f"{label}: needs ~{nbytes / 1e9:.1f} GB")
            return None, None
        if estimate is not None and estimate > self.budget:
            why = f"~{estimate:.0f} s" if np.isfinite(estimate) else "no estimate"
            self.skipped.append(f"{label}: {why} per fit")
            return None, None
        times = []
        while len(times) < self.repeats and sum(times) <= self.budget:
            gc.collect()
            start = time.perf_counter()
            result = fit()
            times.append(time.perf_counter() - start)
        self.history.setdefault(key, []).append((size, min(times)))
        return min(times), result

    def report_skipped(self):
        if self.skipped:
            print("\nSkipped (over `--budget`, or memory):\n")
            print("\n".join(f"- {line}" for line in self.skipped))
        self.skipped = []


def peak_bytes(fit):
    """Peak bytes allocated while ``fit`` runs (tracemalloc; numpy included).

    Memory allocated by C code outside Python's and numpy's allocators (the
    nodes of a scikit-learn tree, L-BFGS work arrays) is not seen.
    """
    gc.collect()
    tracemalloc.start()
    try:
        fit()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def fmt(value, spec=".3g"):
    return "—" if value is None else format(value, spec)


def ratio(a, b):
    return None if a is None or b is None else a / b


def header(names):
    """Print a markdown table header from ``"a | b | c"``."""
    print(f"| {names} |\n|{'---|' * (names.count('|') + 1)}", flush=True)


def row(cells):
    print(f"| {cells} |", flush=True)
