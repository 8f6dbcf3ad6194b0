"""
ONNX export of DowntimeLSTM in the exact form the edge runs, plus the artifact's metadata JSON.

    /usr/bin/python3 model/train/export.py --ckpt PATH --out DIR [--name=downtime-lstm]

train.py calls write_artifact() at the end of a run; this CLI re-exports any checkpoint (the checkpoint
carries model config, weights, calibration, metrics and the training record, so the artifact can be
rebuilt from it alone).

Graph contract (opset 14, torch 1.13):
  inputs   x [batch, seq, n_features] float32, h0 [layers, batch, hidden], c0 [layers, batch, hidden]
  outputs  risk_logit [batch, seq, n_horizons], forecast [batch, seq, n_forecast], hn, cn (like h0, c0)
  batch and seq are dynamic. Zero (h0, c0) = a host seen for the first time.

A second graph, <name>.peek.onnx, holds the same weights in model.CommitAndPeek: the same inputs and
outputs, but x is k >= 1 steps to commit followed by the open step (seq >= 2), and hn, cn are the state
after the k committed steps. The edge uses it to commit and evaluate the open step in one call.
"""

import hashlib
import json
import os
import sys
import warnings

import onnx
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from configurator import parse_overrides  # noqa: E402
from model import CommitAndPeek, DowntimeLSTM, ModelConfig  # noqa: E402

OPSET = 14
INPUT_NAMES = ["x", "h0", "c0"]
OUTPUT_NAMES = ["risk_logit", "forecast", "hn", "cn"]
METADATA_FORMAT = "edge-downtime-lstm/1"


def sha256_file(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def export_onnx(model: DowntimeLSTM, path: str, peek: bool = False) -> str:
    """Writes the ONNX graph (with `peek`, the CommitAndPeek one), runs onnx.checker, returns its sha256."""
    cfg = model.cfg
    model = model.eval()
    batch, seq = 2, 3  # any sizes; both axes are exported as dynamic
    x = torch.zeros(batch, seq, cfg.n_features)
    h0, c0 = model.zero_state(batch)
    graph = CommitAndPeek(model).eval() if peek else model
    dyn_seq = {0: "batch", 1: "seq"}
    dyn_state = {1: "batch"}
    with warnings.catch_warnings():
        # torch warns that LSTM + batch_first + dynamic batch "may" misbehave; the parity test
        # (model/train/parity.test.ts) checks batch 3 against PyTorch instead of trusting either side.
        warnings.filterwarnings("ignore", message=".*LSTM.*batch")
        # Benign torch 1.13 exporter noise about constants it cannot shape-infer (the checker runs below).
        warnings.filterwarnings("ignore", message="The shape inference of prim::Constant")
        torch.onnx.export(
            graph,
            (x, h0, c0),
            path,
            input_names=INPUT_NAMES,
            output_names=OUTPUT_NAMES,
            dynamic_axes={
                "x": dyn_seq,
                "h0": dyn_state,
                "c0": dyn_state,
                "risk_logit": dyn_seq,
                "forecast": dyn_seq,
                "hn": dyn_state,
                "cn": dyn_state,
            },
            opset_version=OPSET,
            do_constant_folding=True,
        )
    onnx.checker.check_model(onnx.load(path))
    return sha256_file(path)


def default_thresholds(horizons_minutes):
    return {
        "source": "default",
        "note": "Defaults written by model/train/export.py; the pipeline / lead may override. "
        "p is the calibrated probability of the named horizon.",
        "warning": {"horizon_minutes": max(horizons_minutes), "p_min": 0.5},
        "critical": {"horizon_minutes": min(horizons_minutes), "p_min": 0.8},
    }


def build_metadata(ckpt: dict, name: str, onnx_file: str, onnx_sha256: str) -> dict:
    mc = ckpt["model_config"]
    ds = ckpt["dataset"]
    created = ckpt.get("created_utc", "")
    version = f"{created[:10].replace('-', '')}-{onnx_sha256[:8]}" if created else onnx_sha256[:8]
    state_shape = [mc["layers"], "batch", mc["hidden"]]
    return {
        "format": METADATA_FORMAT,
        "name": name,
        "version": version,
        "created_utc": created,
        "onnx": {"file": onnx_file, "sha256": onnx_sha256, "opset": OPSET},
        "io": {
            "inputs": {
                "x": ["batch", "seq", mc["n_features"]],
                "h0": state_shape,
                "c0": state_shape,
            },
            "outputs": {
                "risk_logit": ["batch", "seq", mc["n_horizons"]],
                "forecast": ["batch", "seq", mc["n_forecast"]],
                "hn": state_shape,
                "cn": state_shape,
            },
            "input_names": INPUT_NAMES,
            "output_names": OUTPUT_NAMES,
            "dtype": "float32",
            "layout": "row-major; x is batch-major (batch, seq, feature); state is (layer, batch, hidden)",
        },
        "feature_names": ds["feature_names"],
        "forecast_names": ds["forecast_names"],
        "forecast_target": "next step's '<metric>:z' feature per forecast name",
        "step_seconds": ds["step_seconds"],
        "horizons_minutes": ds["horizons_minutes"],
        "horizons_steps": ds["horizons_steps"],
        "risk_target": "a downtime starts within (t, t + h steps] after row t",
        "hidden": mc["hidden"],
        "layers": mc["layers"],
        "state": {
            "h": state_shape,
            "c": state_shape,
            "initial": "zeros (host seen for the first time)",
            "policy": "stateful: carry (h, c) forever, feed each new step once; never re-run a window",
        },
        "calibration": ckpt.get("calibration"),
        "thresholds": default_thresholds(ds["horizons_minutes"]),
        "metrics": ckpt.get("metrics"),
        "training": ckpt.get("training"),
        "data": {k: v for k, v in ds.items() if k not in ("feature_names", "forecast_names")},
    }


def write_artifact(ckpt: dict, out_dir: str, name: str) -> dict:
    """Builds the model from a checkpoint, writes <name>.onnx and <name>.json; returns the metadata."""
    os.makedirs(out_dir, exist_ok=True)
    model = DowntimeLSTM(ModelConfig(**ckpt["model_config"]))
    model.load_state_dict(ckpt["state_dict"])
    onnx_file = f"{name}.onnx"
    sha = export_onnx(model, os.path.join(out_dir, onnx_file))
    meta = build_metadata(ckpt, name, onnx_file, sha)
    meta["onnx_peek"] = export_peek(model, out_dir, name)
    with open(os.path.join(out_dir, f"{name}.json"), "w") as f:
        json.dump(meta, f, indent=2, allow_nan=False)
        f.write("\n")
    return meta


def export_peek(model: DowntimeLSTM, out_dir: str, name: str) -> dict:
    """Writes <name>.peek.onnx (CommitAndPeek); returns its metadata entry."""
    peek_file = f"{name}.peek.onnx"
    sha = export_onnx(model, os.path.join(out_dir, peek_file), peek=True)
    return {"file": peek_file, "sha256": sha, "opset": OPSET}


def main():
    args = parse_overrides(sys.argv[1:], dict(ckpt="", out="", name="downtime-lstm"))
    if not args["ckpt"] or not args["out"]:
        raise SystemExit("usage: export.py --ckpt PATH --out DIR [--name=NAME]")
    ckpt = torch.load(args["ckpt"], map_location="cpu")
    meta = write_artifact(ckpt, args["out"], args["name"])
    print(f"wrote {os.path.join(args['out'], meta['onnx']['file'])} sha256 {meta['onnx']['sha256']}")


if __name__ == "__main__":
    main()
