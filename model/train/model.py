"""
The downtime model, whole, in one file.

A stateful LSTM over per-step feature rows (per metric: fixed-scale value, per-host z-score, observed
mask) with two heads:
  - risk: one logit per horizon, "a downtime starts within (t, t+h steps]";
  - forecast: the next step's z-score of each canonical metric (self-supervised, so it also learns on
    hosts that never failed; the scoring core turns its errors into anomaly scores).

It is trained and served the same way: the edge carries (h, c) forever and feeds one step (or a small
batch of steps) per call, so forward() takes and returns the state explicitly. That signature is also
the ONNX graph's: inputs x, h0, c0; outputs risk_logit, forecast, hn, cn.
"""

from dataclasses import asdict, dataclass

import torch
from torch import nn


@dataclass
class ModelConfig:
    n_features: int = 12
    n_horizons: int = 3
    n_forecast: int = 4
    hidden: int = 32
    layers: int = 2
    dropout: float = 0.0  # between LSTM layers, training only

    def to_dict(self) -> dict:
        return asdict(self)


class DowntimeLSTM(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.cfg = cfg
        self.lstm = nn.LSTM(
            input_size=cfg.n_features,
            hidden_size=cfg.hidden,
            num_layers=cfg.layers,
            batch_first=True,
            dropout=cfg.dropout if cfg.layers > 1 else 0.0,
        )
        self.risk_head = nn.Linear(cfg.hidden, cfg.n_horizons)
        self.forecast_head = nn.Linear(cfg.hidden, cfg.n_forecast)

    def zero_state(self, batch: int, device=None):
        shape = (self.cfg.layers, batch, self.cfg.hidden)
        return torch.zeros(shape, device=device), torch.zeros(shape, device=device)

    def forward(self, x: torch.Tensor, h0: torch.Tensor, c0: torch.Tensor):
        """
        x: [batch, seq, n_features]; h0, c0: [layers, batch, hidden].
        Returns risk_logit [batch, seq, n_horizons], forecast [batch, seq, n_forecast], hn, cn.
        """
        y, (hn, cn) = self.lstm(x, (h0, c0))
        return self.risk_head(y), self.forecast_head(y), hn, cn

    def n_params(self) -> int:
        return sum(p.numel() for p in self.parameters())


class CommitAndPeek(nn.Module):
    """
    The same network (same weights) for the edge's usual call: x holds k >= 1 steps to commit, then the
    still-open step. Returns risk_logit and forecast for all k + 1 rows and the state after the k
    committed rows only, so committing and evaluating the open step take one inference call, not two.
    Exported as a second ONNX graph beside the main one (export.py).
    """

    def __init__(self, model: DowntimeLSTM):
        super().__init__()
        self.model = model

    def forward(self, x: torch.Tensor, h0: torch.Tensor, c0: torch.Tensor):
        r1, f1, hn, cn = self.model(x[:, :-1], h0, c0)
        r2, f2, _, _ = self.model(x[:, -1:], hn, cn)
        return torch.cat([r1, r2], 1), torch.cat([f1, f2], 1), hn, cn


def build_model(cfg: ModelConfig, seed: int) -> DowntimeLSTM:
    """Same seed, same initial weights (initialisation draws from the global torch RNG)."""
    torch.manual_seed(seed)
    return DowntimeLSTM(cfg)
