#!/usr/bin/python3
"""Step 4 of the recipe: evaluation on the held-out frames against the
teacher's labels (YOLOX-Nano, score >= 0.35, our 8 classes; see common.py).

Side by side: the road model (lookout-road.pt, the weights of
lookout-road.onnx, run in PyTorch), FastestDet and Yolo-Fastest 1.1 (OpenCV
DNN, each with its own preprocessing from SOURCES.md, COCO classes mapped to
ours). Per class: precision and recall at score >= 0.3, and AP@0.5 (all-point
interpolated, every detection with score >= 0.01). Per-class NMS at IoU 0.45
for every model. Also writes the annotated strip of held-out frames
(models/road/heldout_strip.png) and, given a lookout binary with
`bench --model`, times the road model against YOLOX-Nano on the same device
in the same run.

    /usr/bin/python3 models/road/evaluate.py [--lookout build/pipeline/lookout]
"""
import argparse
import collections
import os
import pickle
import subprocess
import sys
import tempfile

import cv2
import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
from model import build  # noqa: E402

SCORE_PR = 0.3
SCORE_MIN = 0.01
STRIP = os.path.join(common.HERE, "heldout_strip.png")
# The baselines' detections do not change between runs of this script.
BASELINE_CACHE = os.path.join(common.WORK, "baseline_detections.pkl")


def to_road(boxes, scores, coco_ids):
    keep = np.array([int(c) in common.COCO_TO_ROAD for c in coco_ids], bool)
    cls = np.array([common.COCO_TO_ROAD.get(int(c), -1) for c in coco_ids], np.int64)
    return boxes[keep], scores[keep], cls[keep]


def finish(boxes, scores, cls, shape):
    h, w = shape[:2]
    m = scores >= SCORE_MIN
    boxes, scores, cls = boxes[m], scores[m], cls[m]
    boxes = np.clip(boxes, 0, [w, h, w, h]).astype(np.float32)
    keep = common.nms(boxes, scores.astype(np.float32), cls)
    return boxes[keep], scores[keep], cls[keep]


class RoadModel:
    name = "lookout-road (ours)"

    def __init__(self):
        self.model = build(len(common.CLASSES))
        self.model.load_state_dict(torch.load(os.path.join(common.HERE, "lookout-road.pt")))
        self.model.eval().fuse()

    def __call__(self, img):
        canvas, r, (dx, dy) = common.letterbox(img, common.INPUT_H, common.INPUT_W, center=True)
        x = torch.from_numpy(canvas[:, :, ::-1].transpose(2, 0, 1).copy()).float()[None] / 255.0
        with torch.no_grad():
            out = self.model(x)[0].numpy().T                      # N, 4 + nc
        cls = out[:, 4:].argmax(1)
        scores = out[np.arange(len(out)), 4 + cls]
        xy, wh = out[:, :2], out[:, 2:4]
        boxes = np.concatenate([xy - wh / 2, xy + wh / 2], 1)
        boxes = (boxes - [dx, dy, dx, dy]) / r
        return finish(boxes, scores, cls, img.shape)


class FastestDet:
    name = "FastestDet"

    def __init__(self):
        self.net = cv2.dnn.readNetFromONNX(os.path.join(common.ASSETS, "models/fastestdet/FastestDet.onnx"))

    def __call__(self, img):
        h, w = img.shape[:2]
        x = cv2.resize(img, (352, 352), interpolation=cv2.INTER_AREA)
        self.net.setInput(x.transpose(2, 0, 1)[None].astype(np.float32) / 255.0)
        out = self.net.forward()[0]                              # 85, 22, 22
        g = out.shape[1]
        out = out.reshape(85, -1).T
        gy, gx = np.divmod(np.arange(g * g), g)
        cls = out[:, 5:].argmax(1)
        scores = out[:, 0] ** 0.6 * out[np.arange(len(out)), 5 + cls] ** 0.4
        cx = (gx + np.tanh(out[:, 1])) / g * w
        cy = (gy + np.tanh(out[:, 2])) / g * h
        bw = 1 / (1 + np.exp(-out[:, 3])) * w
        bh = 1 / (1 + np.exp(-out[:, 4])) * h
        boxes = np.stack([cx - bw / 2, cy - bh / 2, cx + bw / 2, cy + bh / 2], 1)
        return finish(*to_road(boxes, scores, cls), img.shape)


class YoloFastest:
    name = "Yolo-Fastest 1.1"

    def __init__(self):
        d = os.path.join(common.ASSETS, "models/yolo-fastest-1.1")
        self.net = cv2.dnn.readNetFromDarknet(os.path.join(d, "yolo-fastest-1.1.cfg"),
                                              os.path.join(d, "yolo-fastest-1.1.weights"))
        self.outs = self.net.getUnconnectedOutLayersNames()

    def __call__(self, img):
        h, w = img.shape[:2]
        self.net.setInput(cv2.dnn.blobFromImage(img, 1 / 255.0, (320, 320), swapRB=True, crop=False))
        out = np.concatenate(self.net.forward(self.outs))       # rows: cx cy w h obj, obj*cls
        cls = out[:, 5:].argmax(1)
        scores = out[np.arange(len(out)), 5 + cls]
        cx, cy, bw, bh = out[:, 0] * w, out[:, 1] * h, out[:, 2] * w, out[:, 3] * h
        boxes = np.stack([cx - bw / 2, cy - bh / 2, cx + bw / 2, cy + bh / 2], 1)
        return finish(*to_road(boxes, scores, cls), img.shape)


def iou_matrix(a, b):
    ix = np.clip(np.minimum(a[:, None, 2], b[None, :, 2]) - np.maximum(a[:, None, 0], b[None, :, 0]), 0, None)
    iy = np.clip(np.minimum(a[:, None, 3], b[None, :, 3]) - np.maximum(a[:, None, 1], b[None, :, 1]), 0, None)
    inter = ix * iy
    area = lambda x: (x[:, 2] - x[:, 0]) * (x[:, 3] - x[:, 1])  # noqa: E731
    return inter / (area(a)[:, None] + area(b)[None, :] - inter + 1e-9)


class Tally:
    """Per class: (score, is true positive) for every detection, and GT counts."""

    def __init__(self):
        self.dets = collections.defaultdict(list)
        self.gt = collections.Counter()

    def add(self, det, gt):
        boxes, scores, cls = det
        for c in range(len(common.CLASSES)):
            g = gt[gt[:, 0] == c][:, 1:5]
            self.gt[c] += len(g)
            m = cls == c
            b, s = boxes[m], scores[m]
            order = np.argsort(-s)
            b, s = b[order], s[order]
            used = np.zeros(len(g), bool)
            ious = iou_matrix(b, g) if len(b) and len(g) else np.zeros((len(b), len(g)))
            for i in range(len(b)):
                tp = False
                if len(g):
                    cand = np.where(~used, ious[i], -1)
                    j = int(cand.argmax())
                    if cand[j] >= 0.5:
                        used[j] = True
                        tp = True
                self.dets[c].append((float(s[i]), tp))

    def metrics(self, c):
        """precision, recall at SCORE_PR; AP@0.5. None where undefined."""
        d = sorted(self.dets[c], key=lambda t: -t[0])
        n = self.gt[c]
        tp = np.array([t for _, t in d], float)
        sc = np.array([s for s, _ in d], float)
        at = sc >= SCORE_PR
        p = tp[at].mean() if at.any() else None
        r = tp[at].sum() / n if n else None
        if not n:
            return p, r, None
        ctp = np.cumsum(tp)
        rec = ctp / n
        prec = ctp / np.arange(1, len(tp) + 1)
        mrec = np.concatenate([[0], rec, [1]])
        mpre = np.concatenate([[1], prec, [0]])
        mpre = np.maximum.accumulate(mpre[::-1])[::-1]
        idx = np.where(mrec[1:] != mrec[:-1])[0]
        ap = float(np.sum((mrec[idx + 1] - mrec[idx]) * mpre[idx + 1]))
        return p, r, ap

    def map50(self):
        aps = [self.metrics(c)[2] for c in range(len(common.CLASSES)) if self.gt[c]]
        return float(np.mean(aps)) if aps else None


def fmt(v):
    return "—" if v is None else f"{v:.3f}"


def draw(img, det, gt):
    out = img.copy()
    for r in gt:
        cv2.rectangle(out, (int(r[1]), int(r[2])), (int(r[3]), int(r[4])), (200, 200, 200), 1)
    colours = [(0, 0, 255), (255, 128, 0), (0, 200, 0), (255, 0, 255), (0, 255, 255),
               (255, 0, 0), (0, 128, 255), (128, 0, 255)]
    t = max(2, img.shape[1] // 500)
    for b, s, c in zip(*det):
        if s < SCORE_PR:
            continue
        col = colours[int(c)]
        cv2.rectangle(out, (int(b[0]), int(b[1])), (int(b[2]), int(b[3])), col, t)
        cv2.putText(out, f"{common.CLASSES[int(c)]} {s:.2f}", (int(b[0]), max(int(b[1]) - 4, 12)),
                    cv2.FONT_HERSHEY_SIMPLEX, 0.4 * t, col, t)
    return out


def strip(tiles, height=270):
    rows = []
    for row in (tiles[:3], tiles[3:]):
        rows.append(np.hstack([cv2.resize(t, (round(t.shape[1] * height / t.shape[0]), height))
                               for t in row]))
    w = max(r.shape[1] for r in rows)
    rows = [np.pad(r, ((0, 0), (0, w - r.shape[1]), (0, 0))) for r in rows]
    return np.vstack(rows)


def bench(lookout, frame, runs, rounds=3):
    """lookout bench --model for YOLOX-Nano and the road model on one frame,
    alternating so both see the same machine load. Returns per model the
    list of (net ms, total ms), one per round."""
    models = (("YOLOX-Nano (416x416)", os.path.join(common.ASSETS, "models/yolox_nano/yolox_nano.onnx")),
              ("lookout-road (192x352)", os.path.join(common.HERE, "lookout-road.onnx")))
    out = {name: [] for name, _ in models}
    with tempfile.TemporaryDirectory() as tmp:
        ppm = os.path.join(tmp, "frame.ppm")
        cv2.imwrite(ppm, frame)
        for _ in range(rounds):
            for name, path in models:
                res = subprocess.run([lookout, "bench", "--model", path, "--image", ppm,
                                      "--runs", str(runs)], capture_output=True, text=True)
                line = [ln for ln in res.stdout.splitlines() if ln.startswith("BENCH ")]
                if res.returncode or not line:
                    raise SystemExit(f"lookout bench failed for {path}:\n{res.stdout}{res.stderr}")
                kv = dict(f.split("=") for f in line[0].split()[1:])
                out[name].append((float(kv["net"]), float(kv["total"])))
    return out


def main():
    ap = argparse.ArgumentParser(description="Evaluates the road model on the held-out frames.")
    ap.add_argument("--lookout", help="lookout binary for the latency comparison")
    ap.add_argument("--runs", type=int, default=30)
    args = ap.parse_args()
    # one thread each: on a busy machine, thread pools waiting on each other
    # cost more than they gain for models this small
    cv2.setNumThreads(1)
    torch.set_num_threads(1)
    labels = common.load_labels()
    models = [RoadModel(), FastestDet(), YoloFastest()]
    cache = {}
    if os.path.exists(BASELINE_CACHE):
        with open(BASELINE_CACHE, "rb") as fh:
            cache = pickle.load(fh)
    fresh = not cache
    tallies = {m.name: Tally() for m in models}
    groups = {m.name: collections.defaultdict(Tally) for m in models}
    picks = {"udacity-ch2": [50, 150], "mapillary-phone-video": [20, 110],
             "degirum-traffic": [100, 250]}
    seen = collections.Counter()
    tiles, bench_frame = [], None
    n = 0
    for fid, group, _, img in common.frames("heldout"):
        gt = common.clean(labels[fid], img.shape)
        for m in models:
            if isinstance(m, RoadModel):
                det = m(img)
            else:
                if fresh:
                    cache[(m.name, fid)] = m(img)
                det = cache[(m.name, fid)]
            tallies[m.name].add(det, gt)
            groups[m.name][group].add(det, gt)
            if isinstance(m, RoadModel) and seen[group] in picks.get(group, []):
                tiles.append(draw(img, det, gt))
        if group == "udacity-ch2" and bench_frame is None:
            bench_frame = img
        seen[group] += 1
        n += 1
        if n % 100 == 0:
            print(f"{n} frames", file=sys.stderr, flush=True)
    if fresh:
        with open(BASELINE_CACHE, "wb") as fh:
            pickle.dump(cache, fh)
    print(f"held-out frames: {n} ({', '.join(f'{g} {c}' for g, c in seen.items())})")
    print(f"ground truth: teacher boxes per class: "
          f"{', '.join(f'{common.CLASSES[c]} {k}' for c, k in sorted(tallies[models[0].name].gt.items()))}\n")

    head = "| class | GT | " + " | ".join(f"{m.name} P / R / AP50" for m in models) + " |"
    print(head)
    print("|" + "---|" * (2 + len(models)))
    for c, name in enumerate(common.CLASSES):
        cells = []
        for m in models:
            p, r, a = tallies[m.name].metrics(c)
            cells.append(f"{fmt(p)} / {fmt(r)} / {fmt(a)}")
        print(f"| {name} | {tallies[models[0].name].gt[c]} | " + " | ".join(cells) + " |")
    print("| **mAP@0.5** | | " + " | ".join(f"**{fmt(tallies[m.name].map50())}**" for m in models) + " |")
    print()
    print("| held-out group | " + " | ".join(f"{m.name} mAP@0.5" for m in models) + " |")
    print("|" + "---|" * (1 + len(models)))
    for g in seen:
        print(f"| {g} | " + " | ".join(fmt(groups[m.name][g].map50()) for m in models) + " |")

    cv2.imwrite(STRIP, strip(tiles), [cv2.IMWRITE_PNG_COMPRESSION, 9])
    print(f"\nwrote {STRIP}")

    if args.lookout:
        print(f"\nLookout latency (`lookout bench --model`, median of {args.runs} runs per round, "
              f"the two models alternating), one held-out frame "
              f"({bench_frame.shape[1]}x{bench_frame.shape[0]}):\n")
        res = bench(args.lookout, bench_frame, args.runs)
        names = list(res)
        print("| round | " + " | ".join(f"{n} net / total ms" for n in names) + " | speed-up (total) |")
        print("|" + "---|" * (len(names) + 2))
        for r in range(len(res[names[0]])):
            cells = [f"{res[n][r][0]:.1f} / {res[n][r][1]:.1f}" for n in names]
            print(f"| {r + 1} | " + " | ".join(cells) + f" | {res[names[0]][r][1] / res[names[1]][r][1]:.2f}x |")


if __name__ == "__main__":
    main()
