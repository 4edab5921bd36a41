#!/usr/bin/python3
"""Step 3 of the recipe: export the trained road detector (EMA weights of
models/road/work/last.pt) to models/road/lookout-road.onnx in the Ultralytics
output layout [1, 4 + 8, N] with Lookout's metadata, and its PyTorch weights
to models/road/lookout-road.pt (what evaluate.py runs).

    /usr/bin/python3 models/road/export.py [--checkpoint PATH]
"""
import argparse
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
from model import build, flops  # noqa: E402
from yolov12 import export_onnx  # noqa: E402

ONNX = os.path.join(common.HERE, "lookout-road.onnx")
WEIGHTS = os.path.join(common.HERE, "lookout-road.pt")

METADATA = {
    "lookout.family": "ultralytics",
    "lookout.resize": "letterbox-center",
    "lookout.interp": "bilinear",
    "lookout.channels": "rgb",
    "lookout.scale": "0.00392156862745098",
    "lookout.pad": str(common.PAD_VALUE),
    "lookout.labels": common.CLASSES,
    "lookout.name": "lookout-road",
    "lookout.model_card": "models/road/MODEL_CARD.md",
}


def main():
    ap = argparse.ArgumentParser(description="Exports the road detector.")
    ap.add_argument("--checkpoint", default=os.path.join(common.WORK, "last.pt"))
    args = ap.parse_args()
    ck = torch.load(args.checkpoint)
    model = build(len(common.CLASSES))
    model.load_state_dict(ck["ema"])
    model.eval()
    torch.save(model.state_dict(), WEIGHTS)
    export_onnx(model, ONNX, common.INPUT_H, common.INPUT_W, METADATA)
    n = sum(p.numel() for p in model.parameters())
    print(f"epoch {ck['epoch']}: {n:,} parameters, "
          f"{flops(model, common.INPUT_H, common.INPUT_W) / 1e9:.3f} GFLOPs at "
          f"{common.INPUT_H}x{common.INPUT_W}")
    print(f"wrote {ONNX} ({os.path.getsize(ONNX):,} bytes) and {WEIGHTS}")


if __name__ == "__main__":
    main()
