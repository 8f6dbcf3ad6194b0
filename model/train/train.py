"""
Trains DowntimeLSTM the way it is served, calibrates it, evaluates it and exports the artifact.

    /usr/bin/python3 model/train/train.py --data DIR --out DIR [--key=value ...]

Serving carries (h, c) per host forever and feeds each new step once, so training is stateful too:
truncated BPTT over each host's whole sequence (chunks of `chunk` steps, state detached and carried
across chunks, starting from zero state like a host the edge sees for the first time), hosts batched.

  loss = masked BCE(risk logits, labels; pos_weight per horizon) + forecast_weight · masked MSE(forecast)

Each epoch: validation on the "val" split (loss, average precision = AUC-PR per horizon); early stopping
on `select_metric`; the best weights are kept (checkpoint in `ckpt_dir`, config included). Then Platt
scaling per horizon on the "calibration" split (p = sigmoid(a·logit + b)), Brier / reliability / AUC-PR
on the "test" split, and export.write_artifact() → OUT/<name>.onnx + OUT/<name>.json.

Deterministic for a given seed, dataset, thread count and torch build (CPU only; threads=1 default).
"""

import datetime
import json
import math
import os
import platform
import shlex
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from configurator import parse_overrides  # noqa: E402
from export import sha256_file, write_artifact  # noqa: E402
from model import ModelConfig, build_model  # noqa: E402

# -----------------------------------------------------------------------------
# defaults (override with --key=value)
data = ""  # dataset directory (dataset.json + .f32 files)
out = ""  # artifact directory: <name>.onnx + <name>.json
name = "downtime-lstm"
ckpt_dir = ".data/checkpoints"  # git-ignored; <name>.pt lands here
seed = 1337
device = "cpu"
threads = 1  # torch.set_num_threads; results are bit-reproducible for a fixed value
# model
hidden = 32  # 48 scored a little higher on validation AUC-PR (0.619 vs 0.600) but costs ~2x per step at the edge
layers = 2
dropout = 0.0
# optimisation
max_epochs = 14  # ≈ 10 min on an idle 2-core box; validation AUC-PR was still rising after 8
patience = 4  # epochs without improvement of select_metric before stopping
select_metric = "ap"  # "ap" (mean val AUC-PR over horizons, higher is better) or "loss"
batch_hosts = 32  # hosts per batch (they advance through time in lockstep)
chunk = 256  # truncated-BPTT length, steps
eval_chunk = 2048  # no-grad evaluation chunk; the state is carried, so this only affects speed
lr = 3e-3
min_lr = 3e-4  # cosine decay from lr to min_lr over max_epochs
weight_decay = 0.0
grad_clip = 1.0
forecast_weight = 0.5  # λ for the forecast MSE
pos_weight_power = 0.5  # pos_weight = (neg/pos)^power per horizon (0 = plain BCE); calibrated after
pos_weight_max = 50.0
focal_gamma = 0.0  # > 0 switches the risk loss to focal BCE
max_train_hosts = 0  # 0 = all train hosts (small values for smoke tests)
max_minutes = 0.0  # wall-clock budget for the epoch loop; 0 = none (a hit breaks reproducibility)
export = True
invoked_by = ""  # free text recorded in the metadata, e.g. the `npm run train -- …` command line
# -----------------------------------------------------------------------------
DEFAULTS = {k: v for k, v in globals().items() if not k.startswith("_") and isinstance(v, (int, float, bool, str))}
SPLITS = ("train", "val", "calibration", "test")


def log(msg: str) -> None:
    print(msg, flush=True)


def fmt_s(seconds: float) -> str:
    seconds = int(round(seconds))
    return f"{seconds // 60}m{seconds % 60:02d}s"


# ---------------------------------------------------------------- data


def load_dataset(data_dir: str) -> dict:
    with open(os.path.join(data_dir, "dataset.json")) as f:
        ds = json.load(f)
    if ds.get("version") != 1:
        raise SystemExit(f"dataset.json version {ds.get('version')!r} unsupported (expected 1)")
    for key in ("feature_names", "forecast_names", "horizons_minutes", "horizons_steps", "step_seconds", "hosts"):
        if key not in ds:
            raise SystemExit(f"dataset.json lacks {key!r}")
    nf, nh, nc = len(ds["feature_names"]), len(ds["horizons_steps"]), len(ds["forecast_names"])
    if len(ds["horizons_minutes"]) != nh:
        raise SystemExit("horizons_minutes and horizons_steps differ in length")
    files = ds.get("files", {})
    arrays = {}
    for key, width in (("features", nf), ("risk_labels", nh), ("forecast_targets", nc)):
        if key not in files:
            raise SystemExit(f"dataset.json files lacks {key!r}")
        path = os.path.join(data_dir, files[key])
        arr = np.fromfile(path, dtype="<f4")
        if arr.size % width:
            raise SystemExit(f"{path}: {arr.size} floats is not a multiple of {width}")
        arrays[key] = arr.reshape(-1, width)
    rows = arrays["features"].shape[0]
    if any(a.shape[0] != rows for a in arrays.values()):
        raise SystemExit(f"row counts differ: { {k: a.shape[0] for k, a in arrays.items()} }")
    for h in ds["hosts"]:
        if h["split"] not in SPLITS:
            raise SystemExit(f"host {h['id']}: unknown split {h['split']!r}")
        if h["offset"] < 0 or h["length"] <= 0 or h["offset"] + h["length"] > rows:
            raise SystemExit(f"host {h['id']}: rows {h['offset']}+{h['length']} outside 0..{rows}")
    if not np.isfinite(arrays["features"]).all():
        raise SystemExit("features contain NaN/inf (masked values must be 0 with mask 0)")
    ds["arrays"] = arrays
    ds["file_sha256"] = {k: sha256_file(os.path.join(data_dir, v)) for k, v in files.items()}
    ds["file_sha256"]["dataset.json"] = sha256_file(os.path.join(data_dir, "dataset.json"))
    return ds


class Split:
    """One split's hosts as zero-padded tensors [hosts, max_len, ·]; padding has NaN labels/targets."""

    def __init__(self, ds: dict, split: str, limit: int = 0):
        hosts = [h for h in ds["hosts"] if h["split"] == split]
        if limit:
            hosts = hosts[:limit]
        self.hosts = hosts
        self.n = len(hosts)
        a = ds["arrays"]
        max_len = max((h["length"] for h in hosts), default=0)
        nf, nh, nc = a["features"].shape[1], a["risk_labels"].shape[1], a["forecast_targets"].shape[1]
        self.x = np.zeros((self.n, max_len, nf), dtype=np.float32)
        self.risk = np.full((self.n, max_len, nh), np.nan, dtype=np.float32)
        self.fc = np.full((self.n, max_len, nc), np.nan, dtype=np.float32)
        self.lengths = np.array([h["length"] for h in hosts], dtype=np.int64)
        for i, h in enumerate(hosts):
            s = slice(h["offset"], h["offset"] + h["length"])
            self.x[i, : h["length"]] = a["features"][s]
            self.risk[i, : h["length"]] = a["risk_labels"][s]
            self.fc[i, : h["length"]] = a["forecast_targets"][s]

    def summary(self) -> dict:
        lab = self.risk.reshape(-1, self.risk.shape[-1])
        known = ~np.isnan(lab)
        return {
            "hosts": self.n,
            "rows": int(self.lengths.sum()),
            "labelled_rows": known.sum(axis=0).tolist(),
            "positives": np.nansum(lab, axis=0).astype(int).tolist(),
        }


# ---------------------------------------------------------------- loss and metrics


def risk_loss(logit, target, pos_weight, gamma):
    mask = ~torch.isnan(target)
    t = torch.nan_to_num(target)
    bce = F.binary_cross_entropy_with_logits(logit, t, pos_weight=pos_weight, reduction="none")
    if gamma > 0:
        p = torch.sigmoid(logit)
        pt = p * t + (1 - p) * (1 - t)
        bce = bce * (1 - pt).pow(gamma)
    return (bce * mask).sum() / mask.sum().clamp(min=1), mask.sum()


def forecast_loss(pred, target):
    mask = ~torch.isnan(target)
    err = (pred - torch.nan_to_num(target)) ** 2
    return (err * mask).sum() / mask.sum().clamp(min=1), mask.sum()


def average_precision(y: np.ndarray, s: np.ndarray) -> float:
    """AUC-PR as step-wise average precision over distinct thresholds (sklearn's definition)."""
    n_pos = int(y.sum())
    if n_pos == 0:
        return float("nan")
    order = np.argsort(-s, kind="mergesort")
    y, s = y[order], s[order]
    last_of_tie = np.r_[np.diff(s) != 0, True]
    tp = np.cumsum(y)[last_of_tie]
    fp = (np.arange(1, len(y) + 1) - np.cumsum(y))[last_of_tie]
    precision = tp / (tp + fp)
    recall = tp / n_pos
    return float(np.sum(np.diff(np.r_[0.0, recall]) * precision))


def reliability_table(y: np.ndarray, p: np.ndarray, bins: int = 10) -> list:
    idx = np.minimum((p * bins).astype(int), bins - 1)
    table = []
    for b in range(bins):
        m = idx == b
        n = int(m.sum())
        table.append(
            {
                "bin": [b / bins, (b + 1) / bins],
                "count": n,
                "mean_predicted": float(p[m].mean()) if n else None,
                "observed_frequency": float(y[m].mean()) if n else None,
            }
        )
    return table


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def fit_platt(logit: np.ndarray, y: np.ndarray, iters: int = 100) -> tuple:
    """
    Platt scaling p = sigmoid(a·logit + b) by Newton's method on the log-loss, with Platt's smoothed
    targets ((N+ + 1)/(N+ + 2) and 1/(N- + 2)) so a split with few or no positives stays finite.
    """
    z = logit.astype(np.float64)
    n_pos = float(y.sum())
    n_neg = float(len(y) - n_pos)
    t = np.where(y > 0.5, (n_pos + 1) / (n_pos + 2), 1 / (n_neg + 2))

    def nll(a, b):
        u = a * z + b
        return float(np.sum(np.logaddexp(0, u) - t * u))

    a, b = 1.0, 0.0
    cur = nll(a, b)
    for _ in range(iters):
        p = sigmoid(a * z + b)
        g = np.array([np.sum((p - t) * z), np.sum(p - t)])
        w = p * (1 - p)
        hess = np.array([[np.sum(w * z * z), np.sum(w * z)], [np.sum(w * z), np.sum(w)]]) + 1e-9 * np.eye(2)
        step = np.linalg.solve(hess, g)
        scale = 1.0
        while scale > 1e-6:  # backtracking: never accept a step that raises the loss
            na, nb = a - scale * step[0], b - scale * step[1]
            new = nll(na, nb)
            if new <= cur:
                break
            scale /= 2
        else:
            break
        a, b, improved = na, nb, cur - new
        cur = new
        if improved < 1e-10 * max(1.0, abs(cur)):
            break
    return float(a), float(b)


@torch.no_grad()
def run_split(model, split: Split, dev) -> dict:
    """Runs the model statefully over every host of a split; returns flat logits/labels and losses."""
    model.eval()
    nh, nc = split.risk.shape[-1], split.fc.shape[-1]
    logits, labels, sq_err, n_err = [], [], 0.0, 0
    for b0 in range(0, split.n, 64):
        xb = torch.from_numpy(split.x[b0 : b0 + 64]).to(dev)
        h, c = model.zero_state(xb.shape[0], dev)
        outs_r, outs_f = [], []
        for t0 in range(0, xb.shape[1], eval_chunk):
            r, f, h, c = model(xb[:, t0 : t0 + eval_chunk], h, c)
            outs_r.append(r)
            outs_f.append(f)
        r = torch.cat(outs_r, 1).cpu().numpy().reshape(-1, nh)
        f = torch.cat(outs_f, 1).cpu().numpy().reshape(-1, nc)
        lab = split.risk[b0 : b0 + 64].reshape(-1, nh)
        tgt = split.fc[b0 : b0 + 64].reshape(-1, nc)
        logits.append(r)
        labels.append(lab)
        m = ~np.isnan(tgt)
        sq_err += float(np.sum((f[m] - tgt[m]) ** 2))
        n_err += int(m.sum())
    return {
        "logits": np.concatenate(logits) if logits else np.zeros((0, nh), np.float32),
        "labels": np.concatenate(labels) if labels else np.zeros((0, nh), np.float32),
        "forecast_mse": sq_err / max(n_err, 1),
    }


def horizon_columns(res: dict, j: int):
    y, z = res["labels"][:, j], res["logits"][:, j]
    m = ~np.isnan(y)
    return y[m].astype(np.float64), z[m].astype(np.float64)


def eval_loss(res: dict, pos_weight: np.ndarray) -> float:
    """Same risk + λ·forecast loss as training, averaged over the whole split."""
    total, n = 0.0, 0
    for j in range(res["labels"].shape[1]):
        y, z = horizon_columns(res, j)
        pw = pos_weight[j]
        # BCE with logits and pos_weight, numerically stable
        bce = pw * y * np.logaddexp(0, -z) + (1 - y) * np.logaddexp(0, z)
        if focal_gamma > 0:
            p = sigmoid(z)
            pt = p * y + (1 - p) * (1 - y)
            bce = bce * (1 - pt) ** focal_gamma
        total += float(bce.sum())
        n += len(y)
    return total / max(n, 1) + forecast_weight * res["forecast_mse"]


def split_metrics(res: dict, horizons_minutes, calib=None) -> dict:
    """Per horizon: AUC-PR, Brier (raw sigmoid and, with calib, Platt-calibrated), reliability."""
    per = []
    for j, hm in enumerate(horizons_minutes):
        y, z = horizon_columns(res, j)
        entry = {
            "horizon_minutes": hm,
            "n": int(len(y)),
            "positives": int(y.sum()),
            "base_rate": float(y.mean()) if len(y) else None,
            "auc_pr": average_precision(y, z) if len(y) else None,
        }
        if len(y):
            p_raw = sigmoid(z)
            entry["brier_raw"] = float(np.mean((p_raw - y) ** 2))
            entry["brier_base_rate"] = float(np.mean((y.mean() - y) ** 2))  # climatology reference
            if calib is not None:
                p_cal = sigmoid(calib["a"][j] * z + calib["b"][j])
                entry["brier_calibrated"] = float(np.mean((p_cal - y) ** 2))
                entry["reliability_calibrated"] = reliability_table(y, p_cal)
            entry["reliability_raw"] = reliability_table(y, p_raw)
        per.append(entry)
    return {"forecast_mse": res["forecast_mse"], "horizons": per}


def nan_to_none(obj):
    """JSON has no NaN: undefined metrics (no positives) are written as null."""
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, dict):
        return {k: nan_to_none(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [nan_to_none(v) for v in obj]
    return obj


# ---------------------------------------------------------------- main


def main():
    cfg = parse_overrides(sys.argv[1:], DEFAULTS)
    globals().update(cfg)
    if not data or not out:
        raise SystemExit("usage: train.py --data DIR --out DIR [--key=value ...]")
    if select_metric not in ("ap", "loss"):
        raise SystemExit("--select_metric must be ap or loss")
    command = " ".join(shlex.quote(a) for a in [sys.executable] + sys.argv)
    t_start = time.time()

    torch.set_num_threads(threads)
    torch.use_deterministic_algorithms(True)
    dev = torch.device(device)
    np_rng = np.random.default_rng(seed)

    ds = load_dataset(data)
    splits = {s: Split(ds, s, max_train_hosts if s == "train" else 0) for s in SPLITS}
    for s in SPLITS:
        if splits[s].n == 0:
            raise SystemExit(f"split {s!r} has no hosts")
    hm = ds["horizons_minutes"]
    summaries = {s: splits[s].summary() for s in SPLITS}
    log(f"data {data}: {len(ds['feature_names'])} features, horizons {hm} min, step {ds['step_seconds']} s")
    for s in SPLITS:
        sm = summaries[s]
        log(f"  {s:<11} {sm['hosts']:>4} hosts {sm['rows']:>9} rows  positives per horizon {sm['positives']}")

    train = splits["train"]
    lab = train.risk.reshape(-1, train.risk.shape[-1])
    pos = np.nansum(lab, axis=0)
    neg = (~np.isnan(lab)).sum(axis=0) - pos
    if pos_weight_power > 0:
        pw = np.minimum((np.maximum(neg, 1) / np.maximum(pos, 1)) ** pos_weight_power, pos_weight_max)
    else:
        pw = np.ones_like(pos)
    pos_weight = torch.tensor(pw, dtype=torch.float32, device=dev)

    mcfg = ModelConfig(
        n_features=len(ds["feature_names"]),
        n_horizons=len(ds["horizons_steps"]),
        n_forecast=len(ds["forecast_names"]),
        hidden=hidden,
        layers=layers,
        dropout=dropout,
    )
    model = build_model(mcfg, seed).to(dev)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)
    log(
        f"model: LSTM {mcfg.n_features}→{hidden}×{layers}, {model.n_params()} params; seed {seed}, "
        f"device {device}, threads {threads}, torch {torch.__version__}; pos_weight {np.round(pw, 2).tolist()}"
    )

    os.makedirs(ckpt_dir, exist_ok=True)
    ckpt_path = os.path.join(ckpt_dir, f"{name}.pt")
    dataset_record = {
        "feature_names": ds["feature_names"],
        "forecast_names": ds["forecast_names"],
        "horizons_minutes": hm,
        "horizons_steps": ds["horizons_steps"],
        "step_seconds": ds["step_seconds"],
        "dir": data,
        "file_sha256": ds["file_sha256"],
        "splits": summaries,
        "meta": ds.get("meta", {}),
    }

    best_score, best_epoch, best_state, history = None, -1, None, []
    stale = 0
    t_loop = time.time()
    epochs_run = 0
    stop_reason = "max_epochs"
    for epoch in range(max_epochs):
        t_epoch = time.time()
        # cosine decay per epoch, lr → min_lr
        cur_lr = min_lr + 0.5 * (lr - min_lr) * (1 + math.cos(math.pi * epoch / max(1, max_epochs)))
        for g in opt.param_groups:
            g["lr"] = cur_lr
        model.train()
        order = np_rng.permutation(train.n)
        sum_loss, sum_rl, sum_fl, n_batches = 0.0, 0.0, 0.0, 0
        for b0 in range(0, train.n, batch_hosts):
            idx = np.sort(order[b0 : b0 + batch_hosts])
            length = int(train.lengths[idx].max())
            xb = torch.from_numpy(train.x[idx, :length]).to(dev)
            rb = torch.from_numpy(train.risk[idx, :length]).to(dev)
            fb = torch.from_numpy(train.fc[idx, :length]).to(dev)
            h, c = model.zero_state(len(idx), dev)
            for t0 in range(0, length, chunk):
                t1 = t0 + chunk
                r, f, h, c = model(xb[:, t0:t1], h, c)
                h, c = h.detach(), c.detach()  # truncated BPTT: carry the state, not the graph
                rl, n_r = risk_loss(r, rb[:, t0:t1], pos_weight, focal_gamma)
                fl, n_f = forecast_loss(f, fb[:, t0:t1])
                if n_r == 0 and n_f == 0:
                    continue
                loss = rl + forecast_weight * fl
                opt.zero_grad(set_to_none=True)
                loss.backward()
                if grad_clip > 0:
                    torch.nn.utils.clip_grad_norm_(model.parameters(), grad_clip)
                opt.step()
                sum_loss += float(loss)
                sum_rl += float(rl)
                sum_fl += float(fl)
                n_batches += 1
        epochs_run = epoch + 1
        res = run_split(model, splits["val"], dev)
        val_loss = eval_loss(res, pw)
        aps = [average_precision(*horizon_columns(res, j)) for j in range(len(hm))]
        finite_aps = [a for a in aps if math.isfinite(a)]
        mean_ap = float(np.mean(finite_aps)) if finite_aps else float("nan")
        score = mean_ap if select_metric == "ap" else -val_loss
        # A NaN best (no val positives yet) is beaten by any finite score.
        improved = best_score is None or (
            math.isfinite(score) and (not math.isfinite(best_score) or score > best_score)
        )
        if improved:
            best_score, best_epoch, stale = score, epoch + 1, 0
            best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
            torch.save(
                {
                    "model_config": mcfg.to_dict(),
                    "state_dict": best_state,
                    "config": cfg,
                    "epoch": best_epoch,
                    "dataset": dataset_record,
                },
                ckpt_path,
            )
        else:
            stale += 1
        elapsed = time.time() - t_start
        per_epoch = (time.time() - t_loop) / epochs_run
        eta = per_epoch * (max_epochs - epochs_run)
        n_batches = max(n_batches, 1)
        history.append(
            {
                "epoch": epochs_run,
                "lr": cur_lr,
                "train_loss": sum_loss / n_batches,
                "val_loss": val_loss,
                "val_auc_pr": aps,
                "seconds": time.time() - t_epoch,
            }
        )
        ap_txt = " ".join(f"{m}m:{a:.3f}" for m, a in zip(hm, aps))
        log(
            f"epoch {epochs_run}/{max_epochs} lr {cur_lr:.2e} train loss {sum_loss / n_batches:.4f} "
            f"(risk {sum_rl / n_batches:.4f} fc {sum_fl / n_batches:.4f}) | val loss {val_loss:.4f} "
            f"fc_mse {res['forecast_mse']:.4f} auc_pr {ap_txt}{' *' if improved else ''} | "
            f"{time.time() - t_epoch:.1f}s/epoch, elapsed {fmt_s(elapsed)}, ETA ≤{fmt_s(eta)}"
        )
        if stale >= patience:
            stop_reason = f"early stop: no {select_metric} improvement for {patience} epochs"
            break
        if max_minutes > 0 and (time.time() - t_loop) / 60 + per_epoch / 60 > max_minutes:
            stop_reason = f"time budget {max_minutes} min"
            break
    train_seconds = time.time() - t_loop
    log(f"{stop_reason}; best epoch {best_epoch} ({select_metric} {best_score:.4f}), training {fmt_s(train_seconds)}")

    model.load_state_dict(best_state)
    cal_res = run_split(model, splits["calibration"], dev)
    calib = {"method": "platt", "formula": "p = sigmoid(a * logit + b)", "split": "calibration", "a": [], "b": []}
    for j in range(len(hm)):
        y, z = horizon_columns(cal_res, j)
        a, b = fit_platt(z, y)
        calib["a"].append(a)
        calib["b"].append(b)
    calib["n"] = [int(len(horizon_columns(cal_res, j)[0])) for j in range(len(hm))]
    calib["positives"] = [int(horizon_columns(cal_res, j)[0].sum()) for j in range(len(hm))]
    metrics = {
        "selection": {"metric": select_metric, "best_epoch": best_epoch, "score": best_score},
        "val": split_metrics(run_split(model, splits["val"], dev), hm),
        "calibration": split_metrics(cal_res, hm, calib),
        "test": split_metrics(run_split(model, splits["test"], dev), hm, calib),
        "history": history,
    }
    log("test split (Platt-calibrated):")
    for e in metrics["test"]["horizons"]:
        if not e["n"]:
            log(f"  {e['horizon_minutes']:>3} min: no labelled rows")
            continue
        ap = e["auc_pr"]
        log(
            f"  {e['horizon_minutes']:>3} min: n {e['n']} pos {e['positives']} "
            f"auc_pr {ap if ap is None else round(ap, 4)} (base rate {e['base_rate']:.4f}) "
            f"brier raw {e['brier_raw']:.5f} → calibrated {e['brier_calibrated']:.5f} "
            f"(base-rate forecast {e['brier_base_rate']:.5f})"
        )
    longest = metrics["test"]["horizons"][-1]
    if longest["n"]:
        log(f"  reliability, {longest['horizon_minutes']} min (bin: count, mean predicted, observed):")
        for row in longest["reliability_calibrated"]:
            if row["count"]:
                log(
                    f"    [{row['bin'][0]:.1f}, {row['bin'][1]:.1f}) {row['count']:>8} "
                    f"{row['mean_predicted']:.4f} {row['observed_frequency']:.4f}"
                )

    ckpt = {
        "model_config": mcfg.to_dict(),
        "state_dict": best_state,
        "config": cfg,
        "epoch": best_epoch,
        "dataset": dataset_record,
        "calibration": calib,
        "metrics": nan_to_none(metrics),
        "created_utc": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "training": {
            "command": command,
            "invoked_by": invoked_by,
            "config": cfg,
            "seed": seed,
            "device": device,
            "threads": threads,
            "deterministic": "bit-reproducible for the same seed, data, threads and torch build (CPU)",
            "torch_version": torch.__version__,
            "numpy_version": np.__version__,
            "python_version": platform.python_version(),
            "pos_weight": pw.tolist(),
            "epochs_run": epochs_run,
            "best_epoch": best_epoch,
            "stop_reason": stop_reason,
            "train_seconds": round(train_seconds, 1),
            "checkpoint": ckpt_path,
        },
    }
    torch.save(ckpt, ckpt_path)
    log(f"checkpoint {ckpt_path}")
    if export:
        meta = write_artifact(ckpt, out, name)
        log(f"wrote {os.path.join(out, meta['onnx']['file'])} (sha256 {meta['onnx']['sha256'][:12]}…)")
        log(f"wrote {os.path.join(out, name + '.json')} version {meta['version']}")
    log(f"done in {fmt_s(time.time() - t_start)}")


if __name__ == "__main__":
    main()
