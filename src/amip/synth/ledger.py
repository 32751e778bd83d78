"""Growable column stores for the records the simulation writes (spells, jobs, measures, ...)."""

from __future__ import annotations

import numpy as np


class Ledger:
    """Rows with fixed columns in preallocated numpy arrays; rows can be updated by index."""

    def __init__(self, **dtypes):
        self.dtypes = dtypes
        self.n = 0
        self.cols = {k: np.zeros(1024, dtype=t) for k, t in dtypes.items()}

    def add(self, **values) -> np.ndarray:
        k = len(next(iter(values.values())))
        need = self.n + k
        cap = len(next(iter(self.cols.values())))
        if need > cap:
            new = max(need, cap * 2)
            for name, arr in self.cols.items():
                grown = np.zeros(new, dtype=arr.dtype)
                grown[: self.n] = arr[: self.n]
                self.cols[name] = grown
        idx = np.arange(self.n, need)
        for name in self.cols:
            self.cols[name][idx] = values[name]
        self.n = need
        return idx

    def __getitem__(self, name: str) -> np.ndarray:
        return self.cols[name][: self.n]

    def set(self, name: str, idx: np.ndarray, values) -> None:
        self.cols[name][idx] = values

    def frame(self) -> dict[str, np.ndarray]:
        return {k: v[: self.n].copy() for k, v in self.cols.items()}


class Chunks:
    """Append-only rows collected month by month as arrays, concatenated at the end."""

    def __init__(self, *names):
        self.names = names
        self.parts: dict[str, list[np.ndarray]] = {n: [] for n in names}

    def add(self, **values) -> None:
        for n in self.names:
            self.parts[n].append(np.asarray(values[n]))

    def frame(self) -> dict[str, np.ndarray]:
        return {n: (np.concatenate(p) if p else np.zeros(0)) for n, p in self.parts.items()}
