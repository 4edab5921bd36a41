#!/usr/bin/python3
"""Exports YOLOv12-N (tools/yolov12/yolov12.py) with seeded random weights
at 640x640 and 384x640, plus one input and PyTorch's raw output, as the
reference tests/conformance/test_yolov12.c compares Lookout with (the area
attention fused and unfused); and two single attention blocks for the
loader's pattern: aattn_odd (3 heads, 2 areas of 70 tokens, a 10x14 map;
fused) and aattn_shared (the softmax feeds two nodes, so the chain must
stay unfused).

For each size, OUT/yolov12n_<H>x<W>/ gets:
  model.onnx   the exported graph (eval mode, opset 17)
  input.bin    the input, raw float32 little-endian, NCHW, uniform in [0, 1]
  output.bin   PyTorch's output [1, 84, N], raw float32 little-endian
  meta.txt     "input d0 d1 d2 d3", "output d0 d1 d2", "attention N" (the
               area_attention nodes the fused load must have) and, for the
               detector, the "score" and "iou" thresholds of the test's
               detection check: the score
               threshold lies in a gap of the candidates' scores, so an
               error within the raw-output tolerance cannot move a box
               across it, and no pair of candidates of one class has an
               IoU near the IoU threshold
  MANIFEST     sha256 of the files above and the key they were made with
A directory whose MANIFEST matches its files and the current key (this
script's and yolov12.py's hashes, the torch version, the size) is not
exported again. --stamp FILE (written last) lists the directories.

Weights: PyTorch's default initialisation with torch.manual_seed; BatchNorm
affine parameters and detection-head biases (so that class scores spread
and the detection check has boxes to compare), then running statistics
measured on two random images (so that every layer, the attention
included, carries signal, and BN folding is really checked).

Run with Debian's interpreter (/usr/bin/python3: python3-torch, python3-onnx).
"""
import argparse
import hashlib
import os
import sys

import numpy as np
import torch
import torch.nn as nn

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'yolov12'))
import yolov12  # noqa: E402

SEED = 1212
SIZES = ((640, 640), (384, 640))
FILES = ('model.onnx', 'input.bin', 'output.bin', 'meta.txt')


class SharedSoftmax(yolov12.AAttn):
    """AAttn whose attention weights feed two nodes (p + p/4 weights v):
    the fused kernel cannot provide them, so the loader must leave this
    chain as it is."""

    def forward(self, x):
        b, c, h, w = (int(s) for s in x.shape)
        a, nh, d = self.area, self.num_heads, self.head_dim
        qkv = self.qkv(x).reshape(b, nh, 3 * d, a, h * w // a).permute(0, 3, 1, 2, 4)
        q, k, v = qkv.split(d, dim=3)
        attn = ((q.transpose(-2, -1) @ k) * (d ** -0.5)).softmax(dim=-1)
        attn = attn + attn * 0.25
        out = v @ attn.transpose(-2, -1)
        out = out.permute(0, 2, 3, 1, 4).reshape(b, c, h, w)
        v = v.permute(0, 2, 3, 1, 4).reshape(b, c, h, w)
        return self.proj(out + self.pe(v))


# name: (module, input shape, area_attention nodes when fused)
BLOCKS = {
    'aattn_odd': (lambda: yolov12.AAttn(96, 3, area=2), (1, 96, 10, 14), 1),
    'aattn_shared': (lambda: SharedSoftmax(64, 2, area=4), (1, 64, 8, 6), 0),
}


def calibrate(model, gen, shape, sample=torch.randn):
    """Random BN affine parameters, then BatchNorm running statistics
    measured on two random inputs (with default weights alone the signal
    fades and the outputs hardly depend on the input; measured after the
    affine change, every layer sees what its statistics describe)."""
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            n = m.num_features
            m.weight.data = torch.rand(n, generator=gen) + 0.5
            m.bias.data = torch.rand(n, generator=gen) - 0.5
            m.momentum = 1.0
    model.train()
    with torch.no_grad():
        model(sample((2,) + tuple(shape[1:]), generator=gen))


def randomize(model, gen, h, w):
    """Random detection-head biases, then calibrate on random images."""
    for box, cls in zip(model.detect.cv2, model.detect.cv3):
        box[-1].bias.data = torch.rand(box[-1].bias.shape, generator=gen) * 2.0 - 1.0
        cls[-1].bias.data = torch.rand(cls[-1].bias.shape, generator=gen) * 2.0 - 3.0
    calibrate(model, gen, (1, 3, h, w), torch.rand)


def iou(a, b):
    """IoU of xywh box a with each xywh box of b."""
    ax1, ay1, ax2, ay2 = a[0] - a[2] / 2, a[1] - a[3] / 2, a[0] + a[2] / 2, a[1] + a[3] / 2
    bx1, by1 = b[:, 0] - b[:, 2] / 2, b[:, 1] - b[:, 3] / 2
    bx2, by2 = b[:, 0] + b[:, 2] / 2, b[:, 1] + b[:, 3] / 2
    iw = np.clip(np.minimum(ax2, bx2) - np.maximum(ax1, bx1), 0, None)
    ih = np.clip(np.minimum(ay2, by2) - np.maximum(ay1, by1), 0, None)
    inter = iw * ih
    return inter / (a[2] * a[3] + b[:, 2] * b[:, 3] - inter)


def thresholds(y, want=(40, 200)):
    """A score threshold in a wide gap of the best-class scores with a few
    dozen candidates above it, and an IoU threshold no same-class pair of
    candidates comes near."""
    scores = y[4:].max(0)
    order = np.sort(scores)[::-1]
    lo, hi = want
    gaps = order[lo - 1:hi - 1] - order[lo:hi]
    k = lo + int(np.argmax(gaps))
    score = float((order[k - 1] + order[k]) / 2)
    margin = float(order[k - 1] - order[k])
    keep = scores > score
    boxes, cls = y[:4, keep].T, y[4:, keep].argmax(0)
    ious = []
    for i in range(len(boxes)):
        same = (cls == cls[i]) & (np.arange(len(boxes)) > i)
        if same.any():
            ious.extend(iou(boxes[i], boxes[same]).tolist())
    ious = np.array(ious)
    for t in np.arange(0.45, 0.80, 0.01):
        if not len(ious) or np.abs(ious - t).min() > 0.01:
            return score, margin, float(t), int(keep.sum())
    sys.exit('no IoU threshold clear of every candidate pair')


def sha256(path):
    h = hashlib.sha256()
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(1 << 20), b''):
            h.update(block)
    return h.hexdigest()


def key(h, w):
    digest = hashlib.sha256()
    for p in (__file__, yolov12.__file__):
        with open(p, 'rb') as f:
            digest.update(f.read())
    return f'{digest.hexdigest()} torch={torch.__version__} yolov12n {h}x{w} seed={SEED}'


def up_to_date(d, k):
    try:
        with open(os.path.join(d, 'MANIFEST')) as f:
            lines = f.read().splitlines()
    except OSError:
        return False
    if not lines or lines[0] != 'key ' + k:
        return False
    sums = dict(reversed(l.split('  ', 1)) for l in lines[1:])
    return all(os.path.exists(os.path.join(d, f)) and sums.get(f) == sha256(os.path.join(d, f))
               for f in FILES)


def export(out, h, w):
    name = f'yolov12n_{h}x{w}'
    d = os.path.join(out, name)
    k = key(h, w)
    if up_to_date(d, k):
        print(f'{name}: up to date')
        return name
    os.makedirs(d, exist_ok=True)
    torch.manual_seed(SEED)
    model = yolov12.YOLOv12(nc=80, scale='n')
    gen = torch.Generator().manual_seed(SEED + 1)
    randomize(model, gen, h, w)
    model.eval()
    x = torch.rand((1, 3, h, w), generator=gen)
    with torch.no_grad():
        y = model(x)
    yolov12.export_onnx(model, os.path.join(d, 'model.onnx'), h, w,
                        {'lookout.family': 'ultralytics', 'lookout.scale': '1/255',
                         'lookout.channels': 'rgb', 'lookout.letterbox': 'center',
                         'lookout.pad': '114'})
    x.numpy().astype('<f4').tofile(os.path.join(d, 'input.bin'))
    yn = y[0].numpy()
    yn[None].astype('<f4').tofile(os.path.join(d, 'output.bin'))
    score, margin, iou_t, n = thresholds(yn)
    with open(os.path.join(d, 'meta.txt'), 'w') as f:
        f.write('input ' + ' '.join(map(str, x.shape)) + '\n')
        f.write('output ' + ' '.join(map(str, y.shape)) + '\n')
        f.write(f'attention 8\nscore {score:.9g}\niou {iou_t:.3f}\n')
    with open(os.path.join(d, 'MANIFEST'), 'w') as f:
        f.write('key ' + k + '\n')
        for fn in FILES:
            f.write(f'{sha256(os.path.join(d, fn))}  {fn}\n')
    print(f'{name}: exported (output {tuple(y.shape)}, max|y| {float(y.abs().max()):.4g}, '
          f'{n} candidates above score {score:.4g} (gap {margin:.3g}), IoU threshold {iou_t:.2f})')
    return name


def export_block(out, name):
    ctor, shape, fused = BLOCKS[name]
    d = os.path.join(out, name)
    k = key(*shape[2:]).replace('yolov12n', name)
    if up_to_date(d, k):
        print(f'{name}: up to date')
        return name
    os.makedirs(d, exist_ok=True)
    torch.manual_seed(SEED)
    model = ctor()
    gen = torch.Generator().manual_seed(SEED + 2)
    calibrate(model, gen, shape)
    model.eval()
    x = torch.randn(shape, generator=gen)
    with torch.no_grad():
        y = model(x)
        torch.onnx.export(model, x, os.path.join(d, 'model.onnx'), opset_version=17,
                          do_constant_folding=True, input_names=['x'], output_names=['y'])
    x.numpy().astype('<f4').tofile(os.path.join(d, 'input.bin'))
    y.numpy().astype('<f4').tofile(os.path.join(d, 'output.bin'))
    with open(os.path.join(d, 'meta.txt'), 'w') as f:
        f.write('input ' + ' '.join(map(str, x.shape)) + '\n')
        f.write('output ' + ' '.join(map(str, y.shape)) + '\n')
        f.write(f'attention {fused}\n')
    with open(os.path.join(d, 'MANIFEST'), 'w') as f:
        f.write('key ' + k + '\n')
        for fn in FILES:
            f.write(f'{sha256(os.path.join(d, fn))}  {fn}\n')
    print(f'{name}: exported (output {tuple(y.shape)}, max|y| {float(y.abs().max()):.4g})')
    return name


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--out', required=True, help='output directory')
    ap.add_argument('--stamp', help='file listing the exported directories (written last)')
    a = ap.parse_args()
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    names = [export(a.out, h, w) for h, w in SIZES] + [export_block(a.out, n) for n in BLOCKS]
    if a.stamp:
        with open(a.stamp + '.tmp', 'w') as f:
            f.write(''.join(n + '\n' for n in names))
        os.replace(a.stamp + '.tmp', a.stamp)


if __name__ == '__main__':
    main()
