#!/usr/bin/python3
"""Reference outputs of the detectors' OpenCV pre-processing pipelines, for
tests/engine/test_preprocess.c (the `preprocess` op must reproduce them).

Each case is a seeded random frame, written raw (planes packed, no row
padding), and what the family's reference code makes of it with OpenCV:
cv2.resize (INTER_LINEAR / INTER_AREA, run on float32 so no uint8 rounding
hides geometry errors), letterbox top-left (YOLOX) or centred (Ultralytics),
or stretch, channel order, scale; YUV frames go through cv2.cvtColor first
(uint8, BT.601 limited range, as cv2 does). Output: OUT/<case>.bin (frame
bytes then the [3, H, W] float32 result) and OUT/index.txt, one line per
case: name format w h dst_w dst_h fit interp bgr scale pad tolerance path.

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


def letterbox(img, dw, dh, centre, interp, pad):
    h, w = img.shape[:2]
    r = min(dh / h, dw / w)
    if centre:  # Ultralytics LetterBox
        nw, nh = int(round(w * r)), int(round(h * r))
        top, left = int(round((dh - nh) / 2 - 0.1)), int(round((dw - nw) / 2 - 0.1))
    else:  # YOLOX preproc
        nw, nh = int(w * r), int(h * r)
        top = left = 0
    out = np.full((dh, dw, 3), pad, np.float32)
    out[top:top + nh, left:left + nw] = cv2.resize(img.astype(np.float32), (nw, nh),
                                                   interpolation=interp)
    return out


def stretch(img, dw, dh, interp):
    return cv2.resize(img.astype(np.float32), (dw, dh), interpolation=interp)


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
    lines = []
    for name, fmt, w, h, dw, dh, fit, interp, bgr, scale in cases:
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
            tol = 1.0  # cv2 converts YUV in fixed point and rounds to uint8 (0.5 seen)
        if fit == STRETCH:
            out = stretch(src, dw, dh, cv_interp[interp])
        else:
            out = letterbox(src, dw, dh, fit == CENTER, cv_interp[interp], 114.0)
        out = (out * np.float32(scale)).astype(np.float32).transpose(2, 0, 1)
        path = os.path.abspath(os.path.join(args.out, name + '.bin'))
        with open(path, 'wb') as f:
            f.write(raw)
            f.write(np.ascontiguousarray(out).astype('<f4').tobytes())
        lines.append(f'{name} {fmt} {w} {h} {dw} {dh} {fit} {interp} {bgr} {scale!r} 114 '
                     f'{tol * scale!r} {path}\n')
    with open(args.index or os.path.join(args.out, 'index.txt'), 'w') as f:
        f.writelines(lines)


if __name__ == '__main__':
    main()
