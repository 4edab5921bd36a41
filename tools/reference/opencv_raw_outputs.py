#!/usr/bin/python3
"""Runs the real pretrained detectors with OpenCV's DNN module on every road
image of the shared footage and stores, per model, the preprocessed input
tensors and OpenCV's raw outputs, which tests/conformance/test_opencv_parity.c
feeds to Lookout and compares with.

Preprocessing (shared/assets/SOURCES.md):
  yolox_nano  BGR, 0..255, bilinear letterbox into the top-left of a 416x416
              canvas filled with 114
  fastestdet  BGR, stretched to 352x352 (area interpolation, as the model's
              Python example), /255
Both end in uint8 pixels, so the inputs are stored losslessly as uint8 CHW
(a quarter of the float size); the tensor is float(u8) / div, with div in the
index (fp32 division, correctly rounded in Python and C alike).

For each model, OUT gets:
  <model>.u8     N inputs, uint8 CHW, back to back
  <model>.f32    N raw outputs, float32 little-endian, back to back
  <model>.txt    index: "model <path>", "input <dims>", "output <dims>",
                 "div <d>", "images <N>", then one image path a line
                 (relative to the footage directory)
  <model>.MANIFEST  sha256 of the three files and the key they were made with
A model whose manifest matches (this script, OpenCV's version, the model
file and every image by content) is not run again.

Run with Debian's interpreter (/usr/bin/python3: python3-opencv 4.6).
"""
import argparse
import hashlib
import os
import sys
import time

import cv2
import numpy as np


def letterbox_yolox(img, size=416):
    h, w = img.shape[:2]
    r = min(size / h, size / w)
    resized = cv2.resize(img, (int(w * r), int(h * r)), interpolation=cv2.INTER_LINEAR)
    canvas = np.full((size, size, 3), 114, np.uint8)
    canvas[:resized.shape[0], :resized.shape[1]] = resized
    return canvas


def stretch_fastestdet(img, size=352):
    return cv2.resize(img, (size, size), interpolation=cv2.INTER_AREA)


# name: (model path under assets/models, preprocess, divisor)
MODELS = {
    'yolox_nano': ('yolox_nano/yolox_nano.onnx', letterbox_yolox, 1.0),
    'fastestdet': ('fastestdet/FastestDet.onnx', stretch_fastestdet, 255.0),
}


def sha256_file(path, h=None):
    h = h or hashlib.sha256()
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(1 << 20), b''):
            h.update(block)
    return h


def list_images(footage):
    out = []
    for root, dirs, files in os.walk(footage):
        dirs.sort()
        for f in sorted(files):
            if f.lower().endswith('.jpg'):
                out.append(os.path.relpath(os.path.join(root, f), footage))
    return out


def run_model(name, assets, images, out_dir, key_base):
    rel, prep, div = MODELS[name]
    model_path = os.path.join(assets, 'models', rel)
    key = hashlib.sha256((key_base + sha256_file(model_path).hexdigest() + name)
                         .encode()).hexdigest()
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

    net = cv2.dnn.readNetFromONNX(model_path)
    net.setPreferableBackend(cv2.dnn.DNN_BACKEND_OPENCV)
    net.setPreferableTarget(cv2.dnn.DNN_TARGET_CPU)
    in_shape = out_shape = None
    t_fwd = 0.0
    t0 = time.time()
    with open(paths[0] + '.tmp', 'wb') as fu8, open(paths[1] + '.tmp', 'wb') as ff32:
        for rel_img in images:
            img = cv2.imread(os.path.join(assets, 'footage', rel_img), cv2.IMREAD_COLOR)
            if img is None:
                sys.exit(f'cannot decode {rel_img}')
            chw = np.ascontiguousarray(prep(img).transpose(2, 0, 1))
            x = (chw.astype(np.float32) / np.float32(div))[None]
            t = time.time()
            net.setInput(x)
            y = np.ascontiguousarray(net.forward(), dtype='<f4')
            t_fwd += time.time() - t
            if in_shape is None:
                in_shape, out_shape = x.shape, y.shape
            elif y.shape != out_shape or x.shape != in_shape:
                sys.exit(f'{rel_img}: shape changed to {x.shape} -> {y.shape}')
            fu8.write(chw.tobytes())
            ff32.write(y.tobytes())
    with open(paths[2] + '.tmp', 'w') as f:
        f.write(f'model {rel}\n')
        f.write('input ' + ' '.join(map(str, in_shape)) + '\n')
        f.write('output ' + ' '.join(map(str, out_shape)) + '\n')
        f.write(f'div {div!r}\n')
        f.write(f'images {len(images)}\n')
        f.write(''.join(p + '\n' for p in images))
    for p in paths:
        os.replace(p + '.tmp', p)
    with open(manifest, 'w') as f:
        f.write('key ' + key + '\n')
        f.write(''.join(sha256_file(p).hexdigest() + '  ' + fn + '\n'
                        for p, fn in zip(paths, files)))
    print(f'{name}: {len(images)} images, input {in_shape}, output {out_shape}, '
          f'OpenCV forward {1000 * t_fwd / len(images):.1f} ms/image, '
          f'total {time.time() - t0:.1f} s')


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--shared', required=True, help='the shared directory (holds assets/)')
    ap.add_argument('--out', required=True, help='output directory')
    ap.add_argument('--stamp', help='file written last, listing the models done')
    ap.add_argument('models', nargs='*', help=f'subset of {", ".join(MODELS)}')
    a = ap.parse_args()
    assets = os.path.join(a.shared, 'assets')
    images = list_images(os.path.join(assets, 'footage'))
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
