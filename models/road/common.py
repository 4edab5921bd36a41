"""Shared pieces of the road-model recipe: footage sources and the train /
held-out split, frame decoding, letterboxing, the YOLOX-Nano teacher and NMS.

Everything reads ../shared/assets (LOOKOUT_SHARED overrides) and writes only
under models/road/work/ (gitignored).
"""
import json
import os

import cv2
import numpy as np
import torch
import torchvision

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
SHARED = os.environ.get("LOOKOUT_SHARED",
                        os.path.join(os.path.dirname(ROOT), "shared"))
ASSETS = os.path.join(SHARED, "assets")
FOOTAGE = os.path.join(ASSETS, "footage")
WORK = os.path.join(HERE, "work")

CLASSES = ["person", "bicycle", "car", "motorcycle", "bus", "truck",
           "traffic light", "stop sign"]
# COCO-80 index -> our class index
COCO_TO_ROAD = {0: 0, 1: 1, 2: 2, 3: 3, 5: 4, 7: 5, 9: 6, 11: 7}

TEACHER_SCORE = 0.35
NMS_IOU = 0.45

# Model input (H, W): 16:9 road video letterboxed to 341 x 192; H/16 = 12 rows
# at P4, four attention strips of 3 rows. 256 x 448 ran only ~2x faster than
# YOLOX-Nano on lavapipe; this size gives the margin (see MODEL_CARD.md).
INPUT_H, INPUT_W = 192, 352
PAD_VALUE = 114

# Held out from the Udacity Challenge-2 drive: the last 200 frames (60 s at
# one frame every 0.3 s); the 34 frames (~10 s) before them are dropped so no
# training frame is within 10 s of an evaluation frame.
CH2_HELDOUT = 200
CH2_GAP = 34


def require_assets():
    if not os.path.isdir(FOOTAGE):
        raise SystemExit(f"shared assets not found at {ASSETS} "
                         "(set LOOKOUT_SHARED to the folder holding assets/)")


def sources():
    """Every footage source as (group, kind, path). group names a camera or
    clip; the split is made per group (or per time block for ch2)."""
    f = FOOTAGE
    out = []
    ch2 = sorted(os.listdir(os.path.join(f, "udacity-ch2-hmb3-deepxplore/testing/center")))
    ch2 = [os.path.join(f, "udacity-ch2-hmb3-deepxplore/testing/center", n)
           for n in ch2 if n.endswith(".jpg")]
    out.append(("udacity-ch2", "images", ch2))
    pandas = sorted(os.listdir(os.path.join(f, "pandaset-seq002/camera/front_camera")))
    out.append(("pandaset-front", "images",
                [os.path.join(f, "pandaset-seq002/camera/front_camera", n)
                 for n in pandas if n.endswith(".jpg")]))
    lane = os.path.join(f, "udacity-lanelines")
    out.append(("udacity-lanelines-video", "video",
                os.path.join(lane, "test_videos/solidWhiteRight.mp4")))
    out.append(("udacity-lanelines-images", "images",
                sorted(os.path.join(lane, "test_images", n)
                       for n in os.listdir(os.path.join(lane, "test_images")))))
    veh = os.path.join(f, "udacity-vehicle-detection")
    out.append(("udacity-vehicle-video", "video", os.path.join(veh, "test_video.mp4")))
    out.append(("udacity-vehicle-images", "images",
                sorted(os.path.join(veh, "test_images", n)
                       for n in os.listdir(os.path.join(veh, "test_images")))))
    mp = os.path.join(f, "mapillary-tools-testdata/tests/data")
    out.append(("mapillary-still", "images", [os.path.join(mp, "images/DSC00001.JPG")]))
    out.append(("mapillary-phone-video", "video", os.path.join(mp, "videos/sample-5s_h265.mp4")))
    out.append(("degirum-traffic", "video",
                os.path.join(f, "degirum-traffic/images/Traffic.mp4")))
    return out


HELDOUT_GROUPS = ("mapillary-phone-video", "degirum-traffic")


def split_of(group, index, count):
    """'train', 'heldout' or None (dropped gap)."""
    if group in HELDOUT_GROUPS:
        return "heldout"
    if group == "udacity-ch2":
        first_held = count - CH2_HELDOUT
        if index >= first_held:
            return "heldout"
        if index >= first_held - CH2_GAP:
            return None
    return "train"


def frames(split=None):
    """Yield (frame_id, group, split, BGR image) for every frame kept, in a
    fixed order; split filters to 'train' or 'heldout'."""
    require_assets()
    for group, kind, path in sources():
        if kind == "images":
            for i, p in enumerate(path):
                s = split_of(group, i, len(path))
                if s is None or (split and s != split):
                    continue
                img = cv2.imread(p, cv2.IMREAD_COLOR)
                if img is None:
                    raise SystemExit(f"cannot read {p}")
                yield f"{group}/{os.path.basename(p)}", group, s, img
        else:
            s = split_of(group, 0, 1)
            if split and s != split:
                continue
            cap = cv2.VideoCapture(path)
            if not cap.isOpened():
                raise SystemExit(f"cannot open {path}")
            i = 0
            while True:
                ok, img = cap.read()
                if not ok:
                    break
                yield f"{group}/{i:04d}", group, s, img
                i += 1
            cap.release()


def letterbox(img, h, w, center=True, pad=PAD_VALUE):
    """Resize keeping aspect into an h x w canvas. Returns canvas, scale, (dx, dy)."""
    r = min(h / img.shape[0], w / img.shape[1])
    nh, nw = int(round(img.shape[0] * r)), int(round(img.shape[1] * r))
    canvas = np.full((h, w, 3), pad, np.uint8)
    dx, dy = ((w - nw) // 2, (h - nh) // 2) if center else (0, 0)
    canvas[dy:dy + nh, dx:dx + nw] = cv2.resize(img, (nw, nh), interpolation=cv2.INTER_LINEAR)
    return canvas, r, (dx, dy)


def nms(boxes, scores, classes, iou=NMS_IOU):
    """Per-class NMS. boxes [N,4] x1y1x2y2 numpy; returns kept indices."""
    if len(boxes) == 0:
        return np.zeros(0, np.int64)
    keep = torchvision.ops.batched_nms(torch.from_numpy(boxes).float(),
                                       torch.from_numpy(scores).float(),
                                       torch.from_numpy(classes).long(), iou)
    return keep.numpy()


class Teacher:
    """YOLOX-Nano through OpenCV DNN, preprocessed as SOURCES.md says: BGR,
    0-255, top-left letterbox to 416 with pad 114; score = obj x cls."""

    SIZE = 416

    def __init__(self):
        path = os.path.join(ASSETS, "models/yolox_nano/yolox_nano.onnx")
        self.net = cv2.dnn.readNetFromONNX(path)
        grids, strides = [], []
        for s in (8, 16, 32):
            n = self.SIZE // s
            yy, xx = np.mgrid[0:n, 0:n]
            grids.append(np.stack([xx.ravel(), yy.ravel()], 1))
            strides.append(np.full((n * n, 1), s))
        self.grid = np.concatenate(grids).astype(np.float32)
        self.stride = np.concatenate(strides).astype(np.float32)

    def coco(self, img, score_thr):
        """All COCO detections: boxes [N,4] x1y1x2y2 in image pixels, scores, coco ids."""
        canvas, r, _ = letterbox(img, self.SIZE, self.SIZE, center=False)
        blob = canvas.transpose(2, 0, 1)[None].astype(np.float32)
        self.net.setInput(blob)
        out = self.net.forward()[0]
        xy = (out[:, :2] + self.grid) * self.stride
        wh = np.exp(out[:, 2:4]) * self.stride
        cls = out[:, 5:].argmax(1)
        score = out[:, 4] * out[np.arange(len(out)), 5 + cls]
        m = score >= score_thr
        xy, wh, cls, score = xy[m], wh[m], cls[m], score[m]
        boxes = np.concatenate([xy - wh / 2, xy + wh / 2], 1) / r
        keep = nms(boxes, score, cls)
        return boxes[keep], score[keep], cls[keep]

    def road(self, img, score_thr=TEACHER_SCORE):
        """Detections in our 8 classes: float32 [N,6] = cls, x1, y1, x2, y2, score."""
        boxes, score, cls = self.coco(img, score_thr)
        rows = []
        hgt, wid = img.shape[:2]
        for b, s, c in zip(boxes, score, cls):
            if int(c) not in COCO_TO_ROAD:
                continue
            x1, y1, x2, y2 = np.clip(b, 0, [wid, hgt, wid, hgt])
            if x2 - x1 < 2 or y2 - y1 < 2:
                continue
            rows.append([COCO_TO_ROAD[int(c)], x1, y1, x2, y2, s])
        return clean(np.array(rows, np.float32).reshape(-1, 6), img.shape)


def clean(det, shape):
    """Drops teacher boxes spanning 90 % of the frame width or more: in the
    Udacity Challenge-2 drive YOLOX-Nano calls the sunlit road surface a car."""
    return det[(det[:, 3] - det[:, 1]) < 0.9 * shape[1]]


def labels_path():
    return os.path.join(WORK, "teacher_labels.json")


def load_labels():
    with open(labels_path()) as fh:
        return {k: np.array(v, np.float32).reshape(-1, 6) for k, v in json.load(fh).items()}
