"""
Parity fixture: exports a small DowntimeLSTM (fixed seed, random weights) exactly like train.py does and
writes PyTorch's outputs for the ways the edge will call it, so model/train/parity.test.ts can replay
them through LstmModel + onnxruntime-web and compare.

    /usr/bin/python3 model/train/fixture.py --out DIR [--seed=7] [--hidden=32] [--layers=2] [--steps=60]

Writes DIR/model.onnx, DIR/model.peek.onnx, DIR/model.json (artifact metadata, same builder as training)
and DIR/fixture.json:
  cases[]: name, batch, calls (steps per call, state carried between calls), x [batch, steps, F],
           h0/c0 [layers, batch, hidden] (initial state), and PyTorch's risk_logit [batch, steps, H],
           forecast [batch, steps, 4], hn, cn (after the last call) — all flat, row-major.
  peek: the commit-and-peek graph's PyTorch outputs for the batch-3 case (its last row is the open step).
  calibrated: sigmoid(a·logit + b) of the first case, to check the TS side applies calibration alike.
"""

import json
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from configurator import parse_overrides  # noqa: E402
from export import write_artifact  # noqa: E402
from model import CommitAndPeek, ModelConfig, build_model  # noqa: E402

METRICS = ["cpu_usage", "memory_usage", "network_latency", "error_rate"]
defaults = dict(out="", seed=7, hidden=32, layers=2, steps=60)


def make_x(rng, batch, steps, n_metrics=4):
    """Feature rows like the edge's: scaled ~ 0..1, z ~ N(0, 1.5), mask 0/1 with masked values zeroed."""
    x = np.zeros((batch, steps, 3 * n_metrics), dtype=np.float32)
    for m in range(n_metrics):
        mask = (rng.random((batch, steps)) > 0.1).astype(np.float32)
        x[:, :, 3 * m] = rng.random((batch, steps)) * mask
        x[:, :, 3 * m + 1] = rng.normal(0, 1.5, (batch, steps)) * mask
        x[:, :, 3 * m + 2] = mask
    return x


@torch.no_grad()
def run_calls(model, x, h0, c0, calls):
    """Feeds x in consecutive calls of the given lengths, carrying (h, c); concatenates outputs."""
    h, c = torch.from_numpy(h0), torch.from_numpy(c0)
    rs, fs, t = [], [], 0
    for n in calls:
        r, f, h, c = model(torch.from_numpy(x[:, t : t + n]), h, c)
        rs.append(r)
        fs.append(f)
        t += n
    assert t == x.shape[1]
    return torch.cat(rs, 1).numpy(), torch.cat(fs, 1).numpy(), h.numpy(), c.numpy()


def flat(a):
    # float32 → float64 is exact and JSON round-trips doubles, so the TS side sees PyTorch's exact values.
    return [float(v) for v in np.asarray(a, dtype=np.float32).ravel()]


def main():
    cfg = parse_overrides(sys.argv[1:], defaults)
    if not cfg["out"]:
        raise SystemExit("usage: fixture.py --out DIR [--seed=7]")
    torch.set_num_threads(1)
    mcfg = ModelConfig(hidden=cfg["hidden"], layers=cfg["layers"])
    model = build_model(mcfg, cfg["seed"]).eval()
    rng = np.random.default_rng(cfg["seed"])
    steps = cfg["steps"]
    calib = {"method": "platt", "a": [0.9, 1.1, 1.3], "b": [-2.0, -1.5, -1.0]}
    ckpt = {
        "model_config": mcfg.to_dict(),
        "state_dict": model.state_dict(),
        "dataset": {
            "feature_names": [f"{m}:{k}" for m in METRICS for k in ("scaled", "z", "mask")],
            "forecast_names": METRICS,
            "horizons_minutes": [5, 15, 30],
            "horizons_steps": [5, 15, 30],
            "step_seconds": 60,
            "meta": {"source": "model/train/fixture.py (random weights, parity fixture)"},
        },
        "calibration": calib,
        "training": {"seed": cfg["seed"], "torch_version": torch.__version__, "command": " ".join(sys.argv)},
    }
    os.makedirs(cfg["out"], exist_ok=True)
    write_artifact(ckpt, cfg["out"], "model")

    x1 = make_x(rng, 1, steps)
    zero1 = np.zeros((mcfg.layers, 1, mcfg.hidden), dtype=np.float32)
    ten = steps // 6
    specs = [
        ("one call", x1, zero1, zero1, [steps]),
        ("one step per call", x1, zero1, zero1, [1] * steps),
        (f"{ten} steps per call", x1, zero1, zero1, [ten] * (steps // ten) + ([steps % ten] if steps % ten else [])),
    ]
    x3 = make_x(rng, 3, steps)
    s3 = (rng.normal(0, 0.5, (2, mcfg.layers, 3, mcfg.hidden))).astype(np.float32)  # mid-life state
    specs.append(("batch 3, carried non-zero state", x3, s3[0], s3[1], [steps // 2, steps - steps // 2]))

    cases = []
    for name, x, h0, c0, calls in specs:
        r, f, hn, cn = run_calls(model, x, h0, c0, calls)
        cases.append(
            {
                "name": name,
                "batch": int(x.shape[0]),
                "calls": calls,
                "x": flat(x),
                "h0": flat(h0),
                "c0": flat(c0),
                "risk_logit": flat(r),
                "forecast": flat(f),
                "hn": flat(hn),
                "cn": flat(cn),
            }
        )
    # The commit-and-peek graph (model.peek.onnx): the last row of the batch-3 case is the open step,
    # from that case's non-zero state; outputs for every row, state after the committed rows.
    with torch.no_grad():
        pr, pf, phn, pcn = CommitAndPeek(model).eval()(
            torch.from_numpy(x3), torch.from_numpy(s3[0]), torch.from_numpy(s3[1])
        )
    peek = {
        "batch": 3,
        "x": flat(x3),
        "h0": flat(s3[0]),
        "c0": flat(s3[1]),
        "risk_logit": flat(pr),
        "forecast": flat(pf),
        "hn": flat(phn),
        "cn": flat(pcn),
    }
    # PyTorch's own stepping error, for the record (carried state is exact up to float reordering).
    drift = max(abs(a - b) for a, b in zip(cases[0]["risk_logit"], cases[1]["risk_logit"]))
    z = np.array(cases[0]["risk_logit"]).reshape(-1, 3)
    calibrated = 1 / (1 + np.exp(-(z * np.array(calib["a"]) + np.array(calib["b"]))))
    with open(os.path.join(cfg["out"], "fixture.json"), "w") as f:
        json.dump(
            {"seed": cfg["seed"], "cases": cases, "peek": peek, "calibrated": flat(calibrated), "torch_step_drift": drift},
            f,
        )
    print(f"wrote fixture to {cfg['out']} ({len(cases)} cases; torch one-call vs per-step max diff {drift:.2e})")


if __name__ == "__main__":
    main()
