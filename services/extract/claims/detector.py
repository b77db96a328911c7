"""The learned claim detector: decides whether a sentence states a troop-movement claim, of
which movement and polarity. Consumes a sentence's features (`features.py`); emits a
`Decision` of probabilities. The weights are a trained artefact (`make train`, shipped as
`services/extract/data/detector.npz`): hashed sparse weights, dense weights over the averaged
token vectors and biases for six outputs, read with numpy alone — no model is fetched, ever.
"""

from __future__ import annotations

import json
import zipfile
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "DEFAULT_PATH",
    "HASH_BITS",
    "MOVEMENTS",
    "Decision",
    "Detector",
    "DetectorError",
    "hash_features",
]

DEFAULT_PATH = Path(__file__).resolve().parents[1] / "data" / "detector.npz"
MOVEMENTS = ("buildup", "deploy", "advance", "withdraw")
HASH_BITS = 20
_MASK = (1 << HASH_BITS) - 1
# Output columns: claim, the four movements (softmax), denied.
_CLAIM, _MOVES, _DENIED = 0, slice(1, 5), 5
N_OUTPUTS = 6


class DetectorError(Exception):
    """Raised when a detector artefact is missing, unreadable or of another shape."""


def hash_features(feats: Sequence[str]) -> NDArray[np.int64]:
    """Stable (process-independent) hashed ids of feature strings, duplicates kept once."""
    return np.unique(
        np.fromiter((zlib.crc32(f.encode("utf-8")) & _MASK for f in feats), dtype=np.int64)
    )


@dataclass(frozen=True)
class Decision:
    """What the detector makes of one sentence."""

    claim: float
    movements: tuple[float, float, float, float]
    denied: float
    threshold: float
    rule_threshold: float
    reject_threshold: float

    def accepts(self, rules: bool | None) -> bool:
        """A claim when the model is confident enough: `rule_threshold` where the trigger
        rules accept the sentence too (rules=True), `reject_threshold` where they found a
        movement word and judged it no claim (a demand, a condition, history: rules=False),
        `threshold` where they found nothing (rules=None)."""
        if rules is None:
            return self.claim >= self.threshold
        return self.claim >= (self.rule_threshold if rules else self.reject_threshold)

    @property
    def movement(self) -> str:
        return MOVEMENTS[int(np.argmax(self.movements))]

    def movement_p(self, movement: str) -> float:
        return self.movements[MOVEMENTS.index(movement)]


class Detector:
    """A linear model over hashed sparse features and a dense vector, six outputs."""

    def __init__(
        self,
        index: NDArray[np.int64],
        sparse: NDArray[np.float32],
        dense: NDArray[np.float32],
        bias: NDArray[np.float32],
        dense_mean: NDArray[np.float32],
        dense_scale: NDArray[np.float32],
        threshold: float,
        rule_threshold: float,
        reject_threshold: float,
        meta: dict[str, Any] | None = None,
    ) -> None:
        order = np.argsort(index)
        self.index = np.asarray(index, dtype=np.int64)[order]
        self.sparse = np.asarray(sparse, dtype=np.float32)[order]
        self.dense = np.asarray(dense, dtype=np.float32)
        self.bias = np.asarray(bias, dtype=np.float32)
        self.dense_mean = np.asarray(dense_mean, dtype=np.float32)
        self.dense_scale = np.asarray(dense_scale, dtype=np.float32)
        self.threshold = float(threshold)
        self.rule_threshold = float(rule_threshold)
        self.reject_threshold = float(reject_threshold)
        self.meta = dict(meta or {})
        if self.sparse.shape != (len(self.index), N_OUTPUTS) or self.bias.shape != (N_OUTPUTS,):
            raise DetectorError(f"detector weights of shape {self.sparse.shape}, {self.bias.shape}")

    @classmethod
    def load(cls, path: Path | None = None) -> Detector:
        """Read an artefact written by `save`; DetectorError when absent or malformed."""
        path = path or DEFAULT_PATH
        try:
            # np.load on a path leaks the file when it cannot parse it: open it ourselves.
            with path.open("rb") as f, np.load(f, allow_pickle=False) as z:
                return cls(
                    z["index"],
                    z["sparse"],
                    z["dense"],
                    z["bias"],
                    z["dense_mean"],
                    z["dense_scale"],
                    float(z["threshold"]),
                    float(z["rule_threshold"]),
                    float(z["reject_threshold"]),
                    json.loads(str(z["meta"])),
                )
        except (OSError, KeyError, ValueError, EOFError, zipfile.BadZipFile) as exc:
            raise DetectorError(f"cannot read the claim detector at {path.name}: {exc}") from exc

    def save(self, path: Path) -> None:
        """Write the artefact (numpy arrays only, no pickles)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as f:
            np.savez_compressed(
                f,
                index=self.index,
                sparse=self.sparse,
                dense=self.dense,
                bias=self.bias,
                dense_mean=self.dense_mean,
                dense_scale=self.dense_scale,
                threshold=np.float64(self.threshold),
                rule_threshold=np.float64(self.rule_threshold),
                reject_threshold=np.float64(self.reject_threshold),
                meta=np.str_(json.dumps(self.meta, sort_keys=True)),
            )

    def scores(self, ids: NDArray[np.int64], dense: NDArray[np.float32]) -> NDArray[np.float32]:
        """Raw linear scores of the six outputs for one sentence's hashed ids and vector."""
        out = self.bias + ((dense - self.dense_mean) / self.dense_scale) @ self.dense
        if len(self.index) and len(ids):
            pos = np.minimum(np.searchsorted(self.index, ids), len(self.index) - 1)
            hit = pos[self.index[pos] == ids]
            out = out + self.sparse[hit].sum(axis=0)
        return np.asarray(out, dtype=np.float32)

    def decide(self, feats: Sequence[str], dense: NDArray[np.float32]) -> Decision:
        """Probabilities for one sentence: claim, movement given a claim, denied."""
        s = self.scores(hash_features(feats), dense)
        moves = np.exp(s[_MOVES] - s[_MOVES].max())
        moves /= moves.sum()
        return Decision(
            claim=_sigmoid(float(s[_CLAIM])),
            movements=(float(moves[0]), float(moves[1]), float(moves[2]), float(moves[3])),
            denied=_sigmoid(float(s[_DENIED])),
            threshold=self.threshold,
            rule_threshold=self.rule_threshold,
            reject_threshold=self.reject_threshold,
        )


def _sigmoid(x: float) -> float:
    return float(1.0 / (1.0 + np.exp(-x)))
