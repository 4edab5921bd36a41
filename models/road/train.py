#!/usr/bin/python3
"""Step 2 of the recipe: train the road detector on the cached frames
(prepare.py) on the CPU, for a fixed wall-clock budget.

The schedule runs on time, not epochs, so the run ends on time however busy
the machine is: linear warm-up over the first 100 iterations, then a cosine
decay of the learning rate over the budget; mosaic is switched off for the
epochs that start in the last 10 % of it. The log records how many epochs
and iterations that came to.

Augmentation: mosaic (4 frames), random scale and translation, horizontal
flip, HSV jitter, Gaussian blur. Optimiser: AdamW; weight EMA. Loss: loss.py.
A checkpoint is written after every epoch (and at the end); --resume
continues from it, with the time already spent.

    nice -n 10 /usr/bin/python3 models/road/train.py --minutes 100 [--resume]
"""
import argparse
import math
import os
import pickle
import random
import sys
import time

import cv2
import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
import loss as detloss  # noqa: E402
from model import build  # noqa: E402

H, W = common.INPUT_H, common.INPUT_W
cv2.setNumThreads(1)


def hsv_jitter(img, rng, h=0.015, s=0.6, v=0.4):
    gains = rng.uniform(-1, 1, 3) * (h, s, v) + 1
    hue, sat, val = cv2.split(cv2.cvtColor(img, cv2.COLOR_BGR2HSV))
    x = np.arange(256, dtype=np.float32)
    lut_h = ((x * gains[0]) % 180).astype(np.uint8)
    lut_s = np.clip(x * gains[1], 0, 255).astype(np.uint8)
    lut_v = np.clip(x * gains[2], 0, 255).astype(np.uint8)
    hsv = cv2.merge((cv2.LUT(hue, lut_h), cv2.LUT(sat, lut_s), cv2.LUT(val, lut_v)))
    return cv2.cvtColor(hsv, cv2.COLOR_HSV2BGR)


class RoadData(torch.utils.data.Dataset):
    """Training frames with boxes [K,5] (cls, x1, y1, x2, y2) in cache pixels."""

    def __init__(self, cache, seed):
        self.items = cache
        self.mosaic = True
        self.seed = seed
        self.epoch = 0

    def __len__(self):
        return len(self.items)

    def fit(self, i):
        """Frame i resized to fit H x W; boxes scaled with it."""
        it = self.items[i]
        img = cv2.imdecode(np.frombuffer(it["jpg"], np.uint8), cv2.IMREAD_COLOR)
        r = min(H / img.shape[0], W / img.shape[1])
        img = cv2.resize(img, (round(img.shape[1] * r), round(img.shape[0] * r)))
        boxes = it["boxes"].copy()
        boxes[:, 1:] *= r
        return img, boxes

    def canvas(self, i, rng):
        """Mosaic (2H x 2W around a random centre) or a single frame."""
        if not self.mosaic or rng.random() > 0.8:
            img, boxes = self.fit(i)
            return img, boxes, (img.shape[1] / 2, img.shape[0] / 2)
        cx, cy = rng.uniform(0.5 * W, 1.5 * W), rng.uniform(0.5 * H, 1.5 * H)
        big = np.full((2 * H, 2 * W, 3), common.PAD_VALUE, np.uint8)
        out = []
        idx = [i] + [int(rng.integers(len(self.items))) for _ in range(3)]
        for k, j in enumerate(idx):
            img, boxes = self.fit(j)
            h, w = img.shape[:2]
            # quadrant k: 0 top-left, 1 top-right, 2 bottom-left, 3 bottom-right of the centre
            x0 = int(cx - w) if k in (0, 2) else int(cx)
            y0 = int(cy - h) if k in (0, 1) else int(cy)
            ax0, ay0 = max(x0, 0), max(y0, 0)
            ax1, ay1 = min(x0 + w, 2 * W), min(y0 + h, 2 * H)
            big[ay0:ay1, ax0:ax1] = img[ay0 - y0:ay1 - y0, ax0 - x0:ax1 - x0]
            b = boxes.copy()
            b[:, [1, 3]] += x0
            b[:, [2, 4]] += y0
            area = (b[:, 3] - b[:, 1]) * (b[:, 4] - b[:, 2])
            b[:, [1, 3]] = b[:, [1, 3]].clip(ax0, ax1)
            b[:, [2, 4]] = b[:, [2, 4]].clip(ay0, ay1)
            # objects mostly cut off by the quadrant are dropped, not kept as slivers
            kept = (b[:, 3] - b[:, 1]) * (b[:, 4] - b[:, 2]) > 0.25 * np.maximum(area, 1e-6)
            out.append(b[kept])
        return big, np.concatenate(out), (cx, cy)

    def __getitem__(self, i):
        rng = np.random.default_rng((self.seed, self.epoch, i))
        img, boxes, (cx, cy) = self.canvas(i, rng)
        # random scale about the chosen centre, random translation, into H x W
        s = rng.uniform(0.5, 1.5)
        tx = W / 2 + rng.uniform(-0.1, 0.1) * W - s * cx
        ty = H / 2 + rng.uniform(-0.1, 0.1) * H - s * cy
        m = np.array([[s, 0, tx], [0, s, ty]], np.float32)
        out = cv2.warpAffine(img, m, (W, H), flags=cv2.INTER_LINEAR,
                             borderValue=(common.PAD_VALUE,) * 3)
        b = boxes.copy()
        area0 = (b[:, 3] - b[:, 1]) * (b[:, 4] - b[:, 2]) * s * s
        b[:, [1, 3]] = (b[:, [1, 3]] * s + tx).clip(0, W)
        b[:, [2, 4]] = (b[:, [2, 4]] * s + ty).clip(0, H)
        bw, bh = b[:, 3] - b[:, 1], b[:, 4] - b[:, 2]
        keep = (bw > 2) & (bh > 2) & (bw * bh > 0.25 * np.maximum(area0, 1e-6))
        b = b[keep]
        if rng.random() < 0.5:
            out = out[:, ::-1]
            b[:, [1, 3]] = W - b[:, [3, 1]]
        out = hsv_jitter(np.ascontiguousarray(out), rng)
        if rng.random() < 0.1:
            k = int(rng.choice([3, 5]))
            out = cv2.GaussianBlur(out, (k, k), 0)
        # model input: RGB, 0..1
        x = torch.from_numpy(out[:, :, ::-1].transpose(2, 0, 1).copy()).float() / 255.0
        return x, torch.from_numpy(b.astype(np.float32))


def collate(batch):
    return torch.stack([x for x, _ in batch]), [t for _, t in batch]


class EMA:
    def __init__(self, model, decay=0.9995, tau=300):
        import copy
        self.model = copy.deepcopy(model).eval()
        self.decay, self.tau, self.updates = decay, tau, 0
        for p in self.model.parameters():
            p.requires_grad_(False)

    @torch.no_grad()
    def update(self, model):
        self.updates += 1
        d = self.decay * (1 - math.exp(-self.updates / self.tau))
        src = model.state_dict()
        for k, v in self.model.state_dict().items():
            if v.dtype.is_floating_point:
                v.mul_(d).add_(src[k].detach(), alpha=1 - d)
            else:
                v.copy_(src[k])


def main():
    ap = argparse.ArgumentParser(description="Trains the road detector on the CPU.")
    ap.add_argument("--minutes", type=float, default=100.0, help="wall-clock training budget")
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--workers", type=int, default=1, help="data loader processes")
    ap.add_argument("--cache", default=os.path.join(common.WORK, "train_cache.pkl"))
    ap.add_argument("--seed", type=int, default=12)
    ap.add_argument("--resume", action="store_true")
    ap.add_argument("--max-iters", type=int, default=0, help="stop after this many iterations (timing)")
    ap.add_argument("--out", default=os.path.join(common.WORK, "last.pt"))
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    random.seed(args.seed)

    with open(args.cache, "rb") as fh:
        data = RoadData(pickle.load(fh), args.seed)
    model = build(len(common.CLASSES))
    crit = detloss.DetectionLoss(model.nc, model.detect.reg_max, model.stride.tolist())
    decay, no_decay = [], []
    for name, p in model.named_parameters():
        (decay if p.ndim > 1 else no_decay).append(p)
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 5e-4},
                             {"params": no_decay, "weight_decay": 0.0}], lr=args.lr, betas=(0.937, 0.999))
    ema = EMA(model)
    start, spent = 0, 0.0
    if args.resume and os.path.exists(args.out):
        ck = torch.load(args.out)
        model.load_state_dict(ck["model"])
        ema.model.load_state_dict(ck["ema"])
        ema.updates = ck["ema_updates"]
        opt.load_state_dict(ck["opt"])
        if ck["finished"]:
            print(f"{args.out} already holds a finished run", flush=True)
            return
        start, spent = ck["epoch"] + 1, ck["elapsed"]
        print(f"resumed after epoch {ck['epoch']}, {spent:.0f} s spent", flush=True)
    loader = torch.utils.data.DataLoader(data, batch_size=args.batch, shuffle=True, num_workers=args.workers,
                                         collate_fn=collate, drop_last=True, persistent_workers=False,
                                         generator=torch.Generator().manual_seed(args.seed))
    per_epoch = len(loader)
    budget = args.minutes * 60.0
    warmup = 100
    print(f"seed {args.seed}; {len(data)} frames; {per_epoch} iterations/epoch; "
          f"budget {args.minutes:g} min", flush=True)
    t0 = time.time() - spent
    done = False
    epoch = start
    while not done:
        data.epoch = epoch
        data.mosaic = time.time() - t0 < 0.9 * budget
        loader.generator.manual_seed(args.seed * 1000 + epoch)
        model.train()
        sums = torch.zeros(3)
        its = 0
        for it, (x, targets) in enumerate(loader):
            step = epoch * per_epoch + it
            frac = min((time.time() - t0) / budget, 1.0)
            lr = args.lr * (step / warmup if step < warmup else
                            0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * frac)))
            for g in opt.param_groups:
                g["lr"] = lr
            loss, parts = crit(model(x), targets)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 10.0)
            opt.step()
            ema.update(model)
            sums += parts
            its += 1
            if it % 10 == 0:
                el = time.time() - t0
                print(f"epoch {epoch} it {it}/{per_epoch} lr {lr:.5f} box {parts[0]:.3f} cls {parts[1]:.3f} "
                      f"dfl {parts[2]:.3f} elapsed {el:.0f}s", flush=True)
            if args.max_iters and it + 1 >= args.max_iters:
                print(f"{args.max_iters} iterations in {time.time() - t0:.1f} s", flush=True)
                return
            if time.time() - t0 >= budget:
                done = True
                break
        m = sums / max(its, 1)
        print(f"epoch {epoch} {'stopped at budget' if done else 'done'} after {its} iterations "
              f"(mosaic {'on' if data.mosaic else 'off'}): box {m[0]:.3f} cls {m[1]:.3f} "
              f"dfl {m[2]:.3f}; EMA updates {ema.updates}; elapsed {time.time() - t0:.0f}s", flush=True)
        torch.save({"model": model.state_dict(), "ema": ema.model.state_dict(),
                    "ema_updates": ema.updates, "opt": opt.state_dict(), "epoch": epoch,
                    "elapsed": time.time() - t0, "finished": done, "args": vars(args)},
                   args.out + ".tmp")
        os.replace(args.out + ".tmp", args.out)
        epoch += 1


if __name__ == "__main__":
    main()
