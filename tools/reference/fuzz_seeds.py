#!/usr/bin/python3
"""Writes small ONNX models that reach the loader's rewrites, as fuzzing
seeds (tools/fuzz-ci.sh): the ONNX backend test data has no GELU or Mish
spelled out in nodes, no Conv+BatchNormalization pair, no cancelling
transposes and little exporter shape arithmetic.

Usage: fuzz_seeds.py OUT_DIR   (Debian's /usr/bin/python3 with python3-onnx)
"""
import os
import sys

import numpy as np
from onnx import TensorProto, checker, helper, numpy_helper, save, shape_inference

X = helper.make_tensor_value_info('x', TensorProto.FLOAT, [1, 4, 6, 6])
rng = np.random.default_rng(0)


def const(name, value, dtype=np.float32):
    return numpy_helper.from_array(np.asarray(value, dtype=dtype), name)


def conv_weights():
    return [const('w', rng.standard_normal((4, 4, 3, 3))), const('b', rng.standard_normal(4))]


def model(nodes, inits, y_shape=None, opset=13):
    """A checked model; the output shape comes from shape inference unless
    given (inference cannot follow shape arithmetic)."""
    y = helper.make_tensor_value_info('y', TensorProto.FLOAT, y_shape)
    g = helper.make_graph(nodes, 'seed', [X], [y], initializer=inits)
    m = shape_inference.infer_shapes(
        helper.make_model(g, opset_imports=[helper.make_opsetid('', opset)]), strict_mode=True)
    checker.check_model(m)
    return m


def n(op, ins, outs, **attrs):
    return helper.make_node(op, ins, outs, **attrs)


SEEDS = {
    # x·0.5·(1 + erf(x/√2)), both factor orders
    'gelu_erf': model([n('Div', ['x', 'r2'], ['d']), n('Erf', ['d'], ['e']),
                       n('Add', ['e', 'one'], ['a']), n('Mul', ['x', 'a'], ['m']),
                       n('Mul', ['m', 'half'], ['y'])],
                      [const('r2', 1.4142135), const('one', 1.0), const('half', 0.5)]),
    'gelu_half_first': model([n('Mul', ['x', 'k'], ['d']), n('Erf', ['d'], ['e']),
                              n('Add', ['one', 'e'], ['a']), n('Mul', ['x', 'half'], ['h']),
                              n('Mul', ['h', 'a'], ['y'])],
                             [const('k', 0.70710678), const('one', 1.0), const('half', 0.5)]),
    'mish': model([n('Softplus', ['x'], ['s']), n('Tanh', ['s'], ['t']),
                   n('Mul', ['x', 't'], ['y'])], []),
    'conv_silu': model([n('Conv', ['x', 'w', 'b'], ['c'], pads=[1, 1, 1, 1]),
                        n('Sigmoid', ['c'], ['s']), n('Mul', ['c', 's'], ['y'])],
                       conv_weights()),
    'conv_bn_relu': model([n('Conv', ['x', 'w', 'b'], ['c'], kernel_shape=[3, 3]),
                           n('BatchNormalization', ['c', 'g', 'be', 'mu', 'var'], ['bn']),
                           n('Relu', ['bn'], ['y'])],
                          conv_weights() + [const('g', rng.random(4) + 0.5),
                                            const('be', rng.random(4)),
                                            const('mu', rng.random(4)),
                                            const('var', rng.random(4) + 0.5)]),
    'pad_conv_pool': model([n('Pad', ['x', 'p'], ['pd'], mode='constant'),
                            n('Conv', ['pd', 'w', 'b'], ['c']),
                            n('Pad', ['c', 'p'], ['pc']),
                            n('AveragePool', ['pc'], ['y'], kernel_shape=[3, 3], strides=[2, 2])],
                           conv_weights() + [const('p', [0, 0, 1, 1, 0, 0, 1, 1], np.int64)]),
    'transposes': model([n('Transpose', ['x'], ['t'], perm=[0, 2, 3, 1]),
                         n('Transpose', ['t'], ['y'], perm=[0, 3, 1, 2])], []),
    # exporter shape arithmetic: Shape → Gather → Unsqueeze → Concat → Reshape
    'shape_arith': model([n('Shape', ['x'], ['s']), n('Gather', ['s', 'i0'], ['n0'], axis=0),
                          n('Unsqueeze', ['n0', 'ax'], ['u']),
                          n('Concat', ['u', 'm1'], ['shp'], axis=0),
                          n('Reshape', ['x', 'shp'], ['y'])],
                         [const('i0', 0, np.int64), const('ax', [0], np.int64),
                          const('m1', [-1], np.int64)], [1, 144]),
    # a ViT class token: ConstantOfShape/Equal/Where/Expand folded, then Concat
    'class_token': model([n('ConstantOfShape', ['r'], ['ones'],
                            value=numpy_helper.from_array(np.array([1], np.int64))),
                          n('Mul', ['ones', 'm1'], ['neg']), n('Equal', ['sh', 'neg'], ['eq']),
                          n('Where', ['eq', 'ones', 'sh'], ['ex']),
                          n('Expand', ['tok', 'ex'], ['cls']),
                          n('Reshape', ['x', 'flat'], ['xr']),
                          n('Concat', ['cls', 'xr'], ['y'], axis=1)],
                         [const('r', [3], np.int64), const('m1', -1, np.int64),
                          const('sh', [1, -1, -1], np.int64),
                          const('tok', rng.standard_normal((1, 1, 36))),
                          const('flat', [1, 4, 36], np.int64)], [1, 5, 36]),
}


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    os.makedirs(sys.argv[1], exist_ok=True)
    for name, m in SEEDS.items():
        save(m, os.path.join(sys.argv[1], f'pattern_{name}.onnx'))


if __name__ == '__main__':
    main()
