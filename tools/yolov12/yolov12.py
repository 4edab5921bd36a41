#!/usr/bin/python3
"""YOLOv12 (Tian, Ye, Doermann, arXiv 2502.12524) as Lookout defines it.

Written from the paper and the public model description
(../shared/design/yolov12.md); channel layouts follow the public model so
that the graph the ONNX export produces is the one Lookout's area-attention
rewrite recognises.

    from yolov12 import YOLOv12, export_onnx
    model = YOLOv12(nc=80, scale='n')           # 2.6 M parameters
    small = YOLOv12(nc=4, width=0.125, depth=0.33, max_channels=256)

Outputs:
  model.train()  forward returns a list of per-level raw maps, one per stride
                 in model.stride ([8, 16, 32]): [B, 4*reg_max + nc, H/s, W/s],
                 the first 4*reg_max channels the box distributions (l, t, r, b,
                 reg_max bins each, logits), then the class logits.
  model.eval()   forward returns the export layout [B, 4 + nc, N]: centre-x,
                 centre-y, width, height in input pixels, then sigmoid class
                 scores; N = sum of H/s * W/s over the three levels (8400 at
                 640x640, 5040 at 384x640). No objectness.
  model.decode(raw) turns the training maps into the export layout.

Custom scales: the attention stages need A2C2f hidden widths (half the
stage width) that are multiples of 32, i.e. P4 and P5 widths of at least
64 after scaling (width=0.125 gives 64 at P4 and 128 at P5); other stages
take any multiple of 8.

The input height and width must be multiples of 32, and at P4 (stride 16)
the height must split into the 4 attention areas (H/16 divisible by 4, i.e.
H a multiple of 64 when that backbone stage uses area attention).

BatchNorm stays in the model (Lookout folds it at load time); fuse() folds
it into the convolutions for PyTorch inference.

Run with Debian's interpreter (/usr/bin/python3: python3-torch, python3-onnx).
"""
import json
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

# [depth, width, max_channels] per scale.
SCALES = {
    'n': (0.50, 0.25, 1024),
    's': (0.50, 0.50, 1024),
    'm': (0.50, 1.00, 512),
    'l': (1.00, 1.00, 512),
    'x': (1.00, 1.50, 512),
}


def _channels(c, width, max_channels):
    return int(math.ceil(min(c, max_channels) * width / 8) * 8)


def _repeats(n, depth):
    return max(round(n * depth), 1) if n > 1 else n


class Conv(nn.Module):
    """Conv2d (no bias) -> BatchNorm -> SiLU (or no activation)."""

    def __init__(self, c1, c2, k=1, s=1, p=None, g=1, act=True):
        super().__init__()
        self.conv = nn.Conv2d(c1, c2, k, s, k // 2 if p is None else p, groups=g, bias=False)
        self.bn = nn.BatchNorm2d(c2, eps=1e-3, momentum=0.03)
        self.act = nn.SiLU() if act else nn.Identity()

    def forward(self, x):
        return self.act(self.bn(self.conv(x)))

    def fuse(self):
        if isinstance(self.bn, nn.Identity):
            return
        w = self.conv.weight
        scale = self.bn.weight / torch.sqrt(self.bn.running_var + self.bn.eps)
        conv = nn.Conv2d(self.conv.in_channels, self.conv.out_channels, self.conv.kernel_size,
                         self.conv.stride, self.conv.padding, groups=self.conv.groups, bias=True)
        conv.weight.data = (w * scale.view(-1, 1, 1, 1)).detach()
        conv.bias.data = (self.bn.bias - self.bn.running_mean * scale).detach()
        self.conv = conv.to(w.device)
        self.bn = nn.Identity()


class Bottleneck(nn.Module):
    def __init__(self, c1, c2, shortcut=True, k=(3, 3), e=0.5):
        super().__init__()
        c_ = int(c2 * e)
        self.cv1 = Conv(c1, c_, k[0])
        self.cv2 = Conv(c_, c2, k[1])
        self.add = shortcut and c1 == c2

    def forward(self, x):
        y = self.cv2(self.cv1(x))
        return x + y if self.add else y


class C3k(nn.Module):
    """C3 with n 3x3 bottlenecks: two branches of c2*e channels, concat, 1x1."""

    def __init__(self, c1, c2, n=2, shortcut=True, e=0.5):
        super().__init__()
        c_ = int(c2 * e)
        self.cv1 = Conv(c1, c_)
        self.cv2 = Conv(c1, c_)
        self.cv3 = Conv(2 * c_, c2)
        self.m = nn.Sequential(*(Bottleneck(c_, c_, shortcut, (3, 3), 1.0) for _ in range(n)))

    def forward(self, x):
        return self.cv3(torch.cat((self.m(self.cv1(x)), self.cv2(x)), 1))


class C3k2(nn.Module):
    """YOLO11's CSP block: 1x1 to 2c, split, n inner blocks each appended, 1x1."""

    def __init__(self, c1, c2, n=1, c3k=False, e=0.5, shortcut=True):
        super().__init__()
        self.c = int(c2 * e)
        self.cv1 = Conv(c1, 2 * self.c)
        self.cv2 = Conv((2 + n) * self.c, c2)
        self.m = nn.ModuleList(C3k(self.c, self.c, 2, shortcut) if c3k
                               else Bottleneck(self.c, self.c, shortcut) for _ in range(n))

    def forward(self, x):
        y = list(self.cv1(x).chunk(2, 1))
        y.extend(m(y[-1]) for m in self.m)
        return self.cv2(torch.cat(y, 1))


class AAttn(nn.Module):
    """Area attention: softmax(q^T k / sqrt(d)) v per head within each of
    `area` horizontal strips, plus a 7x7 depthwise position perceiver on v.

    qkv channel h*3d + j holds q (j < d), k (d <= j < 2d) or v of head h;
    the result and v come back as channel h*d + j."""

    def __init__(self, dim, num_heads, area=1):
        super().__init__()
        self.area = area
        self.num_heads = num_heads
        self.head_dim = dim // num_heads
        self.qkv = Conv(dim, 3 * dim, 1, act=False)
        self.proj = Conv(dim, dim, 1, act=False)
        self.pe = Conv(dim, dim, 7, 1, 3, g=dim, act=False)

    def forward(self, x):
        b, c, h, w = (int(s) for s in x.shape)
        a, nh, d = self.area, self.num_heads, self.head_dim
        if h % a:
            raise ValueError(f'area attention: height {h} does not split into {a} areas')
        # Tokens are row-major, so area i is the contiguous band of rows
        # [i*h/a, (i+1)*h/a): [B, nh, 3d, a, L] -> [B, a, nh, 3d, L].
        qkv = self.qkv(x).reshape(b, nh, 3 * d, a, h * w // a).permute(0, 3, 1, 2, 4)
        q, k, v = qkv.split(d, dim=3)
        attn = (q.transpose(-2, -1) @ k) * (d ** -0.5)
        attn = attn.softmax(dim=-1)
        out = v @ attn.transpose(-2, -1)
        out = out.permute(0, 2, 3, 1, 4).reshape(b, c, h, w)
        v = v.permute(0, 2, 3, 1, 4).reshape(b, c, h, w)
        return self.proj(out + self.pe(v))


class ABlock(nn.Module):
    def __init__(self, dim, num_heads, mlp_ratio=2.0, area=1):
        super().__init__()
        self.attn = AAttn(dim, num_heads, area)
        hidden = int(dim * mlp_ratio)
        self.mlp = nn.Sequential(Conv(dim, hidden, 1), Conv(hidden, dim, 1, act=False))

    def forward(self, x):
        x = x + self.attn(x)
        return x + self.mlp(x)


class A2C2f(nn.Module):
    """R-ELAN: 1x1 to c2/2, n modules in sequence (two ABlocks, or a C3k when
    a2 is False), concat all, 1x1 to c2; with `residual`, x + gamma * y."""

    def __init__(self, c1, c2, n=1, a2=True, area=1, residual=False, mlp_ratio=2.0, e=0.5):
        super().__init__()
        c_ = int(c2 * e)
        if a2 and c_ % 32:  # only the attention needs whole heads of 32
            raise ValueError(f'A2C2f: hidden width {c_} is not a multiple of the head dim 32')
        self.cv1 = Conv(c1, c_)
        self.cv2 = Conv((1 + n) * c_, c2)
        self.gamma = nn.Parameter(0.01 * torch.ones(c2)) if a2 and residual else None
        self.m = nn.ModuleList(
            nn.Sequential(*(ABlock(c_, c_ // 32, mlp_ratio, area) for _ in range(2))) if a2
            else C3k(c_, c_, 2, True) for _ in range(n))

    def forward(self, x):
        y = [self.cv1(x)]
        y.extend(m(y[-1]) for m in self.m)
        y = self.cv2(torch.cat(y, 1))
        if self.gamma is not None:
            return x + self.gamma.view(1, -1, 1, 1) * y
        return y


class DFL(nn.Module):
    """Expected value of a softmax over reg_max bins per box side."""

    def __init__(self, reg_max=16):
        super().__init__()
        self.reg_max = reg_max
        self.conv = nn.Conv2d(reg_max, 1, 1, bias=False).requires_grad_(False)
        self.conv.weight.data[:] = torch.arange(reg_max, dtype=torch.float).view(1, reg_max, 1, 1)

    def forward(self, x):
        b, _, n = (int(s) for s in x.shape)
        return self.conv(x.view(b, 4, self.reg_max, n).transpose(2, 1).softmax(1)).view(b, 4, n)


class Detect(nn.Module):
    """Anchor-free head (YOLOv8/11): box branch to 4*reg_max DFL logits, class
    branch (depthwise-separable) to nc logits, per level."""

    def __init__(self, nc, ch, strides=(8, 16, 32), reg_max=16):
        super().__init__()
        self.nc = nc
        self.reg_max = reg_max
        self.no = 4 * reg_max + nc
        self.register_buffer('stride', torch.tensor(strides, dtype=torch.float), persistent=False)
        c2 = max(16, ch[0] // 4, 4 * reg_max)
        c3 = max(ch[0], min(nc, 100))
        self.cv2 = nn.ModuleList(nn.Sequential(Conv(x, c2, 3), Conv(c2, c2, 3),
                                               nn.Conv2d(c2, 4 * reg_max, 1)) for x in ch)
        self.cv3 = nn.ModuleList(nn.Sequential(
            nn.Sequential(Conv(x, x, 3, g=x), Conv(x, c3, 1)),
            nn.Sequential(Conv(c3, c3, 3, g=c3), Conv(c3, c3, 1)),
            nn.Conv2d(c3, nc, 1)) for x in ch)
        self.dfl = DFL(reg_max)

    def bias_init(self, image_size=640):
        """Box logits start flat, class scores at about 5 objects per image."""
        for box, cls, s in zip(self.cv2, self.cv3, self.stride.tolist()):
            box[-1].bias.data[:] = 1.0
            cls[-1].bias.data[:] = math.log(5 / self.nc / (image_size / s) ** 2)

    def forward(self, feats):
        raw = [torch.cat((self.cv2[i](f), self.cv3[i](f)), 1) for i, f in enumerate(feats)]
        if self.training:
            return raw
        return self.decode(raw)

    def decode(self, raw):
        """Raw per-level maps -> [B, 4 + nc, N] (cx, cy, w, h in pixels; sigmoid scores)."""
        b = int(raw[0].shape[0])
        anchors, strides = [], []
        for r, s in zip(raw, self.stride.tolist()):
            h, w = int(r.shape[2]), int(r.shape[3])
            sy, sx = torch.meshgrid(torch.arange(h, dtype=torch.float) + 0.5,
                                    torch.arange(w, dtype=torch.float) + 0.5, indexing='ij')
            anchors.append(torch.stack((sx, sy)).view(2, h * w))
            strides.append(torch.full((1, h * w), s))
        anchors = torch.cat(anchors, 1).to(raw[0].device).unsqueeze(0)
        strides = torch.cat(strides, 1).to(raw[0].device).unsqueeze(0)
        x = torch.cat([r.view(b, self.no, -1) for r in raw], 2)
        box, cls = x.split((4 * self.reg_max, self.nc), 1)
        lt, rb = self.dfl(box).chunk(2, 1)
        x1y1 = anchors - lt
        x2y2 = anchors + rb
        xywh = torch.cat(((x1y1 + x2y2) / 2, x2y2 - x1y1), 1) * strides
        return torch.cat((xywh, cls.sigmoid()), 1)


class YOLOv12(nn.Module):
    """YOLOv12 detector. scale picks [depth, width, max_channels] from SCALES;
    width, depth and max_channels override the scale's values (for smaller
    custom models). L and X use the residual A2C2f and MLP ratio 1.2; M, L and
    X use C3k inside the backbone C3k2."""

    def __init__(self, nc=80, scale='n', width=None, depth=None, max_channels=None):
        super().__init__()
        if scale not in SCALES:
            raise ValueError(f'unknown scale {scale!r} (one of {", ".join(SCALES)})')
        d0, w0, m0 = SCALES[scale]
        depth = d0 if depth is None else depth
        width = w0 if width is None else width
        max_channels = m0 if max_channels is None else max_channels
        self.nc, self.scale = nc, scale
        self.width, self.depth, self.max_channels = width, depth, max_channels

        def ch(c):
            return _channels(c, width, max_channels)

        def rep(n):
            return _repeats(n, depth)

        c3k = scale in 'mlx'
        big = scale in 'lx'
        a2 = dict(residual=big, mlp_ratio=1.2 if big else 2.0)
        c1, c2, c3, c4, c5 = ch(64), ch(128), ch(256), ch(512), ch(1024)
        # Backbone.
        self.b0 = Conv(3, c1, 3, 2)
        self.b1 = Conv(c1, c2, 3, 2, 1, g=2)
        self.b2 = C3k2(c2, c3, rep(2), c3k, 0.25)
        self.b3 = Conv(c3, c3, 3, 2, 1, g=4)
        self.b4 = C3k2(c3, c4, rep(2), c3k, 0.25)
        self.b5 = Conv(c4, c4, 3, 2)
        self.b6 = A2C2f(c4, c4, rep(4), True, 4, **a2)
        self.b7 = Conv(c4, c5, 3, 2)
        self.b8 = A2C2f(c5, c5, rep(4), True, 1, **a2)
        # Head.
        self.h11 = A2C2f(c5 + c4, c4, rep(2), False, -1)
        self.h14 = A2C2f(c4 + c4, c3, rep(2), False, -1)
        self.h15 = Conv(c3, c3, 3, 2)
        self.h17 = A2C2f(c3 + c4, c4, rep(2), False, -1)
        self.h18 = Conv(c4, c4, 3, 2)
        self.h20 = C3k2(c4 + c5, c5, rep(2), True)
        self.detect = Detect(nc, (c3, c4, c5))
        self.stride = self.detect.stride
        self.detect.bias_init()

    def forward(self, x):
        p3 = self.b4(self.b3(self.b2(self.b1(self.b0(x)))))
        p4 = self.b6(self.b5(p3))
        p5 = self.b8(self.b7(p4))
        up = F.interpolate(p5, scale_factor=2.0, mode='nearest')
        h11 = self.h11(torch.cat((up, p4), 1))
        up = F.interpolate(h11, scale_factor=2.0, mode='nearest')
        h14 = self.h14(torch.cat((up, p3), 1))
        h17 = self.h17(torch.cat((self.h15(h14), h11), 1))
        h20 = self.h20(torch.cat((self.h18(h17), p5), 1))
        return self.detect([h14, h17, h20])

    def decode(self, raw):
        return self.detect.decode(raw)

    def fuse(self):
        for m in self.modules():
            if isinstance(m, Conv):
                m.fuse()
        return self


def export_onnx(model, path, h, w, metadata=None, opset=17):
    """Writes the eval-mode model for a 1x3xHxW input to `path` (constant
    folding on) and stores `metadata` (str -> str; lists and dicts become
    JSON) as the ONNX metadata_props. Shapes are fixed at export (the
    attention's reshapes name H and W), so export once per input size. Typical keys: lookout.family=ultralytics,
    lookout.input=HxW, lookout.letterbox=center, lookout.labels=[...],
    lookout.scale=1/255, lookout.channels=rgb, lookout.pad=114."""
    import onnx

    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    dummy = torch.zeros(1, 3, h, w, device=device)
    with torch.no_grad():
        torch.onnx.export(model, dummy, path, opset_version=opset, do_constant_folding=True,
                          input_names=['images'], output_names=['output0'])
    model.train(was_training)
    proto = onnx.load(path)
    meta = {'lookout.input': f'{h}x{w}', **(metadata or {})}
    for k, v in meta.items():
        entry = proto.metadata_props.add()
        entry.key = k
        entry.value = v if isinstance(v, str) else json.dumps(v)
    onnx.checker.check_model(proto)
    onnx.save(proto, path)
    return path


if __name__ == '__main__':
    import argparse

    ap = argparse.ArgumentParser(description='Builds YOLOv12 with random weights and exports it.')
    ap.add_argument('--scale', default='n')
    ap.add_argument('--nc', type=int, default=80)
    ap.add_argument('--size', default='640x640', help='HxW')
    ap.add_argument('--out', help='ONNX file to write')
    args = ap.parse_args()
    hh, ww = (int(v) for v in args.size.split('x'))
    net = YOLOv12(args.nc, args.scale).eval()
    print(f'YOLOv12-{args.scale.upper()}: {sum(p.numel() for p in net.parameters()):,} parameters')
    with torch.no_grad():
        print('output', tuple(net(torch.zeros(1, 3, hh, ww)).shape))
    if args.out:
        export_onnx(net, args.out, hh, ww, {'lookout.family': 'ultralytics'})
        print('wrote', args.out)
