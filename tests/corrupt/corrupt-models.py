#!/usr/bin/python3
"""Corruption campaign: hostile variants of real model files must be refused, never crash.

Takes real ONNX files (tests/models, models/digits, tests/fuzz/seeds, a few ONNX backend test
models), makes COUNT corrupted variants deterministically (bit flips, truncation, inserted
bytes, swapped chunks, broken length prefixes, and structurally valid protobufs carrying
hostile values: huge or negative dims and int64 constants, wrong data types, short tensor
data, rewired or retyped nodes), and runs `cnn inspect` and `cnn bench` on each under a
timeout.

Each run is classified as
  accepted   exit 0
  refused    exit 1 with a "cnn: ..." message on stderr
  silent     exit 1 without that message                      (failure)
  crash      signal, exit code > 1, or a sanitizer report      (failure)
  hang       no exit within the timeout                        (failure)

Failing inputs are kept with their stderr in --keep-dir. Ends with
"corrupt: N passed, N failed" (one case = one corrupted file, both commands) and exits 1 if
any case failed.

    tests/corrupt/corrupt-models.py --cnn build/cnn-core/tool/cnn --count 500
"""

import argparse
import concurrent.futures
import glob
import os
import random
import shutil
import signal
import subprocess
import sys

TOP = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..'))
TESTDATA = '/usr/share/libonnx-testdata/data'

# A few backend test models covering the ops image classifiers use; whichever exist are used.
TESTDATA_MODELS = [
    'node/test_conv_with_strides_padding',
    'node/test_conv_with_autopad_same',
    'node/test_gemm_all_attributes',
    'node/test_batchnorm_example',
    'node/test_maxpool_2d_pads',
    'node/test_averagepool_2d_pads',
    'node/test_globalaveragepool',
    'node/test_reshape_extended_dims',
    'node/test_concat_2d_axis_1',
    'node/test_gather_0',
    'node/test_slice',
    'node/test_transpose_all_permutations_0',
    'node/test_softmax_axis_1',
    'node/test_flatten_axis1',
    'node/test_clip',
    'node/test_pad',
    'node/test_unsqueeze_axis_0',
    'node/test_constantofshape_int_zeros',
    'pytorch-converted/test_Conv2d',
    'pytorch-converted/test_Conv2d_groups',
    'pytorch-converted/test_Conv2d_depthwise_strided',
    'pytorch-converted/test_Conv2d_dilated',
    'pytorch-converted/test_Linear',
    'pytorch-converted/test_BatchNorm2d_eval',
    'pytorch-converted/test_MaxPool2d_stride_padding_dilation',
    'pytorch-converted/test_PReLU_2d',
    'pytorch-converted/test_Softmax',
    # Opset 6 forms (legacy broadcast, per-channel PRelu slope, reflect Pad) and newer ops.
    'pytorch-converted/test_PReLU_2d_multiparam',
    'pytorch-converted/test_ReflectionPad2d',
    'node/test_layer_normalization_4d_axis0',
    'node/test_split_equal_parts_2d',
]

# ---- a minimal protobuf walker --------------------------------------------------------------
#
# Messages are parsed into lists of [field, wire_type, payload] where payload is an int
# (varint / fixed), bytes, or a nested list for the ONNX messages we know. Serialising
# recomputes every length, so value mutations yield well-formed protobufs.

VARINT, I64, LEN, I32 = 0, 1, 2, 5

# message -> {field: child message}
SCHEMA = {
    'Model': {7: 'Graph', 8: 'OpsetId', 14: 'StringPair'},
    'Graph': {1: 'Node', 5: 'Tensor', 11: 'ValueInfo', 12: 'ValueInfo', 13: 'ValueInfo'},
    'Node': {5: 'Attribute'},
    'Attribute': {5: 'Tensor', 10: 'Tensor'},
    'Tensor': {},
    'ValueInfo': {2: 'Type'},
    'Type': {1: 'TensorType'},
    'TensorType': {2: 'Shape'},
    'Shape': {1: 'Dim'},
    'Dim': {},
    'OpsetId': {},
    'StringPair': {},
}

# Integer fields worth corrupting: (message, field). Packed repeated ones appear as LEN.
INT_SITES = {
    ('Tensor', 1),      # dims
    ('Tensor', 2),      # data_type
    ('Dim', 1),         # dim_value
    ('TensorType', 1),  # elem_type
    ('Attribute', 3),   # i
    ('Attribute', 8),   # ints
    ('Attribute', 20),  # type
    ('OpsetId', 2),     # version
    ('Model', 1),       # ir_version
}
PACKED_SITES = {('Tensor', 1), ('Attribute', 8), ('Tensor', 7), ('Tensor', 5)}

EDGE_VALUES = [0, 1, 2**31 - 1, 2**31, 2**32 - 1, 2**32 + 1, 2**40, 2**62, 2**63 - 1,
               2**64 - 1, 2**64 - 2, 2**63, 2**64 - 2**31]

ONNX_OPS = ['Conv', 'MaxPool', 'AveragePool', 'GlobalAveragePool', 'Gemm', 'MatMul',
            'BatchNormalization', 'Flatten', 'Reshape', 'Transpose', 'Concat', 'Add', 'Mul',
            'Relu', 'Clip', 'Softmax', 'Pad', 'Shape', 'Gather', 'Unsqueeze', 'Squeeze',
            'Slice', 'Cast', 'ConstantOfShape', 'Constant', 'Identity', 'Dropout', 'PRelu',
            'ReduceMean', 'Sub', 'Div', 'HardSwish', 'LSTM', '']


class ParseError(Exception):
    pass


def read_varint(buf, pos):
    value, shift = 0, 0
    while True:
        if pos >= len(buf) or shift > 63:
            raise ParseError('bad varint')
        b = buf[pos]
        pos += 1
        value |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            return value, pos


def encode_varint(value):
    value &= 2**64 - 1
    out = bytearray()
    while True:
        b = value & 0x7F
        value >>= 7
        if value:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def parse(buf, kind):
    fields = []
    pos = 0
    while pos < len(buf):
        key, pos = read_varint(buf, pos)
        field, wire = key >> 3, key & 7
        if field == 0:
            raise ParseError('field 0')
        if wire == VARINT:
            value, pos = read_varint(buf, pos)
        elif wire == I64:
            value, pos = buf[pos:pos + 8], pos + 8
        elif wire == I32:
            value, pos = buf[pos:pos + 4], pos + 4
        elif wire == LEN:
            n, pos = read_varint(buf, pos)
            if pos + n > len(buf):
                raise ParseError('length past end')
            value, pos = bytes(buf[pos:pos + n]), pos + n
            child = SCHEMA[kind].get(field)
            if child is not None:
                value = parse(value, child)
            elif (kind, field) in PACKED_SITES:
                value = ('packed', parse_packed(value))
        else:
            raise ParseError('wire type %d' % wire)
        if pos > len(buf):
            raise ParseError('past end')
        fields.append([field, wire, value, kind])
    return fields


def parse_packed(buf):
    values, pos = [], 0
    while pos < len(buf):
        v, pos = read_varint(buf, pos)
        values.append(v)
    return values


def serialize(fields):
    out = bytearray()
    for field, wire, value, _kind in fields:
        out += encode_varint(field << 3 | wire)
        if wire == VARINT:
            out += encode_varint(value)
        elif wire in (I64, I32):
            out += value
        else:
            if isinstance(value, list):
                body = serialize(value)
            elif isinstance(value, tuple):
                body = b''.join(encode_varint(v) for v in value[1])
            else:
                body = value
            out += encode_varint(len(body)) + body
    return bytes(out)


def walk(fields):
    """Yields every field entry, depth first."""
    for entry in fields:
        yield entry
        if isinstance(entry[2], list):
            yield from walk(entry[2])


def length_prefix_offsets(buf, kind='Model', base=0, out=None):
    """Offsets (start, end) of the length varints of every LEN field, in file coordinates."""
    if out is None:
        out = []
    pos = 0
    while pos < len(buf):
        key, pos = read_varint(buf, pos)
        field, wire = key >> 3, key & 7
        if wire == VARINT:
            _, pos = read_varint(buf, pos)
        elif wire == I64:
            pos += 8
        elif wire == I32:
            pos += 4
        elif wire == LEN:
            start = pos
            n, pos = read_varint(buf, pos)
            out.append((base + start, base + pos))
            child = SCHEMA.get(kind, {}).get(field)
            if child is not None:
                length_prefix_offsets(buf[pos:pos + n], child, base + pos, out)
            pos += n
        else:
            raise ParseError('wire type')
    return out

# ---- mutations -------------------------------------------------------------------------------


def m_bitflip(rng, data, bits):
    buf = bytearray(data)
    for _ in range(bits):
        i = rng.randrange(len(buf) * 8)
        buf[i // 8] ^= 1 << (i % 8)
    return bytes(buf)


def m_truncate(rng, data):
    return data[:rng.randrange(len(data))]


def m_insert(rng, data):
    at = rng.randrange(len(data) + 1)
    junk = bytes(rng.randrange(256) for _ in range(rng.choice([1, 2, 4, 16, 64])))
    return data[:at] + junk + data[at:]


def m_swap(rng, data):
    n = rng.randint(1, max(1, len(data) // 8))
    a = rng.randrange(0, len(data) - n + 1)
    b = rng.randrange(0, len(data) - n + 1)
    a, b = min(a, b), max(a, b)
    if b < a + n:
        b = min(len(data) - n, a + n)
    buf = bytearray(data)
    buf[a:a + n], buf[b:b + n] = data[b:b + n], data[a:a + n]
    return bytes(buf)


def m_huge_length(rng, data):
    """Overwrites one length prefix in place with a huge or off-by-some value (no fix-ups)."""
    sites = length_prefix_offsets(data)
    if not sites:
        return None
    start, end = rng.choice(sites)
    value = rng.choice([2**64 - 1, 2**63 - 1, 2**32 - 1, 2**31, len(data) + 1,
                        read_varint(data, start)[0] + rng.choice([1, -1, 7])])
    return data[:start] + encode_varint(value) + data[end:]


def m_int_value(rng, tree):
    """Sets a dims / dim_value / data_type / attribute int / opset to a hostile value."""
    sites = []
    for entry in walk(tree):
        field, wire, value, kind = entry
        if (kind, field) in INT_SITES and (wire == VARINT or isinstance(value, tuple)):
            sites.append(entry)
    if not sites:
        return False
    entry = rng.choice(sites)
    hostile = rng.choice(EDGE_VALUES + [rng.randrange(-4, 32) & (2**64 - 1)])
    if entry[1] == VARINT:
        entry[2] = hostile
    else:
        values = list(entry[2][1])
        if not values:
            return False
        values[rng.randrange(len(values))] = hostile
        entry[2] = ('packed', values)
    return True


def m_int64_data(rng, tree):
    """Sets one element of a constant int64 tensor (shapes, pads, axes, indices, starts...)
    to a hostile value."""
    tensors = [e[2] for e in walk(tree) if e[3] in ('Graph', 'Attribute') and e[1] == LEN
               and isinstance(e[2], list) and any(f[0] == 2 and f[2] == 7 for f in e[2])]
    sites = []
    for t in tensors:
        for f in t:
            if f[0] == 9 and isinstance(f[2], bytes) and len(f[2]) >= 8:
                sites.append(f)
            elif f[0] == 7 and isinstance(f[2], tuple) and f[2][1]:
                sites.append(f)
    if not sites:
        return False
    entry = rng.choice(sites)
    hostile = rng.choice(EDGE_VALUES + [rng.randrange(-4, 32) & (2**64 - 1)])
    if isinstance(entry[2], tuple):
        values = list(entry[2][1])
        values[rng.randrange(len(values))] = hostile
        entry[2] = ('packed', values)
    else:
        i = rng.randrange(len(entry[2]) // 8) * 8
        entry[2] = entry[2][:i] + hostile.to_bytes(8, 'little') + entry[2][i + 8:]
    return True


def m_short_data(rng, tree):
    """Cuts or extends a tensor's raw_data / float_data so it disagrees with its dims."""
    sites = [e for e in walk(tree) if e[3] == 'Tensor' and e[0] in (9, 4, 7)
             and e[1] == LEN]
    if not sites:
        return False
    entry = rng.choice(sites)
    value = entry[2]
    if isinstance(value, tuple):
        values = list(value[1])
        entry[2] = ('packed', values[:rng.randrange(len(values) + 1)] if values and
                    rng.random() < 0.7 else values + [0] * rng.randint(1, 9))
    else:
        if value and rng.random() < 0.7:
            entry[2] = value[:rng.randrange(len(value))]
        else:
            entry[2] = value + bytes(rng.randint(1, 9))
    return True


def m_rewire(rng, tree):
    """Points a node input or output at another value name (cycles, self-loops, undefined)."""
    nodes = [e for e in walk(tree) if e[3] == 'Node' and e[0] in (1, 2) and e[1] == LEN]
    if not nodes:
        return False
    names = sorted({e[2] for e in nodes}) + [b'', b'undefined_value']
    entry = rng.choice(nodes)
    entry[2] = rng.choice(names)
    return True


def m_retype(rng, tree):
    """Changes a node's op type, so its inputs and attributes no longer fit."""
    ops = [e for e in walk(tree) if e[3] == 'Node' and e[0] == 4 and e[1] == LEN]
    if not ops:
        return False
    rng.choice(ops)[2] = rng.choice(ONNX_OPS).encode()
    return True


def m_drop_field(rng, tree):
    """Removes one field anywhere (an initializer, a dim, an attribute, a graph input...)."""
    parents = [tree] + [e[2] for e in walk(tree) if isinstance(e[2], list) and e[2]]
    parent = rng.choice(parents)
    if not parent:
        return False
    del parent[rng.randrange(len(parent))]
    return True


def m_duplicate_field(rng, tree):
    """Repeats one field (two graphs, two data_types, a node twice, ...)."""
    parents = [tree] + [e[2] for e in walk(tree) if isinstance(e[2], list) and e[2]]
    parent = rng.choice(parents)
    if not parent:
        return False
    i = rng.randrange(len(parent))
    parent.insert(i, parent[i])
    return True


RAW_MUTATIONS = {
    'bitflip1': lambda rng, d: m_bitflip(rng, d, 1),
    'bitflip8': lambda rng, d: m_bitflip(rng, d, 8),
    'bitflip64': lambda rng, d: m_bitflip(rng, d, 64),
    'truncate': m_truncate,
    'insert': m_insert,
    'swap': m_swap,
    'huge-length': m_huge_length,
}
TREE_MUTATIONS = {
    'int-value': m_int_value,
    'int64-data': m_int64_data,
    'short-data': m_short_data,
    'rewire': m_rewire,
    'retype': m_retype,
    'drop-field': m_drop_field,
    'duplicate-field': m_duplicate_field,
}
# Weights: structural mutations reach the graph checks and kernels, raw ones the parser.
MUTATION_WEIGHTS = [('bitflip1', 2), ('bitflip8', 2), ('bitflip64', 1), ('truncate', 2),
                    ('insert', 1), ('swap', 1), ('huge-length', 2), ('int-value', 5), ('int64-data', 3),
                    ('short-data', 2), ('rewire', 2), ('retype', 2), ('drop-field', 2),
                    ('duplicate-field', 1)]


def mutate(rng, data, name):
    """The mutated bytes, or None when this mutation does not apply to `data`."""
    if not data:
        return None
    try:
        if name in RAW_MUTATIONS:
            return RAW_MUTATIONS[name](rng, data)
        tree = parse(data, 'Model')
        if not TREE_MUTATIONS[name](rng, tree):
            return None
        return serialize(tree)
    except ParseError:
        return None


def make_cases(sources, count, seed):
    """[(case name, mutation, source, bytes)], the same for the same seed and sources."""
    rng = random.Random(seed)
    names = [n for n, w in MUTATION_WEIGHTS for _ in range(w)]
    cases = []
    attempts = 0
    while len(cases) < count and attempts < count * 20:
        attempts += 1
        path, data = sources[len(cases) % len(sources)]
        name = rng.choice(names)
        out = mutate(rng, data, name)
        # A second mutation now and then, so corruptions combine.
        if out is not None and rng.random() < 0.15:
            second = rng.choice(names)
            again = mutate(rng, out, second)
            if again is not None:
                out, name = again, name + '+' + second
        if out is None or out == data:
            continue
        base = os.path.splitext(os.path.basename(path))[0]
        if base == 'model':
            base = os.path.basename(os.path.dirname(path))
        cases.append(('%04d-%s-%s' % (len(cases), name, base), name, path, out))
    return cases

# ---- running ---------------------------------------------------------------------------------


SANITIZER_MARKS = ('ERROR: AddressSanitizer', 'ERROR: LeakSanitizer', 'runtime error:',
                   'ERROR: UndefinedBehaviorSanitizer', '== ERROR SUMMARY: ')


def classify(cmd, timeout, env):
    # Own process group, so a hang is killed with everything it started.
    p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE, env=env, start_new_session=True)
    try:
        _, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        _, err = p.communicate()
        return 'hang', err.decode(errors='replace')
    err = err.decode(errors='replace')
    sanitizer = any(m in err for m in SANITIZER_MARKS[:4])
    valgrind_error = '== ERROR SUMMARY: ' in err and '== ERROR SUMMARY: 0 errors' not in err
    if p.returncode < 0 or p.returncode > 1 or sanitizer or valgrind_error:
        return 'crash', err
    if p.returncode == 0:
        return 'accepted', err
    first = err.lstrip('\n').split('\n', 1)[0]
    if first.startswith('cnn: ') and len(first) > len('cnn: '):
        return 'refused', err
    return 'silent', err


def run_case(case, args, env, workdir):
    name, _mutation, _source, data = case
    path = os.path.join(workdir, name + '.onnx')
    with open(path, 'wb') as f:
        f.write(data)
    prefix = []
    if args.valgrind:
        prefix = ['valgrind', '-q', '--leak-check=full',
                  '--error-exitcode=3']
    commands = [
        ('inspect', prefix + [args.cnn, 'inspect', path, '--threads', '1']),
        ('bench', prefix + [args.cnn, 'bench', path, '--threads', '1', '--iterations', '1',
                            '--warmup', '0']),
    ]
    results = []
    for label, cmd in commands:
        outcome, err = classify(cmd, args.timeout * (10 if args.valgrind else 1), env)
        results.append((label, outcome, err, cmd))
    return case, path, results


FAILURES = ('crash', 'hang', 'silent')


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--cnn', required=True, help='path to the cnn tool')
    ap.add_argument('--count', type=int, default=300, help='corrupted files (default 300)')
    ap.add_argument('--seed', type=int, default=1)
    ap.add_argument('--timeout', type=float, default=10.0, help='seconds per command')
    ap.add_argument('--jobs', type=int, default=1)
    ap.add_argument('--keep-dir', default='corrupt-failures',
                    help='where failing inputs and their stderr go')
    ap.add_argument('--valgrind', action='store_true',
                    help='run every command under valgrind --leak-check=full')
    ap.add_argument('--keep-all', action='store_true', help='keep every generated file')
    ap.add_argument('--verbose', '-v', action='store_true')
    ap.add_argument('models', nargs='*', help='source models (default: built-in list)')
    args = ap.parse_args()

    paths = args.models
    if not paths:
        paths = sorted(glob.glob(os.path.join(TOP, 'tests', 'models', '*.onnx')))
        paths += sorted(glob.glob(os.path.join(TOP, 'models', 'digits', '*.onnx')))
        paths += sorted(glob.glob(os.path.join(TOP, 'tests', 'fuzz', 'seeds', '*.onnx')))
        paths += [p for p in (os.path.join(TESTDATA, m, 'model.onnx') for m in TESTDATA_MODELS)
                  if os.path.isfile(p)]
    sources = []
    for p in paths:
        with open(p, 'rb') as f:
            data = f.read()
        if data:
            sources.append((p, data))
    if not sources:
        print('corrupt: no source models found', file=sys.stderr)
        return 1

    cases = make_cases(sources, args.count, args.seed)
    workdir = os.path.join(args.keep_dir, 'all' if args.keep_all else '.work')
    shutil.rmtree(args.keep_dir, ignore_errors=True)
    os.makedirs(workdir)

    env = dict(os.environ, OPENBLAS_NUM_THREADS='1')
    env.setdefault('ASAN_OPTIONS', 'detect_leaks=1')
    env.setdefault('UBSAN_OPTIONS', 'print_stacktrace=1:halt_on_error=1')

    print('corrupt: %d cases from %d models, seed %d, %s' % (
        len(cases), len(sources), args.seed, args.cnn), flush=True)
    counts = {}
    by_mutation = {}
    failed = []
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        for case, path, results in pool.map(lambda c: run_case(c, args, env, workdir), cases):
            name, mutation, _source, _data = case
            bad = [r for r in results if r[1] in FAILURES]
            for label, outcome, _err, _cmd in results:
                counts[(label, outcome)] = counts.get((label, outcome), 0) + 1
            m = by_mutation.setdefault(mutation.split('+')[0], [0, 0])
            m[1 if bad else 0] += 1
            if args.verbose:
                print('  %s: %s' % (name, ', '.join('%s %s' % (r[0], r[1]) for r in results)))
            if bad:
                failed.append(name)
                shutil.copy(path, os.path.join(args.keep_dir, name + '.onnx'))
                with open(os.path.join(args.keep_dir, name + '.txt'), 'w') as f:
                    for label, outcome, err, cmd in results:
                        f.write('$ %s\n%s\n%s\n' % (' '.join(cmd), outcome, err))
                for label, outcome, err, _cmd in bad:
                    lines = [ln for ln in err.splitlines() if ln.strip()]
                    print('FAIL %s: %s %s: %s' % (name, label, outcome,
                                                   lines[0] if lines else '(no stderr)'))
            if not args.keep_all:
                os.unlink(path)
    if not args.keep_all:
        shutil.rmtree(workdir, ignore_errors=True)

    for label in ('inspect', 'bench'):
        print('%-8s ' % label + '  '.join(
            '%s %d' % (o, counts.get((label, o), 0))
            for o in ('accepted', 'refused') + FAILURES))
    print('by mutation (passed/failed): ' + ', '.join(
        '%s %d/%d' % (k, v[0], v[1]) for k, v in sorted(by_mutation.items())))
    if failed:
        print('failing inputs kept in %s/' % args.keep_dir)
    elif not args.keep_all:
        shutil.rmtree(args.keep_dir, ignore_errors=True)
    print('corrupt: %d passed, %d failed' % (len(cases) - len(failed), len(failed)))
    return 1 if failed else 0


if __name__ == '__main__':
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    sys.exit(main())
