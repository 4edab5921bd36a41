#!/usr/bin/python3
"""Runs the darknet detectors of the shared assets (Yolo-Fastest 1.1 and
1.1-XL, .cfg + .weights) with OpenCV DNN's darknet importer on every Nth road
image of the shared footage and stores the preprocessed inputs and the raw
maps feeding each [yolo] layer, which tests/darknet/test_darknet_load.c feeds
to Lookout's darknet loader and compares with.

A third model, "synthetic", is written here with seeded random weights: a
small non-square net using what Yolo-Fastest does not (maxpool stride 2 with
darknet's asymmetric padding on odd sizes, grouped route, strided and
grouped convolutions, mish / logistic / swish / relu, shortcut with an
activation, upsample after a pool, a conv with bias and no batch norm).

Preprocessing (shared/assets/SOURCES.md, darknet convention): RGB, stretched
to the [net] size with bilinear filtering (cv2.resize INTER_LINEAR, as
cv2.dnn.blobFromImage), /255. The stretched pixels are uint8, so the inputs
are stored as uint8 CHW; the tensor is float32(u8) / 255.

The raw map of a [yolo] layer is the output of the OpenCV layer just before
that head's "permute_N" layer (OpenCV builds darknet layers in cfg order and
names each head's layers permute_N, yolo_N).

For each model, OUT gets:
  <model>.u8        N inputs, uint8 CHW (RGB), back to back
  <model>.f32       per image, every head's raw map in cfg order, float32
                    little-endian, back to back
  <model>.txt       index: "model <absolute cfg path>", "input <dims>", "output <dims>"
                    per head, "div 255.0", "images <N>", then one image path
                    a line (relative to the footage directory)
  <model>.MANIFEST  sha256 of the three files and the key they were made with
A model whose manifest matches (this script, OpenCV's version, the model
files and every image by content) is not run again.

Run with Debian's interpreter (/usr/bin/python3: python3-opencv 4.6).
"""
import argparse
import hashlib
import os
import sys
import time

import cv2
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from opencv_raw_outputs import list_images, sha256_file  # noqa: E402

MODELS = {
    'yolo-fastest-1.1': 'yolo-fastest-1.1/yolo-fastest-1.1',
    'yolo-fastest-1.1-xl': 'yolo-fastest-1.1/yolo-fastest-1.1-xl',
    'synthetic': None,
}

# Layer numbers in the comments; shapes CxHxW for the 42x70 input.
SYNTHETIC_CFG = """[net]
width=70
height=42
channels=3

# 0: 8x21x35
[convolutional]
batch_normalize=1
filters=8
size=3
stride=2
pad=1
activation=leaky

# 1: 8x11x18 (padding 1: none before, one after)
[maxpool]
size=2
stride=2

# 2: 8x11x18
[convolutional]
batch_normalize=1
filters=8
groups=2
size=3
pad=1
activation=mish

# 3: 4x11x18, the second half of layer 2
[route]
layers=-1
groups=2
group_id=1

# 4: 8x11x18
[convolutional]
batch_normalize=1
filters=8
size=1
activation=linear

# 5: 8x11x18 = layer 4 + layer 2
[shortcut]
from=-3
activation=leaky

# 6: 8x11x18
[maxpool]
size=3
stride=1

[dropout]
probability=.2

# 8: 16x11x18
[route]
layers=-2,2

# 9: 12x11x18, head 0
[convolutional]
filters=12
size=1
activation=linear

# 10
[yolo]
mask=0,1
anchors=4,5, 10,12, 20,30
classes=1
num=3

# 11: layer 8
[route]
layers=-3

# 12: 16x6x9
[maxpool]
size=2
stride=2

# 13: 16x12x18
[upsample]
stride=2

# 14: 8x12x18
[convolutional]
filters=8
size=3
pad=1
activation=logistic

# 15: 8x6x9
[convolutional]
batch_normalize=1
filters=8
size=3
stride=2
pad=1
activation=swish

# 16: 8x6x9
[convolutional]
batch_normalize=1
filters=8
size=5
pad=1
groups=8
activation=relu

# 17: 6x6x9, head 1
[convolutional]
filters=6
size=1
activation=linear

# 18
[yolo]
mask=2
anchors=4,5, 10,12, 20,30
classes=1
num=3
"""


def write_synthetic(out_dir):
    """synthetic.cfg and synthetic.weights in out_dir; returns their stem."""
    rng = np.random.default_rng(20261128)
    stem = os.path.join(out_dir, 'synthetic')
    with open(stem + '.cfg', 'w') as f:
        f.write(SYNTHETIC_CFG)
    # (c_in, filters, size, groups, batch_normalize) of each conv, in order.
    convs = [(3, 8, 3, 1, 1), (8, 8, 3, 2, 1), (4, 8, 1, 1, 1), (16, 12, 1, 1, 0),
             (16, 8, 3, 1, 0), (8, 8, 3, 1, 1), (8, 8, 5, 8, 1), (8, 6, 1, 1, 0)]
    parts = [np.array([0, 2, 5], '<i4').tobytes(), np.array([12345], '<u8').tobytes()]
    for c, n, k, g, bn in convs:
        vals = [rng.uniform(-0.5, 0.5, n)]
        if bn:
            vals += [rng.uniform(0.5, 1.5, n), rng.uniform(-0.2, 0.2, n),
                     rng.uniform(0.05, 1.0, n)]
        fan_in = c // g * k * k
        vals.append(rng.uniform(-1, 1, n * fan_in) * np.sqrt(3.0 / fan_in))
        parts += [v.astype('<f4').tobytes() for v in vals]
    with open(stem + '.weights', 'wb') as f:
        f.write(b''.join(parts))
    return stem


def head_inputs(net):
    """Names of the layers feeding each [yolo] head, in cfg order."""
    names = list(net.getLayerNames())
    heads = [n for n in names if n.startswith('yolo_')]
    heads.sort(key=lambda n: int(n.split('_')[1]))
    out = []
    for h in heads:
        perm = 'permute_' + h.split('_')[1]
        out.append(names[names.index(perm) - 1])
    return out


def net_size(cfg):
    w = h = None
    with open(cfg) as f:
        for line in f:
            line = line.replace(' ', '').strip()
            if line.startswith('width='):
                w = int(line[6:])
            elif line.startswith('height='):
                h = int(line[7:])
            elif line.startswith('[') and line not in ('[net]', '[network]'):
                break
    return w, h


def run_model(name, assets, images, out_dir, key_base):
    if MODELS[name]:
        stem = os.path.join(assets, 'models', MODELS[name])
    else:
        stem = write_synthetic(out_dir)
    cfg, weights = stem + '.cfg', stem + '.weights'
    key = hashlib.sha256((key_base + sha256_file(cfg).hexdigest() +
                          sha256_file(weights).hexdigest() + name).encode()).hexdigest()
    files = [name + ext for ext in ('.u8', '.f32', '.txt')]
    paths = [os.path.join(out_dir, f) for f in files]
    manifest = os.path.join(out_dir, name + '.MANIFEST')
    try:
        with open(manifest) as f:
            lines = f.read().splitlines()
        if lines[0] == 'key ' + key and all(
                os.path.exists(p) and lines[1 + i] == sha256_file(p).hexdigest() + '  ' + files[i]
                for i, p in enumerate(paths)):
            print(f'{name}: up to date ({len(images)} images)')
            return
    except (OSError, IndexError):
        pass

    net = cv2.dnn.readNetFromDarknet(cfg, weights)
    net.setPreferableBackend(cv2.dnn.DNN_BACKEND_OPENCV)
    net.setPreferableTarget(cv2.dnn.DNN_TARGET_CPU)
    outs = head_inputs(net)
    w, h = net_size(cfg)
    shapes = None
    t_fwd = 0.0
    t0 = time.time()
    with open(paths[0] + '.tmp', 'wb') as fu8, open(paths[1] + '.tmp', 'wb') as ff32:
        for rel_img in images:
            img = cv2.imread(os.path.join(assets, 'footage', rel_img), cv2.IMREAD_COLOR)
            if img is None:
                sys.exit(f'cannot decode {rel_img}')
            rgb = cv2.cvtColor(cv2.resize(img, (w, h), interpolation=cv2.INTER_LINEAR),
                               cv2.COLOR_BGR2RGB)
            chw = np.ascontiguousarray(rgb.transpose(2, 0, 1))
            x = (chw.astype(np.float32) / np.float32(255.0))[None]
            t = time.time()
            net.setInput(x)
            ys = [np.ascontiguousarray(y, dtype='<f4') for y in net.forward(outs)]
            t_fwd += time.time() - t
            if shapes is None:
                shapes = [y.shape for y in ys]
            fu8.write(chw.tobytes())
            for y in ys:
                ff32.write(y.tobytes())
    with open(paths[2] + '.tmp', 'w') as f:
        f.write(f'model {os.path.abspath(stem)}.cfg\n')
        f.write(f'input 1 3 {h} {w}\n')
        for s in shapes:
            f.write('output ' + ' '.join(map(str, s)) + '\n')
        f.write('div 255.0\n')
        f.write(f'images {len(images)}\n')
        f.write(''.join(p + '\n' for p in images))
    for p in paths:
        os.replace(p + '.tmp', p)
    with open(manifest, 'w') as f:
        f.write('key ' + key + '\n')
        f.write(''.join(sha256_file(p).hexdigest() + '  ' + fn + '\n'
                        for p, fn in zip(paths, files)))
    print(f'{name}: {len(images)} images, heads {outs} {shapes}, '
          f'OpenCV forward {1000 * t_fwd / len(images):.1f} ms/image, '
          f'total {time.time() - t0:.1f} s')


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--shared', required=True, help='the shared directory (holds assets/)')
    ap.add_argument('--out', required=True, help='output directory')
    ap.add_argument('--every', type=int, default=20,
                    help='use every Nth image in sorted path order (default 20)')
    ap.add_argument('--stamp', help='file written last, listing the models done')
    ap.add_argument('models', nargs='*', help=f'subset of {", ".join(MODELS)}')
    a = ap.parse_args()
    assets = os.path.join(a.shared, 'assets')
    images = list_images(os.path.join(assets, 'footage'))[::max(1, a.every)]
    if not images:
        sys.exit(f'no .jpg images under {assets}/footage')
    os.makedirs(a.out, exist_ok=True)
    key = hashlib.sha256(open(__file__, 'rb').read())
    key.update(cv2.__version__.encode())
    for p in images:
        key.update(p.encode())
        sha256_file(os.path.join(assets, 'footage', p), key)
    names = a.models or list(MODELS)
    for n in names:
        if n not in MODELS:
            sys.exit(f'unknown model {n}')
        run_model(n, assets, images, a.out, key.hexdigest())
    if a.stamp:
        with open(a.stamp, 'w') as f:
            f.write(''.join(n + '\n' for n in names))


if __name__ == '__main__':
    main()
