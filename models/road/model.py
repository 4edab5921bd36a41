"""The road model's configuration of the project's YOLOv12 definition
(tools/yolov12/yolov12.py).

Channels are YOLOv12-N's at width 0.25 capped at 64 (max_channels 256), so
the attention blocks keep one 32-wide head; depth 0.25 gives one R-ELAN
module per A2C2f. The Detect head uses 8 DFL bins instead of 16: that halves
its box branch (which dominates a model this narrow) and still spans
7 x 32 = 224 px per side at P5, more than the 352-wide input needs.
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))), "tools", "yolov12"))
from yolov12 import Detect, YOLOv12  # noqa: E402

WIDTH, DEPTH, MAX_CHANNELS, REG_MAX = 0.25, 0.25, 256, 8


def build(nc):
    model = YOLOv12(nc, "n", width=WIDTH, depth=DEPTH, max_channels=MAX_CHANNELS)
    ch = tuple(seq[0].conv.in_channels for seq in model.detect.cv2)
    model.detect = Detect(nc, ch, reg_max=REG_MAX)
    model.stride = model.detect.stride
    model.detect.bias_init(image_size=384)
    return model


def flops(model, h, w):
    """Multiply-adds x 2 of every convolution and attention matmul for one 1x3xHxW image."""
    import torch

    total = [0]

    def conv_hook(m, _inp, out):
        total[0] += 2 * out.numel() * m.weight[0].numel()

    hooks = [m.register_forward_hook(conv_hook) for m in model.modules()
             if isinstance(m, torch.nn.Conv2d)]
    for m in model.modules():
        if type(m).__name__ == "AAttn":
            hooks.append(m.register_forward_hook(
                lambda mod, inp, out: total.__setitem__(
                    0, total[0] + 2 * 2 * out.shape[1] * (out.shape[2] * out.shape[3]) ** 2 // mod.area)))
    was = model.training
    model.eval()
    with torch.no_grad():
        model(torch.zeros(1, 3, h, w))
    model.train(was)
    for hk in hooks:
        hk.remove()
    return total[0]
