#!/usr/bin/python3
"""Exports the lecture's CNN architectures (and a small Vision Transformer)
to ONNX with seeded random weights, plus one input and PyTorch's output, as
the reference tests/conformance/test_lecture_models.c compares Lookout with.

For each model, OUT/<name>/ gets:
  model.onnx   the exported graph (eval mode; weights from torch.manual_seed)
  input.bin    the input, raw float32 little-endian, NCHW
  output.bin   PyTorch's output for it, raw float32 little-endian
  shapes.txt   "input d0 d1 ..." and "output d0 d1 ..." lines
  MANIFEST     sha256 of the files above and the key they were made with
A model whose MANIFEST matches its files and the current key (this script's
hash, the torch version, the model's settings) is not exported again.
--index FILE (written last) lists the models, one directory name a line.

Run with Debian's interpreter (/usr/bin/python3: python3-torch,
python3-torchvision, python3-onnx).
"""
import argparse
import hashlib
import os
import sys

import numpy as np
import torch
import torch.nn as nn
import torchvision

SEED = 1234


class LeNet5(nn.Module):
    """LeCun et al. 1998 as usually taught: tanh, average-pool subsampling."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 6, 5), nn.Tanh(), nn.AvgPool2d(2),
            nn.Conv2d(6, 16, 5), nn.Tanh(), nn.AvgPool2d(2))
        self.classifier = nn.Sequential(
            nn.Flatten(), nn.Linear(16 * 5 * 5, 120), nn.Tanh(),
            nn.Linear(120, 84), nn.Tanh(), nn.Linear(84, 10))

    def forward(self, x):
        return self.classifier(self.features(x))


def small_classifier(model, in_ch, pooled, hidden=1024, classes=1000):
    """AlexNet and VGG keep torchvision's feature extractors exactly; at the
    CI input size their feature maps are pooled×pooled, so the adaptive pool
    is set to that size (torch exports an adaptive pool only when the sizes
    divide) and the classifier is rebuilt for it, 1024 wide instead of 4096
    so that the files stay small. Same layer sequence as torchvision's."""
    model.avgpool = nn.AdaptiveAvgPool2d(pooled)
    model.classifier = nn.Sequential(
        nn.Dropout(), nn.Linear(in_ch * pooled * pooled, hidden), nn.ReLU(inplace=True),
        nn.Dropout(), nn.Linear(hidden, hidden), nn.ReLU(inplace=True),
        nn.Linear(hidden, classes))
    return model


def small_vit():
    return torchvision.models.VisionTransformer(
        image_size=64, patch_size=16, num_layers=2, num_heads=4,
        hidden_dim=128, mlp_dim=256, num_classes=10)


# name: (constructor, input shape, opset, note)
MODELS = {
    'lenet5': (LeNet5, (1, 1, 32, 32), 13, 'LeNet-5'),
    'alexnet': (lambda: small_classifier(torchvision.models.alexnet(), 256, 2),
                (1, 3, 96, 96), 13, 'AlexNet'),
    'vgg11': (lambda: small_classifier(torchvision.models.vgg11(), 512, 2),
              (1, 3, 64, 64), 13, 'VGG-11'),
    'googlenet': (lambda: torchvision.models.googlenet(
        aux_logits=False, init_weights=True, transform_input=False),
        (1, 3, 96, 96), 13, 'GoogLeNet'),
    'resnet18': (torchvision.models.resnet18, (1, 3, 64, 64), 13, 'ResNet-18'),
    'mobilenet_v2': (torchvision.models.mobilenet_v2, (1, 3, 96, 96), 13, 'MobileNetV2'),
    'mobilenet_v3_small': (torchvision.models.mobilenet_v3_small, (1, 3, 96, 96), 13,
                           'MobileNetV3-small'),
    'efficientnet_b0': (torchvision.models.efficientnet_b0, (1, 3, 96, 96), 13,
                        'EfficientNet-B0'),
    # LayerNormalization is an ONNX op from opset 17 on.
    'vit_small': (small_vit, (1, 3, 64, 64), 17, 'ViT (2 layers, 4 heads, 128 wide)'),
}


def randomize_init(model, gen):
    """Random BN affine parameters and running statistics, so that a loader
    folding BN into the conv before it is actually checked (fresh BN layers
    are the identity); likewise random values for parameters initialised to
    zero (biases, ViT's head and class token), which would hide errors."""
    for p in model.parameters():
        if not p.data.any():
            p.data = (torch.rand(p.shape, generator=gen) - 0.5) * 0.2
    for m in model.modules():
        if isinstance(m, nn.modules.batchnorm._BatchNorm):
            n = m.num_features
            m.weight.data = torch.rand(n, generator=gen) + 0.5
            m.bias.data = torch.rand(n, generator=gen) - 0.5
            m.running_mean = torch.rand(n, generator=gen) - 0.5
            m.running_var = torch.rand(n, generator=gen) * 1.5 + 0.5
        elif isinstance(m, nn.LayerNorm):
            n = m.weight.numel()
            m.weight.data = (torch.rand(n, generator=gen) + 0.5).reshape(m.weight.shape)
            m.bias.data = (torch.rand(n, generator=gen) - 0.5).reshape(m.bias.shape)


def sha256(path):
    h = hashlib.sha256()
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(1 << 20), b''):
            h.update(block)
    return h.hexdigest()


FILES = ('model.onnx', 'input.bin', 'output.bin', 'shapes.txt')


def model_key(name):
    ctor, shape, opset, _ = MODELS[name]
    with open(__file__, 'rb') as f:
        script = hashlib.sha256(f.read()).hexdigest()
    return f'{script} torch={torch.__version__} tv={torchvision.__version__} ' \
           f'{name} {shape} opset={opset} seed={SEED}'


def up_to_date(d, key):
    try:
        with open(os.path.join(d, 'MANIFEST')) as f:
            lines = f.read().splitlines()
    except OSError:
        return False
    if not lines or lines[0] != 'key ' + key:
        return False
    sums = dict(reversed(l.split('  ', 1)) for l in lines[1:])
    return all(os.path.exists(os.path.join(d, f)) and sums.get(f) == sha256(os.path.join(d, f))
               for f in FILES)


def export(name, out_dir):
    ctor, shape, opset, _ = MODELS[name]
    d = os.path.join(out_dir, name)
    key = model_key(name)
    if up_to_date(d, key):
        print(f'{name}: up to date')
        return
    os.makedirs(d, exist_ok=True)
    torch.manual_seed(SEED)
    model = ctor()
    gen = torch.Generator().manual_seed(SEED + 1)
    randomize_init(model, gen)
    model.eval()
    x = torch.randn(shape, generator=gen)
    with torch.no_grad():
        y = model(x)
    torch.onnx.export(model, x, os.path.join(d, 'model.onnx'), opset_version=opset,
                      input_names=['input'], output_names=['output'],
                      do_constant_folding=True)
    x.numpy().astype('<f4').tofile(os.path.join(d, 'input.bin'))
    y.numpy().astype('<f4').tofile(os.path.join(d, 'output.bin'))
    with open(os.path.join(d, 'shapes.txt'), 'w') as f:
        f.write('input ' + ' '.join(map(str, x.shape)) + '\n')
        f.write('output ' + ' '.join(map(str, y.shape)) + '\n')
    with open(os.path.join(d, 'MANIFEST'), 'w') as f:
        f.write('key ' + key + '\n')
        for fn in FILES:
            f.write(f'{sha256(os.path.join(d, fn))}  {fn}\n')
    params = sum(p.numel() for p in model.parameters())
    print(f'{name}: exported ({params} parameters, opset {opset}, '
          f'output {tuple(y.shape)}, max|y| {float(y.abs().max()):.4g})')


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--out', required=True, help='output directory')
    ap.add_argument('--index', help='file listing the exported models (written last)')
    ap.add_argument('models', nargs='*', help=f'subset of {", ".join(MODELS)}')
    a = ap.parse_args()
    names = a.models or list(MODELS)
    for n in names:
        if n not in MODELS:
            sys.exit(f'unknown model {n}')
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    for n in names:
        export(n, a.out)
    if a.index:
        with open(a.index + '.tmp', 'w') as f:
            f.write(''.join(f'{n} {MODELS[n][3]}\n' for n in names))
        os.replace(a.index + '.tmp', a.index)


if __name__ == '__main__':
    main()
