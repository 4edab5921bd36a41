#!/usr/bin/python3
"""Reference detections of the shared detectors on real road footage, made
with OpenCV's DNN module and each model's published pre- and
post-processing (shared/assets/SOURCES.md), for
tests/detector/test_real_detections.c to compare Lookout's detector with.

Frames: every JPEG under shared/assets/footage, and frames 0, 10, 20, ... of
every .mp4 there (decoded with cv2.VideoCapture).

Models:
  yolox_nano        ONNX; BGR 0..255, letterbox into the top-left of a
                    416x416 canvas of 114 (cv2.INTER_LINEAR to
                    int(w·r) x int(h·r)); rows of 3549 anchors at strides
                    8/16/32: centre (offset + cell)·stride, size
                    exp(v)·stride; score obj × cls; boxes / r
  fastestdet        ONNX; BGR /255, stretched to 352x352 (cv2.INTER_AREA);
                    22x22 cells: centre (cell + tanh(v)) / 22, size
                    sigmoid(v), both × frame size; score obj^0.6 · cls^0.4
  yolo-fastest-1.1  darknet .cfg/.weights through OpenCV's darknet importer;
                    RGB /255 stretched to 320x320 (cv2.dnn.blobFromImage,
                    INTER_LINEAR); OpenCV's [yolo] layer decodes (x, y, w,
                    h relative to the frame, class score obj × cls)
For each anchor the best class; candidates with score > 0.25; greedy NMS
per class at IoU > 0.45 (score descending, lower anchor index first on
ties); boxes in frame pixels, then clipped to the frame as Lookout reports
them.

OUT gets:
  frames/NNNNN.ppm  every frame as binary PPM (P6, RGB)
  frames.txt        one line per frame: "NNNNN.ppm <source>", where source
                    is the image path relative to the footage directory,
                    or "<clip path>#<frame number>"
  <model>.txt       "model <path under assets/models>", then one detection
                    a line: "NNNNN.ppm <model> <class> <score> x1 y1 x2 y2"
  MANIFEST          the key (this script, OpenCV's version, the models and
                    the footage by content) and sha256 of every text file;
                    when it matches, nothing is made again.

Run with Debian's interpreter (/usr/bin/python3: python3-opencv 4.6).
"""
import argparse
import hashlib
import os
import sys
import time

import cv2
import numpy as np

SCORE_THR = 0.25
NMS_IOU = 0.45
CLIP_EVERY = 10


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def nms_per_class(boxes, scores, classes):
    """Indices kept by greedy NMS within each class, best score first."""
    order = np.lexsort((np.arange(len(scores)), -scores))
    area = np.maximum(boxes[:, 2] - boxes[:, 0], 0) * np.maximum(boxes[:, 3] - boxes[:, 1], 0)
    removed = np.zeros(len(scores), bool)
    keep = []
    for pos, i in enumerate(order):
        if removed[i]:
            continue
        keep.append(i)
        rest = order[pos + 1:]
        rest = rest[(classes[rest] == classes[i]) & ~removed[rest]]
        if not len(rest):
            continue
        iw = np.minimum(boxes[rest, 2], boxes[i, 2]) - np.maximum(boxes[rest, 0], boxes[i, 0])
        ih = np.minimum(boxes[rest, 3], boxes[i, 3]) - np.maximum(boxes[rest, 1], boxes[i, 1])
        inter = np.maximum(iw, 0) * np.maximum(ih, 0)
        union = area[rest] + area[i] - inter
        iou = np.where(union > 0, inter / np.where(union > 0, union, 1), 0)
        removed[rest[iou > NMS_IOU]] = True
    return np.array(keep, int)


def finish(boxes, scores, classes, w, h):
    """Threshold, NMS, clip: rows of (class, score, x1, y1, x2, y2)."""
    m = scores > SCORE_THR
    boxes, scores, classes = boxes[m], scores[m], classes[m]
    keep = nms_per_class(boxes, scores, classes)
    out = []
    for i in keep:
        x1, y1, x2, y2 = boxes[i]
        out.append((int(classes[i]), float(scores[i]),
                    min(max(x1, 0), w), min(max(y1, 0), h),
                    min(max(x2, 0), w), min(max(y2, 0), h)))
    return out


class Yolox:
    path = 'yolox_nano/yolox_nano.onnx'
    size = 416

    def __init__(self, assets):
        self.net = cv2.dnn.readNetFromONNX(os.path.join(assets, 'models', self.path))
        grids, strides = [], []
        for s in (8, 16, 32):
            n = self.size // s
            gy, gx = np.meshgrid(np.arange(n), np.arange(n), indexing='ij')
            grids.append(np.stack([gx.ravel(), gy.ravel()], 1))
            strides.append(np.full((n * n, 1), s))
        self.grid = np.concatenate(grids).astype(np.float32)
        self.stride = np.concatenate(strides).astype(np.float32)

    def __call__(self, bgr):
        h, w = bgr.shape[:2]
        r = min(self.size / h, self.size / w)
        resized = cv2.resize(bgr, (int(w * r), int(h * r)), interpolation=cv2.INTER_LINEAR)
        canvas = np.full((self.size, self.size, 3), 114, np.uint8)
        canvas[:resized.shape[0], :resized.shape[1]] = resized
        self.net.setInput(canvas.transpose(2, 0, 1)[None].astype(np.float32))
        y = self.net.forward()[0]
        xy = (y[:, :2] + self.grid) * self.stride
        wh = np.exp(y[:, 2:4]) * self.stride
        cls_scores = y[:, 4:5] * y[:, 5:]
        cls = cls_scores.argmax(1)
        score = cls_scores[np.arange(len(cls)), cls]
        boxes = np.concatenate([xy - wh / 2, xy + wh / 2], 1) / r
        return finish(boxes, score, cls, w, h)


class FastestDet:
    path = 'fastestdet/FastestDet.onnx'
    size = 352

    def __init__(self, assets):
        self.net = cv2.dnn.readNetFromONNX(os.path.join(assets, 'models', self.path))

    def __call__(self, bgr):
        h, w = bgr.shape[:2]
        x = cv2.resize(bgr, (self.size, self.size), interpolation=cv2.INTER_AREA)
        self.net.setInput((x.transpose(2, 0, 1).astype(np.float32) / np.float32(255.0))[None])
        y = self.net.forward()[0]                  # [85, gh, gw]
        gh, gw = y.shape[1:]
        y = y.reshape(y.shape[0], -1).T            # cells row-major
        gy, gx = np.divmod(np.arange(gh * gw), gw)
        cx = (gx + np.tanh(y[:, 1])) / gw * w
        cy = (gy + np.tanh(y[:, 2])) / gh * h
        bw = sigmoid(y[:, 3]) * w
        bh = sigmoid(y[:, 4]) * h
        cls = y[:, 5:].argmax(1)
        best = y[np.arange(len(cls)), 5 + cls]
        score = np.maximum(y[:, 0], 0) ** 0.6 * np.maximum(best, 0) ** 0.4
        boxes = np.stack([cx - bw / 2, cy - bh / 2, cx + bw / 2, cy + bh / 2], 1)
        return finish(boxes, score, cls, w, h)


class YoloFastest:
    path = 'yolo-fastest-1.1/yolo-fastest-1.1.cfg'
    size = 320

    def __init__(self, assets):
        cfg = os.path.join(assets, 'models', self.path)
        self.net = cv2.dnn.readNetFromDarknet(cfg, cfg[:-4] + '.weights')
        self.outs = self.net.getUnconnectedOutLayersNames()

    def __call__(self, bgr):
        h, w = bgr.shape[:2]
        blob = cv2.dnn.blobFromImage(bgr, 1 / 255.0, (self.size, self.size), swapRB=True,
                                     crop=False)
        self.net.setInput(blob)
        # Rows: x, y, w, h (relative), objectness, obj × cls per class.
        y = np.concatenate(self.net.forward(self.outs))
        cls = y[:, 5:].argmax(1)
        score = y[np.arange(len(cls)), 5 + cls]
        cx, cy, bw, bh = y[:, 0] * w, y[:, 1] * h, y[:, 2] * w, y[:, 3] * h
        boxes = np.stack([cx - bw / 2, cy - bh / 2, cx + bw / 2, cy + bh / 2], 1)
        return finish(boxes, score, cls, w, h)


MODELS = {'yolox_nano': Yolox, 'fastestdet': FastestDet, 'yolo-fastest-1.1': YoloFastest}


def sha256_file(path, h=None):
    h = h or hashlib.sha256()
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(1 << 20), b''):
            h.update(block)
    return h


def list_sources(footage):
    """(images, clips): paths relative to the footage directory, sorted."""
    images, clips = [], []
    for root, dirs, files in os.walk(footage):
        dirs.sort()
        for f in sorted(files):
            rel = os.path.relpath(os.path.join(root, f), footage)
            if f.lower().endswith(('.jpg', '.jpeg')):
                images.append(rel)
            elif f.lower().endswith('.mp4'):
                clips.append(rel)
    return images, clips


def frames(footage, images, clips):
    """Yields (source, BGR frame)."""
    for rel in images:
        img = cv2.imread(os.path.join(footage, rel), cv2.IMREAD_COLOR)
        if img is None:
            sys.exit(f'cannot decode {rel}')
        yield rel, img
    for rel in clips:
        cap = cv2.VideoCapture(os.path.join(footage, rel))
        if not cap.isOpened():
            sys.exit(f'cannot open {rel}')
        i = 0
        while True:
            ok, img = cap.read()
            if not ok:
                break
            if i % CLIP_EVERY == 0:
                yield f'{rel}#{i}', img
            i += 1
        cap.release()
        if i == 0:
            sys.exit(f'{rel}: no frame decoded')


def write_ppm(path, bgr):
    h, w = bgr.shape[:2]
    with open(path + '.tmp', 'wb') as f:
        f.write(b'P6\n%d %d\n255\n' % (w, h))
        f.write(np.ascontiguousarray(bgr[:, :, ::-1]).tobytes())
    os.replace(path + '.tmp', path)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--shared', required=True, help='the shared directory (holds assets/)')
    ap.add_argument('--out', required=True, help='output directory')
    ap.add_argument('--stamp', help='file written last')
    a = ap.parse_args()
    assets = os.path.join(a.shared, 'assets')
    footage = os.path.join(assets, 'footage')
    images, clips = list_sources(footage)
    if not images and not clips:
        sys.exit(f'no footage under {footage}')

    key = sha256_file(__file__)
    key.update(cv2.__version__.encode())
    for name, cls in MODELS.items():
        key.update(name.encode())
        p = os.path.join(assets, 'models', cls.path)
        sha256_file(p, key)
        if p.endswith('.cfg'):
            sha256_file(p[:-4] + '.weights', key)
    for rel in images + clips:
        key.update(rel.encode())
        sha256_file(os.path.join(footage, rel), key)
    key = key.hexdigest()
    texts = ['frames.txt'] + [n + '.txt' for n in MODELS]
    manifest = os.path.join(a.out, 'MANIFEST')
    try:
        with open(manifest) as f:
            lines = f.read().splitlines()
        with open(os.path.join(a.out, 'frames.txt')) as f:
            n_frames = sum(1 for _ in f)
        if lines[0] == 'key ' + key and all(
                lines[1 + i] == sha256_file(os.path.join(a.out, t)).hexdigest() + '  ' + t
                for i, t in enumerate(texts)) and all(
                os.path.exists(os.path.join(a.out, 'frames', '%05d.ppm' % i))
                for i in range(n_frames)):
            print(f'up to date ({n_frames} frames)')
            if a.stamp:
                open(a.stamp, 'w').write(key + '\n')
            return
    except (OSError, IndexError):
        pass

    os.makedirs(os.path.join(a.out, 'frames'), exist_ok=True)
    models = {n: cls(assets) for n, cls in MODELS.items()}
    for m in models.values():
        m.net.setPreferableBackend(cv2.dnn.DNN_BACKEND_OPENCV)
        m.net.setPreferableTarget(cv2.dnn.DNN_TARGET_CPU)
    det_files = {n: open(os.path.join(a.out, n + '.txt.tmp'), 'w') for n in models}
    for n, f in det_files.items():
        f.write(f'model {MODELS[n].path}\n')
    t_model = dict.fromkeys(models, 0.0)
    counts = dict.fromkeys(models, 0)
    t0 = time.time()
    n = 0
    with open(os.path.join(a.out, 'frames.txt.tmp'), 'w') as ff:
        for source, img in frames(footage, images, clips):
            ppm = '%05d.ppm' % n
            write_ppm(os.path.join(a.out, 'frames', ppm), img)
            ff.write(f'{ppm} {source}\n')
            for name, m in models.items():
                t = time.time()
                dets = m(img)
                t_model[name] += time.time() - t
                counts[name] += len(dets)
                for c, s, x1, y1, x2, y2 in dets:
                    det_files[name].write(f'{ppm} {name} {c} {s:.6f} '
                                          f'{x1:.3f} {y1:.3f} {x2:.3f} {y2:.3f}\n')
            n += 1
    for f in det_files.values():
        f.close()
    for t in texts:
        os.replace(os.path.join(a.out, t + '.tmp'), os.path.join(a.out, t))
    with open(manifest, 'w') as f:
        f.write('key ' + key + '\n')
        f.write(''.join(sha256_file(os.path.join(a.out, t)).hexdigest() + '  ' + t + '\n'
                        for t in texts))
    for name in models:
        print(f'{name}: {counts[name]} detections with score > {SCORE_THR} on {n} frames, '
              f'{1000 * t_model[name] / n:.1f} ms/frame (OpenCV + numpy post-processing)')
    print(f'{n} frames ({len(images)} images, every {CLIP_EVERY}th frame of {len(clips)} '
          f'clips), total {time.time() - t0:.1f} s')
    if a.stamp:
        with open(a.stamp, 'w') as f:
            f.write(key + '\n')


if __name__ == '__main__':
    main()
