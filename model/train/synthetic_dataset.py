"""
Writes a synthetic dataset in exactly the format the TS pipeline (model/train/pipeline.ts) produces,
so the training path can be exercised and timed without the simulator. Not a substitute for the
fleet simulator: the failure story here is deliberately crude (a memory ramp before some downtimes,
no precursor before others), just enough signal that a working training loop visibly learns.

    /usr/bin/python3 model/train/synthetic_dataset.py --out DIR [--hosts=200] [--rows=10080] [--seed=0]

Format (see dataset.json "files"):
  features.f32  float32 LE, rows x 12: per metric "<m>:scaled", "<m>:z", "<m>:mask" (0 where masked)
  risk.f32      float32 LE, rows x n_horizons: 1 = downtime starts within (t, t+h], 0 = not, NaN = masked
  forecast.f32  float32 LE, rows x 4: the next row's "<m>:z", NaN when that value is missing
Hosts are concatenated; host i occupies rows offset..offset+length.
"""

import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from configurator import parse_overrides  # noqa: E402

METRICS = ["cpu_usage", "memory_usage", "network_latency", "error_rate"]
FEATURE_NAMES = [f"{m}:{k}" for m in METRICS for k in ("scaled", "z", "mask")]

config = dict(
    out="",
    hosts=200,
    rows=10080,  # 7 days at 60 s
    rows_jitter=0.1,  # host lengths vary by up to this fraction (shorter), like hosts joining late
    seed=0,
    step_seconds=60,
    horizons="5,15,30",  # steps
    failures_per_host_day=0.5,
    precursor_fraction=0.7,  # the rest are sudden crashes with no precursor
    missing_fraction=0.01,
    splits="train:0.6,val:0.15,calibration:0.15,test:0.1",
)


def host_series(rng, length, horizons, cfg):
    t = np.arange(length)
    day = 86400 / cfg["step_seconds"]
    phase = rng.uniform(0, 2 * np.pi)
    season = np.sin(2 * np.pi * t / day + phase)
    raw = np.empty((length, 4))
    raw[:, 0] = np.clip(rng.uniform(10, 50) + 10 * season + rng.normal(0, 4, length), 0, 100)
    raw[:, 1] = np.clip(rng.uniform(30, 60) + 2 * season + rng.normal(0, 1, length), 0, 100)
    raw[:, 2] = np.clip(rng.uniform(10, 80) * (1 + 0.2 * season) + rng.exponential(5, length), 0, None)
    raw[:, 3] = np.clip(rng.uniform(0, 0.01) + rng.exponential(0.002, length), 0, 1)

    down = np.zeros(length, dtype=bool)
    starts = []
    n_fail = rng.poisson(cfg["failures_per_host_day"] * length / day)
    for s in np.sort(rng.integers(120, max(121, length - 10), size=n_fail)):
        if starts and s < starts[-1] + 180:
            continue  # keep failures apart
        starts.append(int(s))
        if rng.random() < cfg["precursor_fraction"]:
            ramp = int(rng.integers(20, 60))
            a = max(0, s - ramp)
            frac = np.linspace(0, 1, s - a)
            if rng.random() < 0.5:  # memory leak → OOM
                raw[a:s, 1] += (100 - raw[a:s, 1]) * frac**1.5
            else:  # CPU saturation → latency → errors
                raw[a:s, 0] += (100 - raw[a:s, 0]) * frac
                raw[a:s, 2] *= 1 + 20 * frac**2
                raw[a:s, 3] += 0.3 * frac**3
        down[s : s + int(rng.integers(5, 30))] = True
    raw[:, :2] = np.clip(raw[:, :2], 0, 100)
    raw[:, 3] = np.clip(raw[:, 3], 0, 1)

    observed = ~down[:, None] & (rng.random((length, 4)) >= cfg["missing_fraction"])
    scaled = np.stack(
        [raw[:, 0] / 100, raw[:, 1] / 100, np.log1p(raw[:, 2]) / np.log1p(1000), np.sqrt(raw[:, 3])], axis=1
    )
    scaled = np.clip(scaled, 0, 2)
    # Crude stand-in for the online normaliser: the host's own statistics over its first day.
    ref = scaled[: int(day)][observed[: int(day)].all(axis=1)]
    mean, std = ref.mean(axis=0), np.maximum(ref.std(axis=0), 0.005)
    z = np.clip((scaled - mean) / std, -8, 8)

    feats = np.zeros((length, 12), dtype=np.float32)
    for m in range(4):
        feats[:, 3 * m] = np.where(observed[:, m], scaled[:, m], 0)
        feats[:, 3 * m + 1] = np.where(observed[:, m], z[:, m], 0)
        feats[:, 3 * m + 2] = observed[:, m]

    risk = np.zeros((length, len(horizons)), dtype=np.float32)
    start_mark = np.zeros(length + 1)
    start_mark[starts] = 1
    csum = np.concatenate([[0], np.cumsum(start_mark)])  # csum[i] = starts in rows < i
    for j, h in enumerate(horizons):
        end = np.minimum(t + h + 1, length + 1)
        risk[:, j] = (csum[end] - csum[t + 1]) > 0  # a start in rows t+1 .. t+h
        risk[t + h >= length, j] = np.nan  # horizon runs past the known series
        risk[down, j] = np.nan

    forecast = np.full((length, 4), np.nan, dtype=np.float32)
    nxt_z = feats[1:, 1::3]
    forecast[:-1] = np.where(observed[1:], nxt_z, np.nan)
    return feats, risk, forecast, len(starts)


def main():
    cfg = parse_overrides(sys.argv[1:], config)
    if not cfg["out"]:
        raise SystemExit("usage: synthetic_dataset.py --out DIR [--key=value ...]")
    horizons = [int(h) for h in cfg["horizons"].split(",")]
    rng = np.random.default_rng(cfg["seed"])
    split_spec = [(k, float(v)) for k, v in (s.split(":") for s in cfg["splits"].split(","))]
    # Deterministic split: shuffle hosts, cut by cumulative fraction (every split gets ≥ 1 host).
    order = rng.permutation(cfg["hosts"])
    split_of = {}
    bounds = np.cumsum([f for _, f in split_spec])
    bounds = bounds / bounds[-1]
    for rank, h in enumerate(order):
        k = int(np.searchsorted(bounds, (rank + 0.5) / cfg["hosts"]))
        split_of[int(h)] = split_spec[min(k, len(split_spec) - 1)][0]

    os.makedirs(cfg["out"], exist_ok=True)
    files = {"features": "features.f32", "risk_labels": "risk.f32", "forecast_targets": "forecast.f32"}
    hosts, offset, n_fail = [], 0, 0
    with open(os.path.join(cfg["out"], files["features"]), "wb") as ff, open(
        os.path.join(cfg["out"], files["risk_labels"]), "wb"
    ) as fr, open(os.path.join(cfg["out"], files["forecast_targets"]), "wb") as fc:
        for i in range(cfg["hosts"]):
            length = int(cfg["rows"] * (1 - rng.uniform(0, cfg["rows_jitter"])))
            feats, risk, forecast, k = host_series(rng, length, horizons, cfg)
            n_fail += k
            ff.write(feats.astype("<f4").tobytes())
            fr.write(risk.astype("<f4").tobytes())
            fc.write(forecast.astype("<f4").tobytes())
            hosts.append({"id": f"host-{i:03d}", "split": split_of[i], "offset": offset, "length": length})
            offset += length

    meta = {
        "source": "model/train/synthetic_dataset.py (crude synthetic data for tests, not the fleet simulator)",
        "config": cfg,
        "failures": n_fail,
        "scaler_policy": "scaled as in model/core/features.ts; z from each host's first-day mean/std",
    }
    dataset = {
        "version": 1,
        "feature_names": FEATURE_NAMES,
        "forecast_names": METRICS,
        "horizons_minutes": [h * cfg["step_seconds"] // 60 for h in horizons],
        "horizons_steps": horizons,
        "step_seconds": cfg["step_seconds"],
        "hosts": hosts,
        "files": files,
        "meta": meta,
    }
    with open(os.path.join(cfg["out"], "dataset.json"), "w") as f:
        json.dump(dataset, f, indent=1)
    print(f"wrote {cfg['hosts']} hosts, {offset} rows, {n_fail} failures to {cfg['out']}")


if __name__ == "__main__":
    main()
