"""A growing (n, *shape) float32 array filled one row at a time, for long streamed clips.

A video's landmark track grows by one (468, 3) row per sampled frame. Kept as a list of
per-frame arrays and stacked at the end (as float64, with NaN rows for missing faces) it costs
~11 kB a frame twice over while stacking; here rows go into fixed float32 blocks, so the track
costs 5.6 kB a frame, a block is allocated only when the last one is full, and :meth:`release`
joins the blocks once. Memory grows with the number of *sampled* rows only, never with pixels.
"""

from __future__ import annotations

import numpy as np

BLOCK_ROWS = 256


class RowBuffer:
    """Rows of one shape, stored as float32 in blocks of :data:`BLOCK_ROWS`; missing rows are NaN.

    Args:
        shape: The shape of one row, e.g. ``(468, 3)``.
        block_rows: Rows per block.
    """

    def __init__(self, shape: tuple[int, ...], block_rows: int = BLOCK_ROWS) -> None:
        self.shape = tuple(int(s) for s in shape)
        self.block_rows = max(1, int(block_rows))
        self._blocks: list[np.ndarray] = []
        self._n = 0
        self._present: list[bool] = []

    def __len__(self) -> int:
        return self._n

    def append(self, row: np.ndarray | None) -> None:
        """Add one row (None: a missing row, stored as NaN)."""
        at = self._n % self.block_rows
        if at == 0:
            self._blocks.append(np.full((self.block_rows, *self.shape), np.nan, np.float32))
        if row is not None:
            self._blocks[-1][at] = np.asarray(row, dtype=np.float32).reshape(self.shape)
        self._present.append(row is not None)
        self._n += 1

    def clear_rows(self, rows: list[int]) -> None:
        """Mark ``rows`` missing (NaN)."""
        for row in rows:
            if not -self._n <= row < self._n:
                raise IndexError(f"row {row} out of range for {self._n} rows")
            row %= self._n
            self._blocks[row // self.block_rows][row % self.block_rows] = np.nan
            self._present[row] = False

    def present(self) -> np.ndarray:
        """(n,) whether each row was given (and not cleared)."""
        return np.array(self._present, dtype=bool)

    def row(self, index: int) -> np.ndarray | None:
        """One row (a view), or None where it is missing."""
        if not self._present[index]:
            return None
        index %= self._n
        return self._blocks[index // self.block_rows][index % self.block_rows]

    def release(self) -> np.ndarray:
        """All rows as one (n, *shape) float32 array; the buffer is empty afterwards.

        Blocks are dropped as they are copied, so the peak is the rows plus one block.
        """
        out = np.empty((self._n, *self.shape), np.float32)
        for k in range(len(self._blocks)):
            start = k * self.block_rows
            stop = min(start + self.block_rows, self._n)
            out[start:stop] = self._blocks[k][: stop - start]
            self._blocks[k] = np.empty((0, *self.shape), np.float32)
        self._blocks.clear()
        self._n = 0
        self._present.clear()
        return out
