#!/usr/bin/python3
"""Writes tests/fuzz/seeds/*.onnx: tiny models that reach code the ONNX backend test models do
not, because there the operands of Slice, Pad, ConstantOfShape, Reshape... are graph inputs and
prepare refuses them. Here they are initializers, so the fuzzer starts from models that prepare
and run: every op the core supports, fusion patterns (Conv+BN+Relu, residual Add), shape
sub-graphs, dynamic batch, an input without a shape.

    /usr/bin/python3 tests/fuzz/make-seeds.py      # deterministic; commit the output
"""

import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'seeds')
rng = np.random.default_rng(1)


def const(name, array):
    return numpy_helper.from_array(np.asarray(array), name)


def weights(name, *shape):
    return const(name, rng.standard_normal(shape).astype(np.float32))


def info(name, shape, dtype=TensorProto.FLOAT):
    return helper.make_tensor_value_info(name, dtype, shape)


def save(name, nodes, inputs, outputs, inits=(), opset=13):
    graph = helper.make_graph(nodes, name, inputs, outputs, initializer=list(inits))
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid('', opset)],
                              producer_name='gst-cnn-fuzz-seeds')
    model.ir_version = 7
    onnx.save(model, os.path.join(OUT, name + '.onnx'))


def node(op, inputs, outputs, **attrs):
    return helper.make_node(op, inputs, outputs, name=outputs[0] + '_' + op, **attrs)


def main():
    os.makedirs(OUT, exist_ok=True)
    x4 = info('x', [1, 3, 8, 8])

    # Conv → BatchNormalization → Relu, then residual Add and pooling: the fusion passes.
    save('conv-bn-relu-residual', [
        node('Conv', ['x', 'w1', 'b1'], ['c1'], kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
        node('BatchNormalization', ['c1', 's', 'bb', 'm', 'v'], ['n1'], epsilon=1e-5),
        node('Relu', ['n1'], ['r1']),
        node('Conv', ['r1', 'w2'], ['c2'], kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
        node('Add', ['c2', 'r1'], ['a']),
        node('Relu', ['a'], ['r2']),
        node('MaxPool', ['r2'], ['p'], kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1],
             ceil_mode=1),
        node('GlobalAveragePool', ['p'], ['g']),
        node('Flatten', ['g'], ['f']),
        node('Gemm', ['f', 'fw', 'fb'], ['y'], transB=1, alpha=0.5, beta=2.0),
        node('Softmax', ['y'], ['prob'], axis=1),
    ], [x4], [info('prob', [1, 4])], [
        weights('w1', 4, 3, 3, 3), weights('b1', 4), weights('s', 4), weights('bb', 4),
        weights('m', 4), const('v', np.abs(rng.standard_normal(4)).astype(np.float32) + 0.5),
        weights('w2', 4, 4, 3, 3), weights('fw', 4, 4), weights('fb', 4)])

    # Depthwise 3x3 stride 2 and a 1x3 kernel, grouped and dilated convs, activations.
    save('conv-depthwise-grouped', [
        node('Conv', ['x', 'dw'], ['d'], kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1],
             group=3),
        node('Clip', ['d', 'lo', 'hi'], ['d6']),
        node('Conv', ['d6', 'dk'], ['e'], kernel_shape=[1, 3], group=3, pads=[0, 1, 0, 1]),
        node('HardSwish', ['e'], ['h']),
        node('Conv', ['h', 'gw'], ['gconv'], kernel_shape=[3, 3], group=3, dilations=[2, 2],
             auto_pad='SAME_UPPER'),
        node('LeakyRelu', ['gconv'], ['y'], alpha=0.2),
    ], [x4], [info('y', None)], [
        weights('dw', 3, 1, 3, 3), const('lo', np.float32(0)), const('hi', np.float32(6)),
        weights('dk', 3, 1, 1, 3), weights('gw', 6, 1, 3, 3)])

    # Pools with every window option, reductions, PRelu, Elu, HardSigmoid, Sigmoid, Tanh.
    save('pools-reductions', [
        node('AveragePool', ['x'], ['ap'], kernel_shape=[3, 3], strides=[2, 2],
             pads=[1, 1, 1, 1], count_include_pad=1),
        node('AveragePool', ['x'], ['ap2'], kernel_shape=[2, 2], auto_pad='SAME_LOWER'),
        node('MaxPool', ['ap2'], ['mp'], kernel_shape=[2, 2], dilations=[2, 2]),
        node('GlobalMaxPool', ['mp'], ['gm']),
        node('PRelu', ['ap', 'slope'], ['pr']),
        node('Elu', ['pr'], ['el'], alpha=0.7),
        node('HardSigmoid', ['el'], ['hs'], alpha=0.3, beta=0.4),
        node('Sigmoid', ['hs'], ['sg']),
        node('Tanh', ['sg'], ['th']),
        node('ReduceMean', ['th'], ['rm'], axes=[2, 3], keepdims=1),
        node('ReduceMax', ['th'], ['rx'], axes=[-1], keepdims=0),
        node('ReduceSum', ['th', 'raxes'], ['rs'], keepdims=0),
        node('LogSoftmax', ['rs'], ['y'], axis=-1),
    ], [x4], [info('gm', None), info('rm', None), info('rx', None), info('y', None)], [
        weights('slope', 3, 1, 1), const('raxes', np.array([1, 2], np.int64))], opset=13)

    # Layout ops with constant operands: Slice, Pad, Transpose, Concat,
    # Squeeze / Unsqueeze with axes inputs, Gather with negative indices. (Pad modes reflect and
    # edge are refused today; the fuzzer finds them through the dictionary.)
    save('layout-constants', [
        node('Slice', ['x', 'st', 'en', 'ax', 'sp'], ['sl']),
        node('Pad', ['sl', 'pads', 'pv'], ['pc'], mode='constant'),
        node('Pad', ['sl', 'pads'], ['pz']),
        node('Concat', ['pc', 'pz', 'pc'], ['cat'], axis=1),
        node('Transpose', ['cat'], ['tr'], perm=[0, 2, 3, 1]),
        node('Gather', ['tr', 'idx'], ['ga'], axis=-1),
        node('Unsqueeze', ['ga', 'uax'], ['un']),
        node('Squeeze', ['un', 'uax'], ['y']),
    ], [x4], [info('y', None)], [
        const('st', np.array([0, 1], np.int64)), const('en', np.array([3, 100], np.int64)),
        const('ax', np.array([1, -1], np.int64)), const('sp', np.array([1, 2], np.int64)),
        const('pads', np.array([0, 0, 1, 2, 0, 0, 2, 1], np.int64)),
        const('pv', np.float32(0.5)), const('idx', np.array([[0, -1], [2, 1]], np.int64)),
        const('uax', np.array([0], np.int64))])

    # Shape sub-graph as exporters write flatten: Shape → Gather → Unsqueeze → Concat →
    # Reshape, plus Cast, ConstantOfShape and int64 arithmetic folded at prepare.
    save('shape-subgraph', [
        node('Shape', ['x'], ['shp']),
        node('Gather', ['shp', 'zero'], ['n'], axis=0),
        node('Unsqueeze', ['n', 'uax'], ['nu']),
        node('Concat', ['nu', 'minus1'], ['newshape'], axis=0),
        node('Reshape', ['x', 'newshape'], ['flat']),
        node('Mul', ['n', 'two'], ['n2']),
        node('Sub', ['n2', 'one'], ['n3']),
        node('Div', ['n3', 'one'], ['n4']),
        node('Add', ['n4', 'one'], ['n5']),
        node('Unsqueeze', ['n5', 'uax'], ['n5u']),
        node('Concat', ['n5u', 'three'], ['cshape'], axis=0),
        node('ConstantOfShape', ['cshape'], ['filled'],
             value=helper.make_tensor('value', TensorProto.FLOAT, [1], [0.25])),
        node('Cast', ['filled'], ['asint'], to=TensorProto.INT64),
        node('Cast', ['asint'], ['asfloat'], to=TensorProto.FLOAT),
        node('MatMul', ['flat', 'mw'], ['mm']),
        node('Identity', ['mm'], ['y']),
        node('Dropout', ['y'], ['yd']),
    ], [x4], [info('yd', None), info('asfloat', None)], [
        const('zero', np.array(0, np.int64)), const('uax', np.array([0], np.int64)),
        const('minus1', np.array([-1], np.int64)), const('two', np.array(2, np.int64)),
        const('one', np.array(1, np.int64)), const('three', np.array([3], np.int64)),
        weights('mw', 192, 5)])

    # Dynamic batch and spatial dims (the fuzzer sets them, then re-prepares with others),
    # broadcasting element-wise ops, Constant nodes.
    xd = info('x', ['N', 3, 'H', 'W'])
    save('dynamic-dims', [
        node('Constant', [], ['k'], value=helper.make_tensor('k', TensorProto.FLOAT, [3, 1, 1],
                                                             [1.0, 2.0, 3.0])),
        node('Mul', ['x', 'k'], ['xm']),
        node('Sub', ['xm', 'k'], ['xs']),
        node('Div', ['xs', 'k'], ['xd']),
        node('Conv', ['xd', 'w'], ['c'], kernel_shape=[3, 3], strides=[2, 2], auto_pad='SAME_UPPER'),
        node('Relu', ['c'], ['r']),
        node('GlobalAveragePool', ['r'], ['g']),
        node('Reshape', ['g', 'shape'], ['f']),
        node('Gemm', ['f', 'fw'], ['y']),
    ], [xd], [info('y', ['N', 2])], [
        weights('w', 4, 3, 3, 3), const('shape', np.array([0, -1], np.int64)),
        weights('fw', 4, 2)])

    # A graph input without any declared shape, and one with an int64 input.
    save('unknown-rank-input', [
        node('Relu', ['x'], ['r']),
        node('Gather', ['r', 'i'], ['y'], axis=1),
    ], [helper.make_tensor_value_info('x', TensorProto.FLOAT, None),
        info('i', [2], TensorProto.INT64)], [info('y', None)])

    # Opsets 1-6 forms (ONNX Model Zoo classics, old PyTorch exports): legacy broadcast with
    # axis, Gemm's broadcast, Reshape's shape attribute, Concat's default axis, a per-channel
    # PRelu slope, Cast to a type name, BatchNormalization's old attributes, Dropout is_test.
    save('legacy-opset3', [
        node('Conv', ['x', 'w'], ['c'], kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
        node('Add', ['c', 'cb'], ['cadd'], broadcast=1, axis=1),
        node('BatchNormalization', ['cadd', 'bs', 'bb', 'bm', 'bv'], ['bn'], epsilon=1e-5,
             is_test=1, spatial=1, consumed_inputs=[0, 0, 0, 1, 1]),
        node('PRelu', ['bn', 'slope'], ['pr']),
        node('Concat', ['pr', 'bn'], ['cat']),
        node('Mul', ['cat', 'scale'], ['sc'], broadcast=1, axis=1),
        node('GlobalAveragePool', ['sc'], ['g']),
        node('Reshape', ['g'], ['f'], shape=[1, 8]),
        node('Gemm', ['f', 'fw', 'fb'], ['gm'], broadcast=1, transB=1),
        node('Dropout', ['gm'], ['dr'], is_test=1, ratio=0.5),
        node('Cast', ['dr'], ['y'], to='FLOAT'),
        node('Softmax', ['y'], ['p']),
    ], [x4], [info('p', [1, 3])], [
        weights('w', 4, 3, 3, 3), weights('cb', 4), const('bs', np.ones(4, np.float32)),
        weights('bb', 4), weights('bm', 4), const('bv', np.full(4, 2.0, np.float32)),
        const('slope', np.full(4, 0.1, np.float32)), weights('scale', 8),
        weights('fw', 3, 8), weights('fb', 3)], opset=3)
    # What the other people's classifiers brought (issue 11): PyTorch's GELU and pre-17
    # LayerNorm chains (fused at load), LayerNormalization, Split, Expand, the variadic and
    # unary math ops, Pow with an integer exponent, reflect Pad.
    xl = info('x', [1, 4, 6, 8])
    save('convnext-ops', [
        node('ReduceMean', ['x'], ['m'], axes=[-1]),
        node('Sub', ['x', 'm'], ['d']),
        node('Pow', ['d', 'two_f'], ['sq']),
        node('ReduceMean', ['sq'], ['var'], axes=[-1]),
        node('Add', ['var', 'eps'], ['ve']),
        node('Sqrt', ['ve'], ['sd']),
        node('Div', ['d', 'sd'], ['nrm']),
        node('Mul', ['nrm', 'gamma'], ['sc']),
        node('Add', ['sc', 'beta'], ['ln']),
        node('Div', ['ln', 'sqrt2'], ['g1']),
        node('Erf', ['g1'], ['g2']),
        node('Add', ['g2', 'one_f'], ['g3']),
        node('Mul', ['ln', 'g3'], ['g4']),
        node('Mul', ['g4', 'half'], ['gelu']),
        node('Split', ['gelu'], ['s0', 's1'], axis=1),
        node('Sum', ['s0', 's1', 's0'], ['sum']),
        node('Max', ['sum', 's1'], ['mx']),
        node('Min', ['mx', 'sum'], ['mn']),
        node('Mean', ['mn', 'mx'], ['mean']),
        node('Abs', ['mean'], ['ab']),
        node('Neg', ['ab'], ['ng']),
        node('Exp', ['ng'], ['ex']),
        node('Log', ['ex'], ['lg']),
        node('Reciprocal', ['ex'], ['rc']),
        node('Pow', ['rc', 'three_i'], ['pw']),
        node('Expand', ['pw', 'eshape'], ['ep']),
        node('Pad', ['ep', 'pads'], ['pd'], mode='reflect'),
        node('LayerNormalization', ['pd', 'g8'], ['y'], axis=-1, epsilon=1e-5),
    ], [xl], [info('y', None), info('lg', None)], [
        const('two_f', np.float32(2)), const('eps', np.float32(1e-6)),
        weights('gamma', 8), weights('beta', 8), const('sqrt2', np.float32(1.4142135)),
        const('one_f', np.float32(1)), const('half', np.float32(0.5)),
        const('three_i', np.array(3, np.int64)), const('eshape', np.array([2, 2, 6, 8], np.int64)),
        const('pads', np.array([0, 0, 1, 2, 0, 0, 1, 2], np.int64)), weights('g8', 12)],
        opset=17)


if __name__ == '__main__':
    main()
