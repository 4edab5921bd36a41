#!/usr/bin/python3
"""Per-frame detector benchmark: Lookout beside OpenCV DNN (CPU) and PyTorch (CPU).

For YOLOX-Nano, FastestDet, Yolo-Fastest 1.1 (../shared/assets/models) and YOLOv12-N (our own
definition, tools/yolov12, seeded random weights, exported here at 640x640)
it runs, in one go on one road frame:
  - Lookout: `lookout bench --model M --image F.ppm`, which reports the
    medians of upload, pre-processing, network, post-processing (decode +
    NMS) and readback;
  - OpenCV DNN on the CPU with the same ONNX file and the model's published
    pre/post-processing (resize + blob, forward, decode + NMS);
  - PyTorch on the CPU for YOLOv12-N (the same weights).
and prints one table with the ratios. Timings are medians over --runs.

    /usr/bin/python3 tools/bench/detector_bench.py --lookout build/pipeline/lookout
"""
import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

import cv2
import numpy as np
import torch

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, 'tools', 'yolov12'))
from yolov12 import YOLOv12, export_onnx  # noqa: E402

SHARED = os.environ.get('LOOKOUT_SHARED', os.path.join(ROOT, '..', 'shared'))
FRAME = 'assets/footage/udacity-vehicle-detection/test_images/test1.jpg'


def timed(fn, runs, warmup=3):
    for _ in range(warmup):
        fn()
    t = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        t.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(t)


def nms(boxes, scores, classes, iou=0.45):
    """Per-class NMS through OpenCV (the reference pipelines' choice)."""
    keep = []
    for c in np.unique(classes):
        idx = np.where(classes == c)[0]
        b = [[float(x1), float(y1), float(x2 - x1), float(y2 - y1)] for x1, y1, x2, y2 in boxes[idx]]
        k = cv2.dnn.NMSBoxes(b, scores[idx].tolist(), 0.0, iou)
        keep.extend(idx[np.array(k).reshape(-1)].tolist())
    return keep


class Yolox:
    size = 416

    def pre(self, img):
        r = min(self.size / img.shape[0], self.size / img.shape[1])
        canvas = np.full((self.size, self.size, 3), 114, np.uint8)
        rs = cv2.resize(img, (int(img.shape[1] * r), int(img.shape[0] * r)),
                        interpolation=cv2.INTER_LINEAR)
        canvas[:rs.shape[0], :rs.shape[1]] = rs
        self.r = r
        return cv2.dnn.blobFromImage(canvas, 1.0, swapRB=False)

    def post(self, out, thr=0.25):
        out = out.reshape(-1, out.shape[-1])
        grids, strides = [], []
        for s in (8, 16, 32):
            n = self.size // s
            yv, xv = np.meshgrid(np.arange(n), np.arange(n), indexing='ij')
            grids.append(np.stack((xv, yv), 2).reshape(-1, 2))
            strides.append(np.full((n * n, 1), s))
        g, s = np.concatenate(grids), np.concatenate(strides)
        xy = (out[:, :2] + g) * s
        wh = np.exp(out[:, 2:4]) * s
        cls = out[:, 5:].argmax(1)
        score = out[:, 4] * out[np.arange(len(out)), 5 + cls]
        m = score > thr
        b = np.concatenate((xy - wh / 2, xy + wh / 2), 1)[m] / self.r
        return nms(b, score[m], cls[m])


class FastestDet:
    size = 352

    def pre(self, img):
        self.hw = img.shape[:2]
        rs = cv2.resize(img, (self.size, self.size), interpolation=cv2.INTER_AREA)
        return cv2.dnn.blobFromImage(rs, 1 / 255.0, swapRB=False)

    def post(self, out, thr=0.25):
        out = out[0].transpose(1, 2, 0)
        gh, gw = out.shape[:2]
        out = out.reshape(-1, out.shape[-1])
        yv, xv = np.meshgrid(np.arange(gh), np.arange(gw), indexing='ij')
        cls = out[:, 5:].argmax(1)
        score = out[:, 0] ** 0.6 * out[np.arange(len(out)), 5 + cls] ** 0.4
        cx = (xv.reshape(-1) + np.tanh(out[:, 1])) / gw * self.hw[1]
        cy = (yv.reshape(-1) + np.tanh(out[:, 2])) / gh * self.hw[0]
        w = 1 / (1 + np.exp(-out[:, 3])) * self.hw[1]
        h = 1 / (1 + np.exp(-out[:, 4])) * self.hw[0]
        m = score > thr
        b = np.stack((cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2), 1)[m]
        return nms(b, score[m], cls[m])


class YoloFastest:
    """Darknet Yolo-Fastest 1.1: RGB /255 stretch to 320, two [yolo] heads,
    decoded by OpenCV's region layers (their outputs are the decoded rows)."""
    size = 320

    def pre(self, img):
        self.hw = img.shape[:2]
        return cv2.dnn.blobFromImage(img, 1 / 255.0, (self.size, self.size), swapRB=True)

    def post(self, outs, thr=0.25):
        rows = np.concatenate([o.reshape(-1, o.shape[-1]) for o in outs])
        cls = rows[:, 5:].argmax(1)
        score = rows[np.arange(len(rows)), 5 + cls]
        m = score > thr
        c = rows[m, :2] * self.hw[::-1]
        wh = rows[m, 2:4] * self.hw[::-1]
        return nms(np.concatenate((c - wh / 2, c + wh / 2), 1), score[m], cls[m])


class Ultralytics:
    """Ultralytics export layout [1, 4+C, N], centred letterbox, RGB /255."""
    size = 640

    def pre(self, img):
        r = min(self.size / img.shape[0], self.size / img.shape[1])
        nw, nh = int(round(img.shape[1] * r)), int(round(img.shape[0] * r))
        canvas = np.full((self.size, self.size, 3), 114, np.uint8)
        top, left = (self.size - nh) // 2, (self.size - nw) // 2
        canvas[top:top + nh, left:left + nw] = cv2.resize(img, (nw, nh),
                                                          interpolation=cv2.INTER_LINEAR)
        self.r, self.off = r, (left, top)
        return cv2.dnn.blobFromImage(canvas, 1 / 255.0, swapRB=True)

    def post(self, out, thr=0.25):
        out = out[0].T
        cls = out[:, 4:].argmax(1)
        score = out[np.arange(len(out)), 4 + cls]
        m = score > thr
        c, wh = out[m, :2], out[m, 2:4]
        off = np.array(self.off * 2)
        b = (np.concatenate((c - wh / 2, c + wh / 2), 1) - off) / self.r
        return nms(b, score[m], cls[m])


def opencv_row(path, proc, img, runs):
    if path.endswith('.cfg'):
        net = cv2.dnn.readNetFromDarknet(path, path[:-4] + '.weights')
        names = net.getUnconnectedOutLayersNames()
    else:
        net = cv2.dnn.readNetFromONNX(path)
        names = None
    blob = proc.pre(img)
    net.setInput(blob)
    out = net.forward(names) if names else net.forward()
    pre = timed(lambda: proc.pre(img), runs)

    def forward():
        net.setInput(blob)
        return net.forward(names) if names else net.forward()
    fwd = timed(forward, runs)
    post = timed(lambda: proc.post(out), runs)
    return pre, fwd, post


def lookout_row(exe, model, ppm, runs, fp16):
    cmd = [exe, 'bench', '--model', model, '--image', ppm, '--runs', str(runs)]
    if fp16:
        cmd.append('--fp16')
    res = subprocess.run(cmd, capture_output=True, text=True)
    if res.returncode:
        raise RuntimeError(f'{" ".join(cmd)} failed: {res.stderr.strip()}')
    head = res.stdout.splitlines()[0]
    line = next(l for l in res.stdout.splitlines() if l.startswith('BENCH'))
    vals = {k: float(v) for k, v in re.findall(r'(\w+)=([\d.]+)', line)}
    return vals, head


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--lookout', default=os.path.join(ROOT, 'build', 'pipeline', 'lookout'))
    ap.add_argument('--runs', type=int, default=20)
    ap.add_argument('--fp16', action='store_true', help='Lookout with fp16 storage')
    ap.add_argument('--threads', type=int, default=os.cpu_count(),
                    help='CPU threads for OpenCV and PyTorch')
    args = ap.parse_args()
    cv2.setNumThreads(args.threads)
    torch.set_num_threads(args.threads)

    frame = os.path.join(SHARED, FRAME)
    img = cv2.imread(frame)
    if img is None:
        sys.exit(f'detector_bench: cannot read {frame} (set LOOKOUT_SHARED)')
    with tempfile.TemporaryDirectory() as tmp:
        ppm = os.path.join(tmp, 'frame.ppm')
        cv2.imwrite(ppm, img)
        torch.manual_seed(0)
        v12 = YOLOv12(80, 'n').eval()
        v12_path = export_onnx(v12, os.path.join(tmp, 'yolov12n.onnx'), 640, 640,
                               {'lookout.family': 'ultralytics'})
        models = [
            ('YOLOX-Nano 416', os.path.join(SHARED, 'assets/models/yolox_nano/yolox_nano.onnx'), Yolox()),
            ('FastestDet 352', os.path.join(SHARED, 'assets/models/fastestdet/FastestDet.onnx'), FastestDet()),
            ('Yolo-Fastest 320', os.path.join(SHARED, 'assets/models/yolo-fastest-1.1/yolo-fastest-1.1.cfg'), YoloFastest()),
            ('YOLOv12-N 640', v12_path, Ultralytics()),
        ]
        rows, device = [], ''
        for name, path, proc in models:
            lk, device = lookout_row(args.lookout, path, ppm, args.runs, args.fp16)
            try:
                cv = opencv_row(path, proc, img, args.runs)
            except cv2.error as e:
                print(f'{name}: OpenCV DNN cannot run it: {str(e).splitlines()[-1]}')
                cv = None
            pt = None
            if proc.__class__ is Ultralytics:
                blob = torch.from_numpy(proc.pre(img))
                with torch.no_grad():
                    pt = timed(lambda: v12(blob), max(3, args.runs // 4))
            rows.append((name, lk, cv, pt))

    print(f'Lookout: {device.split("device: ")[-1]}')
    print(f'OpenCV DNN {cv2.__version__} and PyTorch {torch.__version__} on the CPU, '
          f'{args.threads} threads; frame {img.shape[1]}x{img.shape[0]}; medians of {args.runs} runs; ms\n')
    hdr = (f'{"model":16}{"upload":>8}{"pre":>8}{"net":>8}{"post":>8}{"read":>8}{"total":>9}'
           f' | {"cv pre":>8}{"cv net":>8}{"cv post":>8}{"cv tot":>8}{"ratio":>7}'
           f' | {"torch net":>9}{"ratio":>7}')
    print(hdr)
    print('-' * len(hdr))
    for name, lk, cv, pt in rows:
        s = (f'{name:16}{lk["upload"]:8.2f}{lk["pre"]:8.2f}{lk["net"]:8.2f}{lk["post"]:8.2f}'
             f'{lk["readback"]:8.2f}{lk["total"]:9.2f}')
        if cv:
            tot = sum(cv)
            s += f' | {cv[0]:8.2f}{cv[1]:8.2f}{cv[2]:8.2f}{tot:8.2f}{tot / lk["total"]:6.1f}x'
        else:
            s += f' | {"n/a":>8}{"n/a":>8}{"n/a":>8}{"n/a":>8}{"":>7}'
        if pt is not None:
            s += f' | {pt:9.2f}{pt / lk["total"]:6.1f}x'
        print(s)
    print('\nratio = peer time / Lookout total (above 1: Lookout is faster). Lookout pre/net/post '
          'are device timestamps; upload/read are host copies; total is wall time per frame.')


if __name__ == '__main__':
    main()
