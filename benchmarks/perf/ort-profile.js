#!/usr/bin/env node
// Per-op-type time of ONNX Runtime on a model, batch 1, from its profiler's JSON trace:
// the counterpart of `cnn bench MODEL --profile` when comparing layer by layer.
// Usage: ORT_NODE_MODULES=/tmp/ort-anchor/node_modules node ort-profile.js MODEL.onnx THREADS ITERATIONS [--nodes]
// Prints "op_type  ms-per-run  count" lines, most expensive first (sums of per-run means),
// then with --nodes as a fourth argument each node's median over the runs (robust to a
// machine shared with other work). ONNX Runtime fuses activations into its NCHWc convs
// (except SiLU, QuickGelu nodes), so compare per block rather than per ONNX node.
// Not a test: timings never gate CI.
const path = require('path');
const fs = require('fs');
const os = require('os');
const ORT_DIR = process.env.ORT_NODE_MODULES ? path.join(process.env.ORT_NODE_MODULES, 'onnxruntime-node')
                                             : path.dirname(path.dirname(require.resolve('onnxruntime-node')));
const ort = require(ORT_DIR);

(async () => {
  const [model, threads, iters] = [process.argv[2], +process.argv[3], +process.argv[4]];
  const prefix = path.join(os.tmpdir(), 'ort-profile-' + process.pid);
  const s = await ort.InferenceSession.create(model, { intraOpNumThreads: threads, interOpNumThreads: 1,
    graphOptimizationLevel: 'all', executionMode: 'sequential', enableProfiling: true, profileFilePrefix: prefix });
  const x = new ort.Tensor('float32', new Float32Array(3 * 224 * 224).map((_, i) => Math.sin(i)), [1, 3, 224, 224]);
  for (let i = 0; i < 5 + iters; i++) await s.run({ [s.inputNames[0]]: x });
  const file = s.endProfiling ? s.endProfiling() : null;
  const trace = file && fs.existsSync(file) ? file
      : fs.readdirSync(os.tmpdir()).filter(f => f.startsWith(path.basename(prefix))).map(f => path.join(os.tmpdir(), f))[0];
  const events = JSON.parse(fs.readFileSync(trace, 'utf8'));
  fs.unlinkSync(trace);
  // Node events of the last `iters` runs: kernel_time entries, one per node per run.
  const kernels = events.filter(e => e.cat === 'Node' && e.name.endsWith('_kernel_time'));
  const perRun = kernels.length / (5 + iters);
  const timed = kernels.slice(kernels.length - perRun * iters);
  const byType = {}, byNode = {};
  for (const e of timed) {
    const t = e.args.op_name;
    byType[t] = byType[t] || { us: 0, n: 0 };
    byType[t].us += e.dur; byType[t].n++;
    byNode[e.name] = byNode[e.name] || { runs: [], type: t };
    byNode[e.name].runs.push(e.dur);
  }
  let total = 0;
  for (const [t, v] of Object.entries(byType).sort((a, b) => b[1].us - a[1].us)) {
    total += v.us;
    console.log(`${t.padEnd(24)} ${(v.us / iters / 1000).toFixed(3).padStart(8)} ms  ${v.n / iters}`);
  }
  console.log(`${'total'.padEnd(24)} ${(total / iters / 1000).toFixed(3).padStart(8)} ms`);
  if (process.argv[5] === '--nodes')
    for (const [name, v] of Object.entries(byNode)) {
      const r = v.runs.sort((a, b) => a - b);
      console.log(`${name.replace(/_kernel_time$/, '').padEnd(60)} ${v.type.padEnd(20)} ${(r[r.length >> 1] / 1000).toFixed(4)}`);
    }
})().catch(e => { console.error('ort-profile: ' + e.message); process.exit(1); });
