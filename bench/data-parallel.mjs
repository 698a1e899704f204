// Second core for the tokenizer step: data-parallel worker_threads with gradient averaging.
// Each of W workers holds the same model (same seed), computes gradients on its 1/W slice of the batch; the main
// thread averages them in worker order (deterministic for a fixed seed and W) and every worker applies the same
// Adam update. Prints one JSON line with the median step time.
// usage: node bench/data-parallel.mjs [--workers=2] [--steps=4] [--warmup=1]
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { median, parseArgs } from './stats.mjs';

const BATCH = 32;

if (isMainThread) {
  const a = parseArgs({ workers: 2, steps: 4, warmup: 1 });
  const W = +a.workers;
  const workers = Array.from({ length: W }, (_, index) => new Worker(new URL(import.meta.url), { workerData: { index, count: W } }));
  const next = (w) => new Promise((resolve, reject) => { w.once('message', resolve); w.once('error', reject); });
  await Promise.all(workers.map(next)); // ready
  const times = [];
  const losses = [];
  for (let s = 0; s < +a.warmup + +a.steps; s++) {
    const t0 = performance.now();
    workers.forEach((w) => w.postMessage({ cmd: 'grads' }));
    const parts = await Promise.all(workers.map(next));
    const avg = parts[0].grads.map((g) => new Float32Array(g.length));
    for (const p of parts) p.grads.forEach((g, i) => { const o = avg[i]; for (let j = 0; j < g.length; j++) o[j] += g[j] / W; });
    workers.forEach((w) => w.postMessage({ cmd: 'apply', grads: avg }));
    await Promise.all(workers.map(next));
    if (s >= +a.warmup) times.push(performance.now() - t0);
    losses.push(parts.reduce((x, p) => x + p.loss, 0) / W);
  }
  workers.forEach((w) => w.postMessage({ cmd: 'exit' }));
  process.stdout.write(JSON.stringify({ model: 'tokenizer', mode: 'data-parallel', workers: W, batch: BATCH, step_ms: median(times), all_ms: times.map((t) => +t.toFixed(1)), loss_first: losses[0], loss_last: losses.at(-1) }) + '\n');
} else {
  const tf = await import('@tensorflow/tfjs');
  const { prepareWasmBackend } = await import('../packages/core/dist/backend/wasm/index.js');
  const { convAutoencoder } = await import('../packages/core/dist/backend/wasm/reference-models.js');
  tf.env().set('PROD', true);
  await prepareWasmBackend();
  await tf.setBackend('wasm');
  const model = convAutoencoder({ batch: BATCH, size: 32, channels: 32, multipliers: [1, 2, 2], groups: 8, shard: workerData });
  const vars = [...model.params.values()];
  const opt = tf.train.adam(1e-3);
  parentPort.postMessage('ready');
  parentPort.on('message', (m) => {
    if (m.cmd === 'grads') {
      const { value, grads } = tf.variableGrads(() => model.loss(), vars);
      const out = vars.map((v) => grads[v.name].dataSync().slice());
      const loss = value.dataSync()[0];
      tf.dispose([value, ...Object.values(grads)]);
      parentPort.postMessage({ loss, grads: out }, out.map((g) => g.buffer));
    } else if (m.cmd === 'apply') {
      tf.tidy(() => opt.applyGradients(Object.fromEntries(vars.map((v, i) => [v.name, tf.tensor(m.grads[i], v.shape)]))));
      parentPort.postMessage('done');
    } else process.exit(0);
  });
}
