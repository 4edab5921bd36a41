#!/usr/bin/python3
"""Reference outputs of the detectors' OpenCV pre-processing pipelines, for
tests/engine/test_preprocess.c (the `preprocess` op must reproduce them).

Each case is a seeded random frame, written raw (planes packed, no row
padding), and what the family's reference code makes of it with OpenCV:
cv2.resize (INTER_LINEAR / INTER_AREA), letterbox top-left (YOLOX) or
centred (Ultralytics), or stretch, channel order, scale; YUV frames go
through cv2.cvtColor first (uint8, BT.601 limited range, as cv2 does).
Every case runs twice: resized as float32 (u8 0: no uint8 rounding hides
geometry errors) and as the published pipelines do it, on the uint8 image
(u8 1: the op's `u8` path must match bit for bit). Then the u8 path on
sizes that pick each of cv2's 8-bit code paths, and, when the shared
footage is there ($LOOKOUT_SHARED or the checkout's ../shared), real road
frames through each family's own code (YOLOX letterbox, FastestDet
INTER_AREA, cv2.dnn.blobFromImage for darknet). Output: OUT/<case>.bin
(frame bytes then the [3, H, W] float32 result) and OUT/index.txt, one line
per case: name format w h dst_w dst_h fit interp bgr scale pad tolerance u8
path.

Run with Debian's python3-opencv: /usr/bin/python3 preprocess_cv2.py --out DIR
"""
import argparse
import os

import cv2
import numpy as np

# lk_pixel_format, lk_fit, lk_interp numbering (detector.h, lookout.h).
RGB, BGR, NV12, I420 = 0, 1, 4, 5
LETTERBOX, CENTER, STRETCH = 0, 1, 2
LINEAR, AREA = 0, 1


def frame(rng, w, h):
    """Smooth content plus noise, so interpolation errors show."""
    base = rng.uniform(0, 255, (h // 4 + 2, w // 4 + 2, 3)).astype(np.float32)
    img = cv2.resize(base, (w, h), interpolation=cv2.INTER_CUBIC)
    img += rng.normal(0, 20, img.shape).astype(np.float32)
    return np.clip(img, 0, 255).astype(np.uint8)


def resize(img, size, interp, u8):
    return cv2.resize(img if u8 else img.astype(np.float32), size, interpolation=interp)


def letterbox(img, dw, dh, centre, interp, pad, u8):
    h, w = img.shape[:2]
    r = min(dh / h, dw / w)
    if centre:  # Ultralytics LetterBox
        nw, nh = int(round(w * r)), int(round(h * r))
        top, left = int(round((dh - nh) / 2 - 0.1)), int(round((dw - nw) / 2 - 0.1))
    else:  # YOLOX preproc
        nw, nh = int(w * r), int(h * r)
        top = left = 0
    out = np.full((dh, dw, 3), pad, np.uint8 if u8 else np.float32)
    out[top:top + nh, left:left + nw] = resize(img, (nw, nh), interp, u8)
    return out


def real_frames():
    """Two road frames (BGR) from the shared footage, or none."""
    shared = os.environ.get('LOOKOUT_SHARED') or os.path.join(
        os.path.dirname(os.path.abspath(__file__)), '..', '..', '..', 'shared')
    d = os.path.join(shared, 'assets', 'footage', 'udacity-vehicle-detection', 'test_images')
    imgs = [cv2.imread(os.path.join(d, f), cv2.IMREAD_COLOR) for f in ('test1.jpg', 'test4.jpg')]
    return [i for i in imgs if i is not None]


def write_case(out_dir, name, raw, out, fields):
    """Writes OUT/<name>.bin; returns its index line."""
    path = os.path.abspath(os.path.join(out_dir, name + '.bin'))
    with open(path, 'wb') as f:
        f.write(raw)
        f.write(np.ascontiguousarray(out).astype('<f4').tobytes())
    return f'{name} {fields} {path}\n'


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--out', required=True)
    ap.add_argument('--index', help='index file to write (default OUT/index.txt)')
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    rng = np.random.default_rng(20261128)
    cv_interp = {LINEAR: cv2.INTER_LINEAR, AREA: cv2.INTER_AREA}
    # name, frame format, w, h, dst w, dst h, fit, interp, channels out bgr, scale
    cases = [
        ('yolox_wide', BGR, 130, 74, 64, 64, LETTERBOX, LINEAR, 1, 1.0),
        ('yolox_tall', BGR, 45, 101, 64, 48, LETTERBOX, LINEAR, 1, 1.0),
        ('yolox_up', BGR, 31, 17, 64, 64, LETTERBOX, LINEAR, 1, 1.0),
        ('ultra_wide', RGB, 127, 71, 64, 64, CENTER, LINEAR, 0, 1 / 255),
        ('ultra_tall', RGB, 51, 99, 48, 64, CENTER, LINEAR, 0, 1 / 255),
        ('fastest_int', BGR, 96, 64, 48, 32, STRETCH, AREA, 1, 1 / 255),
        ('fastest_frac', BGR, 97, 61, 40, 27, STRETCH, AREA, 1, 1 / 255),
        ('fastest_big', BGR, 301, 173, 44, 44, STRETCH, AREA, 1, 1 / 255),
        ('area_up', BGR, 23, 19, 50, 41, STRETCH, AREA, 1, 1.0),
        ('area_mixed', RGB, 80, 20, 36, 44, STRETCH, AREA, 0, 1.0),
        ('darknet_down', RGB, 123, 77, 40, 40, STRETCH, LINEAR, 0, 1 / 255),
        ('darknet_up', RGB, 29, 13, 40, 40, STRETCH, LINEAR, 0, 1 / 255),
        ('nv12_rgb', NV12, 90, 54, 40, 40, STRETCH, LINEAR, 0, 1.0),
        ('i420_bgr_letterbox', I420, 96, 54, 48, 48, LETTERBOX, LINEAR, 1, 1.0),
    ]
    # u8 only: 2x (cv2 turns INTER_LINEAR into its area fast path), integer
    # box factors (2x2 rounds half up, others half to even), non-integer
    # area, one axis growing under INTER_AREA, 1-pixel sides, big factors.
    u8_cases = [
        ('u8_linear_half', BGR, 96, 64, 48, 32, STRETCH, LINEAR, 1, 1.0),
        ('u8_area_2x2', RGB, 98, 62, 49, 31, STRETCH, AREA, 0, 1.0),
        ('u8_area_3x3', BGR, 99, 60, 33, 20, STRETCH, AREA, 1, 1.0),
        ('u8_area_2x1', BGR, 70, 45, 35, 45, STRETCH, AREA, 1, 1 / 255),
        ('u8_area_frac', BGR, 333, 187, 64, 41, STRETCH, AREA, 1, 1 / 255),
        ('u8_area_grow_x', RGB, 37, 91, 53, 30, STRETCH, AREA, 0, 1.0),
        ('u8_linear_up', RGB, 13, 7, 61, 45, STRETCH, LINEAR, 0, 1.0),
        ('u8_linear_line', BGR, 1, 29, 17, 11, STRETCH, LINEAR, 1, 1.0),
        ('u8_letterbox_odd', BGR, 211, 97, 67, 67, LETTERBOX, LINEAR, 1, 1.0),
        ('u8_center_odd', RGB, 97, 211, 64, 64, CENTER, LINEAR, 0, 1 / 255),
        ('u8_nv12_area', NV12, 122, 70, 31, 17, STRETCH, AREA, 1, 1.0),
    ]
    lines = []
    all_cases = [c + (u8,) for c in cases for u8 in (0, 1)] + [c + (1,) for c in u8_cases]
    for name, fmt, w, h, dw, dh, fit, interp, bgr, scale, u8 in all_cases:
        tol = 1e-2
        if fmt in (RGB, BGR):
            img = frame(rng, w, h)  # in the frame's own channel order
            raw = img.tobytes()
            # The network wants bgr or rgb; swap when the frame is the other.
            src = img if (fmt == BGR) == (bgr == 1) else img[:, :, ::-1]
        else:
            yuv = rng.integers(16, 236, (h * 3 // 2, w), dtype=np.uint8)
            if fmt == NV12:
                code = cv2.COLOR_YUV2BGR_NV12 if bgr else cv2.COLOR_YUV2RGB_NV12
            else:
                code = cv2.COLOR_YUV2BGR_I420 if bgr else cv2.COLOR_YUV2RGB_I420
            src = cv2.cvtColor(yuv, code)
            raw = yuv.tobytes()
            # Float path: cv2 converts YUV in fixed point and rounds to uint8
            # (0.5 seen); the u8 path converts the same way.
            tol = 1.0
        if u8:
            name += '' if name.startswith('u8_') else '_u8'
            tol = 0.0
        if fit == STRETCH:
            out = resize(src, (dw, dh), cv_interp[interp], u8)
        else:
            out = letterbox(src, dw, dh, fit == CENTER, cv_interp[interp], 114, u8)
        out = (out.astype(np.float32) * np.float32(scale)).transpose(2, 0, 1)
        lines.append(write_case(args.out, name, raw, out, f'{fmt} {w} {h} {dw} {dh} {fit} '
                                f'{interp} {bgr} {scale!r} 114 {tol * scale!r} {u8}'))
    for k, img in enumerate(real_frames()):
        h, w = img.shape[:2]
        r = min(416 / h, 416 / w)
        yolox = letterbox(img, 416, 416, False, cv2.INTER_LINEAR, 114, True)
        fastest = cv2.resize(img, (352, 352), interpolation=cv2.INTER_AREA)
        dark = cv2.dnn.blobFromImage(img, 1 / 255.0, (320, 320), swapRB=True, crop=False)[0]
        assert yolox.shape[:2] == (416, 416) and int(w * r) <= 416
        # blobFromImage scales in double: within an ulp of v · float(1/255).
        for name, out, dw, fit, interp, bgr, scale, tol in (
                ('yolox', yolox.transpose(2, 0, 1), 416, LETTERBOX, LINEAR, 1, 1.0, 0.0),
                ('fastestdet', fastest.transpose(2, 0, 1) * np.float32(1 / 255), 352, STRETCH,
                 AREA, 1, 1 / 255, 0.0),
                ('darknet', dark, 320, STRETCH, LINEAR, 0, 1 / 255, 1e-6)):
            lines.append(write_case(args.out, f'real{k}_{name}', img.tobytes(),
                                    out.astype(np.float32), f'{BGR} {w} {h} {dw} {dw} {fit} '
                                    f'{interp} {bgr} {scale!r} 114 {tol!r} 1'))
    with open(args.index or os.path.join(args.out, 'index.txt'), 'w') as f:
        f.writelines(lines)


if __name__ == '__main__':
    main()
