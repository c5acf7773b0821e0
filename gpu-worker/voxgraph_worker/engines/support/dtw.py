"""Multi-resolution banded DTW (FastDTW style) in numpy.

Full DTW is quadratic in time and memory (113 s of audio took 1.2 GB). Here the sequences are
average-pooled by 4 until short, aligned fully there, and each finer level only evaluates a
band around the coarser path, so memory and time grow linearly with length.
"""

from __future__ import annotations

from typing import Callable, Optional

import numpy as np
from scipy.ndimage import maximum_filter1d, minimum_filter1d

_FACTOR = 4
_FULL_MAX = 1200  # longest sequence aligned without a band
_RADIUS = 6  # band half-width, in coarse cells
_ROW_BLOCK = 256  # rows per block when computing costs (bounds the temporary)


def _pool(x: np.ndarray) -> np.ndarray:
    n = -(-len(x) // _FACTOR) * _FACTOR
    x = np.concatenate([x, np.repeat(x[-1:], n - len(x), axis=0)])
    return x.reshape(-1, _FACTOR, x.shape[1]).mean(axis=1)


def _band_from(path: np.ndarray, n: int, m: int) -> tuple[np.ndarray, np.ndarray]:
    """Column range [lo, hi) per fine row from a coarse path, widened by the radius."""
    nc = -(-n // _FACTOR)
    lo_c = np.full(nc, np.iinfo(np.int64).max)
    hi_c = np.full(nc, -1)
    np.minimum.at(lo_c, path[:, 0], path[:, 1])
    np.maximum.at(hi_c, path[:, 0], path[:, 1])
    size = 2 * _RADIUS + 1  # widen across rows too: row I may use the columns of rows I-r..I+r
    lo_w = minimum_filter1d(lo_c, size, mode="nearest") - _RADIUS
    hi_w = maximum_filter1d(hi_c, size, mode="nearest") + _RADIUS + 1
    rows = np.arange(n) // _FACTOR
    lo = np.clip(lo_w[rows] * _FACTOR, 0, m - 1)
    hi = np.clip(hi_w[rows] * _FACTOR, 1, m)
    lo[0], hi[-1] = 0, m
    return lo.astype(np.int64), hi.astype(np.int64)


def _banded(x, y, lo, hi, report: Optional[Callable[[float], None]]):
    """DTW over the band; returns (path as (k, 2) int array, local cost along the path).

    Cells are stored ragged (row i holds columns lo[i]..hi[i]-1 from offset off[i]) so memory
    is the band's area, not n times its widest row.
    """
    n = len(x)
    widths = hi - lo
    off = np.concatenate([[0], np.cumsum(widths)])
    acc = np.empty(off[-1], dtype=np.float32)  # accumulated cost
    cost = np.empty(off[-1], dtype=np.float32)  # local cost
    prev = None
    for b in range(0, n, _ROW_BLOCK):
        rows = np.arange(b, min(n, b + _ROW_BLOCK))
        k = np.arange(int(widths[rows].max()))
        inside = k < widths[rows, None]
        idx = np.minimum(lo[rows, None] + k, len(y) - 1)
        cost[off[b]:off[rows[-1] + 1]] = np.linalg.norm(y[idx] - x[rows, None, :], axis=2)[inside]
        for i in rows:
            ci = cost[off[i]:off[i + 1]].astype(np.float64)
            if prev is None:
                best_up = np.full(len(ci), np.inf)
                best_up[0] = 0.0
            else:
                # previous row on this row's columns, one extra on the left: p[c+1] = acc[i-1, lo[i]+c]
                cols = np.arange(lo[i] - 1, hi[i])
                ok = (cols >= lo[i - 1]) & (cols < hi[i - 1])
                p = np.full(len(cols), np.inf)
                p[ok] = prev[cols[ok] - lo[i - 1]]
                best_up = np.minimum(p[1:], p[:-1])  # from (i-1, j) or (i-1, j-1)
            # acc[j] = c[j] + min(best_up[j], acc[j-1]), solved with a running minimum
            s = np.cumsum(ci)
            row = np.minimum.accumulate(best_up + ci - s) + s
            acc[off[i]:off[i + 1]] = row
            prev = row
        if report is not None:
            report(float(rows[-1] + 1) / n)
    return _backtrack(acc, cost, lo, hi, off)


def _backtrack(acc, cost, lo, hi, off):
    def at(i, j):
        return acc[off[i] + j - lo[i]] if i >= 0 and lo[i] <= j < hi[i] else np.inf

    i, j = len(lo) - 1, int(hi[-1] - 1)
    path = [(i, j)]
    while i > 0 or j > 0:
        cands = [(at(i - 1, j - 1), i - 1, j - 1), (at(i - 1, j), i - 1, j), (at(i, j - 1), i, j - 1)]
        _, i, j = min(cands)
        path.append((i, j))
    p = np.array(path[::-1], dtype=np.int64)
    return p, cost[off[p[:, 0]] + p[:, 1] - lo[p[:, 0]]]


def align(x: np.ndarray, y: np.ndarray, report: Optional[Callable[[float], None]] = None):
    """Align feature sequences x (n, d) and y (m, d) from (0, 0) to (n-1, m-1).

    Returns (path, cost): path is (k, 2) of (row in x, column in y), monotone; cost is the
    local distance at each path point. `report` gets the finest level's progress.
    """
    n, m = len(x), len(y)
    if max(n, m) <= _FULL_MAX or min(n, m) < 4 * _FACTOR:
        lo, hi = np.zeros(n, np.int64), np.full(n, m, np.int64)
    else:
        coarse, _ = align(_pool(x), _pool(y))
        lo, hi = _band_from(coarse, n, m)
    return _banded(x, y, lo, hi, report)
