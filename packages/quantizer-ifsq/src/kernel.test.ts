/** The `IfsqEncode` custom kernel on cpu and wasm gives the op path's codes and indices, without leaks. */
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveFsqConfig } from './config.js';
import { FSQ_ENCODE_KERNEL, encodeTensor } from './kernel.js';
import { referenceIndicesOp } from './ops.js';
import { FsqQuantizer } from './quantizer.js';

afterAll(async () => {
  await tf.setBackend('cpu');
});

describe.each(['cpu', 'wasm'])('IfsqEncode kernel on %s', (backend) => {
  it('matches the cpu op path and leaks nothing', async () => {
    if (backend === 'wasm') await import('@tensorflow/tfjs-backend-wasm');
    await tf.setBackend('cpu');
    const options = { levels: [9, 8, 5], bound: 'tanh' as const, groups: [2, 1] };
    const cfg = resolveFsqConfig(options);
    const zCpu = tf.randomNormal([3, 5, 7, 3], 0, 1.7, 'float32', 42);
    const zValues = zCpu.dataSync().slice();
    const wantIdx = referenceIndicesOp(zCpu, cfg);
    const want = Array.from(wantIdx.dataSync());
    tf.dispose([zCpu, wantIdx]);

    await tf.setBackend(backend);
    expect(tf.getBackend()).toBe(backend);
    const z = tf.tensor4d(zValues, [3, 5, 7, 3]);
    const q = new FsqQuantizer(options);
    const before = tf.memory().numTensors;
    const r = q.quantize(z);
    expect(tf.getKernel(FSQ_ENCODE_KERNEL, backend)).toBeDefined();
    expect(r.indices?.shape).toEqual([3, 5, 7, 2]);
    expect(Array.from((r.indices as tf.Tensor).dataSync())).toEqual(want);
    const back = q.indicesToCodes(r.indices as tf.Tensor);
    expect(Array.from(back.dataSync())).toEqual(Array.from(r.codes.dataSync()).map((v) => v + 0));
    tf.dispose([r.codes, r.indices as tf.Tensor, r.auxLoss, back]);
    const e = encodeTensor(z, q.config, [3, 5, 7, 2]);
    tf.dispose([e.codes, e.indices]);
    expect(tf.memory().numTensors).toBe(before);
    z.dispose();
    q.dispose();
  });
});

describe('training path on wasm', () => {
  it.each(['ifsq', 'tanh'] as const)('agrees with inference, has STE gradients and leaks nothing (%s bound)', async (bound) => {
    await import('@tensorflow/tfjs-backend-wasm');
    await tf.setBackend('wasm');
    const q = new FsqQuantizer({ levels: [9, 5, 17], bound, groups: [1, 2] });
    const z = tf.randomNormal([2, 4, 6, 3], 0, 1, 'float32', 9) as tf.Tensor4D;
    const before = tf.memory().numTensors;
    const train = q.quantize(z, { training: true, collectStats: true });
    const infer = q.quantize(z);
    expect(Array.from((train.indices as tf.Tensor).dataSync())).toEqual(Array.from((infer.indices as tf.Tensor).dataSync()));
    expect(train.stats.ks).toBeGreaterThan(0);
    const g = tf.grad((x: tf.Tensor) => {
      const r = q.quantize(x as tf.Tensor4D, { training: true });
      tf.dispose([r.indices as tf.Tensor, r.auxLoss]);
      return tf.sum(r.codes);
    })(z);
    const gv = g.dataSync();
    expect(gv.every((v) => v > 0 && v <= 1.01)).toBe(true);
    tf.dispose([train.codes, train.indices as tf.Tensor, train.auxLoss, infer.codes, infer.indices as tf.Tensor, infer.auxLoss, g]);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose(z);
    q.dispose();
  });
});
