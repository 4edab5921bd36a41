#!/usr/bin/python3
"""Step 1 of the recipe: decode every road frame, label it with the teacher
(YOLOX-Nano via OpenCV DNN, our 8 classes) and cache the training frames at
training scale (JPEG, quality 95: ~40 MB for all of them).

PandaSet's own labels add the people, bicycles and motorcycles the teacher
misses in its dusk frames (training only; evaluation is against the teacher).

Writes models/road/work/teacher_labels.json (every frame, original pixels;
reused when present unless --relabel) and models/road/work/train_cache.pkl.
Run: /usr/bin/python3 models/road/prepare.py
"""
import argparse
import collections
import json
import os
import pickle
import sys
import time

import cv2
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

# Cached a little above the input size so random scale-ups keep some detail.
CACHE_SIDE = 448

# PandaSet boxes are projected cuboids with no occlusion model: keep only
# near, fully visible road users the teacher has no box for.
PANDA_CLASSES = {"person": 0, "bicycle": 1, "motorcycle": 3}
PANDA_MAX_DISTANCE = 25.0
PANDA_MIN_VISIBLE = 0.9


def iou(a, b):
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def pandaset_extra():
    """frame name -> rows (cls, x1, y1, x2, y2, 1.0) from PandaSet's 2D labels."""
    path = os.path.join(common.FOOTAGE, "pandaset-seq002/labels_2d_front_camera.json")
    with open(path) as fh:
        frames = json.load(fh)["frames"]
    out = {}
    for name, boxes in frames.items():
        out[name] = [[PANDA_CLASSES[b["coco"]], *b["box"], 1.0] for b in boxes
                     if b.get("coco") in PANDA_CLASSES
                     and b["distance_m"] <= PANDA_MAX_DISTANCE
                     and b["in_image_frac"] >= PANDA_MIN_VISIBLE]
    return out


def merge(det, extra):
    rows = det.tolist()
    for e in extra:
        if not any(int(d[0]) == e[0] and iou(d[1:5], e[1:5]) >= 0.3 for d in det):
            rows.append(e)
    return np.array(rows, np.float32).reshape(-1, 6)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--relabel", action="store_true", help="run the teacher again")
    args = ap.parse_args()
    os.makedirs(common.WORK, exist_ok=True)
    have = os.path.exists(common.labels_path()) and not args.relabel
    labels = common.load_labels() if have else {}
    teacher = None if have else common.Teacher()
    extra = pandaset_extra()
    cache = []
    added = collections.Counter()
    per_split = collections.Counter()
    per_class = collections.defaultdict(collections.Counter)
    groups = collections.defaultdict(collections.Counter)
    t0 = time.time()
    for n, (fid, group, split, img) in enumerate(common.frames()):
        if teacher:
            det = teacher.road(img)
            labels[fid] = det.round(2).tolist()
        else:
            det = common.clean(labels[fid], img.shape)
            labels[fid] = det
        per_split[split] += 1
        groups[split][group] += 1
        for c in det[:, 0].astype(int):
            per_class[split][common.CLASSES[c]] += 1
        if split == "train":
            r = CACHE_SIDE / max(img.shape[:2])
            small = cv2.resize(img, (round(img.shape[1] * r), round(img.shape[0] * r)),
                               interpolation=cv2.INTER_AREA)
            if group == "pandaset-front":
                merged = merge(det, extra[os.path.basename(fid)])
                for c in merged[len(det):, 0].astype(int):
                    added[common.CLASSES[c]] += 1
                det = merged
            boxes = det[:, :5].copy()
            boxes[:, 1:] *= r
            ok, jpg = cv2.imencode(".jpg", small, [cv2.IMWRITE_JPEG_QUALITY, 95])
            cache.append({"id": fid, "group": group, "jpg": jpg.tobytes(), "boxes": boxes})
        if n % 100 == 0:
            print(f"{n} frames, {time.time() - t0:.0f} s", flush=True)
    with open(common.labels_path(), "w") as fh:
        json.dump({k: np.asarray(v).round(2).tolist() for k, v in labels.items()}, fh)
    with open(os.path.join(common.WORK, "train_cache.pkl"), "wb") as fh:
        pickle.dump(cache, fh, protocol=4)
    for split in ("train", "heldout"):
        print(f"{split}: {per_split[split]} frames; groups {dict(groups[split])}")
        print(f"  teacher boxes: {dict(per_class[split])}")
    print(f"PandaSet label boxes added to training: {dict(added)}")


if __name__ == "__main__":
    main()
