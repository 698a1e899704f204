// One benchmark configuration in a fresh process; prints one JSON line.
// usage: node bench/tfjs-step.mjs --model=tokenizer|transformer|matmul --backend=wasm|cpu [--stock] [--steps=N]
//        [--warmup=N] [--batch=N] [--threads=N] [--profile]
// --stock: do not install the wasm training path (stock tfjs kernels and gradients). Runs on built output.
// --threads=N: XNNPACK threads of the wasm path (default 1).
// --impl=core (tokenizer only): the real `conv-resnet` backbone of @ifsq/core (packages/core/dist/tokenizer) instead
// of the raw-op reference model; same architecture and defaults.
import * as tf from '@tensorflow/tfjs';
import { prepareWasmBackend } from '../packages/core/dist/backend/wasm/index.js';
import { adamTrainer, convAutoencoder, transformerBlock } from '../packages/core/dist/backend/wasm/reference-models.js';
import { parseArgs, median } from './stats.mjs';

const a = parseArgs({ model: 'tokenizer', backend: 'wasm', stock: false, steps: 5, warmup: 1, batch: 0, profile: false, impl: 'reference', threads: 1 });
// The wasm thread pool's workers are unref'd; keep the process alive until the last line.
const keepAlive = setInterval(() => undefined, 1 << 30);
tf.env().set('PROD', true);
let threads = 1;
if (!a.stock) threads = (await prepareWasmBackend({ threads: +a.threads })).threads;
else if (a.backend === 'wasm') await import('@tensorflow/tfjs-backend-wasm');
await tf.setBackend(a.backend);
await tf.ready();

const out = { model: a.model, backend: a.backend, stock: !!a.stock, threads };
if (a.model === 'matmul') {
  const n = 1024;
  const x = tf.randomNormal([n, n]);
  const y = tf.randomNormal([n, n]);
  for (const [name, tA] of [['nn', false], ['tn', true]]) {
    const times = [];
    for (let i = 0; i < +a.warmup + +a.steps; i++) {
      const t0 = performance.now();
      const r = tf.matMul(x, y, tA, false);
      r.dataSync();
      r.dispose();
      if (i >= +a.warmup) times.push(performance.now() - t0);
    }
    out[`${name}_ms`] = median(times);
    out[`${name}_gflops`] = +((2 * n ** 3) / (median(times) * 1e6)).toFixed(2);
  }
} else {
  const batch = +a.batch || (a.model === 'tokenizer' ? 32 : 16);
  const model =
    a.model === 'tokenizer' && a.impl === 'core'
      ? await coreBackbone(batch)
      : a.model === 'tokenizer'
      ? convAutoencoder({ batch, size: 32, imageChannels: 1, channels: 32, multipliers: [1, 2, 2], groups: 8 })
      : transformerBlock({ batch, seq: 64, dim: 128, heads: 4, mlp: 512 });
  const trainer = adamTrainer(model);
  const times = [];
  const losses = [];
  for (let i = 0; i < +a.warmup + +a.steps; i++) {
    const t0 = performance.now();
    losses.push(trainer.step());
    if (i >= +a.warmup) times.push(performance.now() - t0);
  }
  Object.assign(out, { batch, step_ms: median(times), steps: times.length, all_ms: times.map((t) => +t.toFixed(1)), loss_first: losses[0], loss_last: losses.at(-1) });
  if (a.profile) {
    const p = await tf.profile(() => trainer.step());
    const by = {};
    for (const k of p.kernels) {
      const ms = typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
      (by[k.name] ??= { ms: 0, calls: 0 }).ms += ms;
      by[k.name].calls++;
    }
    out.profile = Object.entries(by)
      .sort((x, y) => y[1].ms - x[1].ms)
      .slice(0, 12)
      .map(([k, v]) => `${k} ${v.ms.toFixed(1)}ms/${v.calls}`);
    out.kernel_calls = p.kernels.length;
  }
  trainer.dispose();
  model.dispose();
}
process.stdout.write(JSON.stringify(out) + '\n');
clearInterval(keepAlive);

/** The quickstart's `conv-resnet` backbone from built @ifsq/core, wrapped as a reference model (loss: mean |x̂−x|). */
async function coreBackbone(batch) {
  const { ConvResnetBackbone } = await import('../packages/core/dist/tokenizer/backbone.js');
  const { SeededRng } = await import('../packages/core/dist/random/rng.js');
  const { seededNormal } = await import('../packages/core/dist/backend/wasm/seeded-normal.js');
  const options = { channels: 32, channelMultipliers: [1, 2, 2], blocksPerStage: 1, latentChannels: 4, groups: 8, midBlocks: 1 };
  const net = new ConvResnetBackbone(options, { imageChannels: 1, quantizerInputChannels: 4, codeChannels: 4 }, new SeededRng(0));
  const x = tf.tidy(() => tf.tanh(tf.mul(tf.avgPool(tf.tensor(seededNormal([batch, 32, 32, 1], 'ae/data'), [batch, 32, 32, 1]), 3, 1, 'same'), 2)));
  return {
    params: net.namedParameters(),
    loss: () => tf.mean(tf.abs(tf.sub(net.decode(net.encode(x)), x))),
    dispose: () => { x.dispose(); net.dispose(); },
  };
}
