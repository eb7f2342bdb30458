#!/usr/bin/env node
// Per-node times of ONNX Runtime (CPU) on a model, for profile-vs-ort.py: runs the model with
// ORT's own profiler on, the same way ort-bench.js times it (batch 1, sin(i) input, all graph
// optimisations, sequential), and prints one JSON line per node: its name as ORT reports it
// (after ORT's fusions and NCHWc rewrites), its op, and its mean time over the timed runs.
//
//   ORT_NODE_MODULES=/tmp/ort-anchor/node_modules node ort-profile.js MODEL THREADS RUNS [N C H W]
const path = require('path');
const fs = require('fs');
const os = require('os');
const ort = require(path.join(process.env.ORT_NODE_MODULES, 'onnxruntime-node'));

const WARMUP = 5;

(async () => {
  const [model, threads, runs] = [process.argv[2], +process.argv[3], +process.argv[4]];
  const [N, C, H, W] = process.argv.length > 8 ? process.argv.slice(5, 9).map(Number) : [1, 3, 224, 224];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ort-profile-'));
  const s = await ort.InferenceSession.create(model, {
    intraOpNumThreads: threads, interOpNumThreads: 1, graphOptimizationLevel: 'all',
    executionMode: 'sequential', enableProfiling: true, profileFilePrefix: path.join(dir, 'p') });
  const x = new ort.Tensor('float32', new Float32Array(N * C * H * W).map((_, i) => Math.sin(i)), [N, C, H, W]);
  for (let i = 0; i < WARMUP + runs; i++) await s.run({ [s.inputNames[0]]: x });
  s.endProfiling();
  await s.release();

  const file = fs.readdirSync(dir).find(f => f.endsWith('.json'));
  const events = JSON.parse(fs.readFileSync(path.join(dir, file)));
  fs.rmSync(dir, { recursive: true });
  // Each run lists every node once, in order: drop the warm-up runs' events.
  const nodes = events.filter(e => e.cat === 'Node' && e.name.endsWith('_kernel_time'));
  const perRun = nodes.length / (WARMUP + runs);
  const total = new Map();
  for (const e of nodes.slice(WARMUP * perRun)) {
    const name = e.name.slice(0, -'_kernel_time'.length);
    const t = total.get(name) || { op: e.args.op_name, us: 0 };
    t.us += e.dur;
    total.set(name, t);
  }
  for (const [name, t] of total)
    console.log(JSON.stringify({ name, op: t.op, ms: t.us / 1000 / runs }));
})().catch(e => { console.error('ort-profile: ' + e.message); process.exit(1); });
