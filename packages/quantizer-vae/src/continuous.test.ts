import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { AeQuantizer, VaeQuantizer } from './continuous.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** A VAE input `[B,h,w,2d]` whose first d channels are `mean` and last d are `logvar` at every position. */
function vaeInput(shape: [number, number, number], mean: number[], logvar: number[]): tf.Tensor4D {
  const [b, h, w] = shape;
  const row = [...mean, ...logvar];
  return tf.tensor4d(Array.from({ length: b * h * w }, () => row).flat(), [b, h, w, row.length]);
}

describe('VaeQuantizer', () => {
  it('declares a continuous latent of d channels fed by 2·d input channels', () => {
    const q = new VaeQuantizer({ latentChannels: 3 });
    expect(q.inputChannels).toBe(6);
    expect(q.spec).toEqual({
      channels: 3,
      kind: 'continuous',
      valueRange: null,
      bitsPerValue: 16,
      valuesPerPosition: 3,
      scale: { kind: 'constant', factor: 1 },
    });
    expect(q.namedParameters().size).toBe(0);
  });

  it('computes the KL of known Gaussians per sample, batch-averaged and weighted', () => {
    // μ = 1, log σ² = 0: ½(1 + 1 − 1 − 0) = ½ per element; μ = 0, log σ² = ln 4: ½(0 + 4 − 1 − ln 4) = 0.806853;
    // μ = −2, log σ² = −1: ½(4 + e⁻¹ − 1 + 1) = 2.183940. Per position: 0.5 + 0.806853 + 2.183940 = 3.490793;
    // per sample (h·w = 2·2 positions): 13.963173; batch mean over B = 2 is the same. klWeight 0.1 → 1.3963173.
    const q = new VaeQuantizer({ latentChannels: 3, klWeight: 0.1 });
    const z = vaeInput([2, 2, 2], [1, 0, -2], [0, Math.log(4), -1]);
    const r = q.quantize(z, { collectStats: true });
    const perPosition = 0.5 + 0.5 * (3 - Math.log(4)) + 0.5 * (4 + Math.exp(-1));
    expect(perPosition).toBeCloseTo(3.490793, 6);
    expect(r.stats.kl).toBeCloseTo(4 * perPosition, 4);
    expect(r.auxLoss.dataSync()[0]).toBeCloseTo(0.4 * perPosition, 5);
    tf.dispose([z, r.codes, r.auxLoss]);
  });

  it('clamps the log-variance to [−30, 20] in the KL', () => {
    // μ = 0, log σ² = −40 → −30: ½(e⁻³⁰ − 1 + 30) = 14.5; log σ² = 25 → 20: ½(e²⁰ − 1 − 20).
    const q = new VaeQuantizer({ latentChannels: 1, klWeight: 1 });
    const low = vaeInput([1, 1, 1], [0], [-40]);
    const high = vaeInput([1, 1, 1], [0], [25]);
    const rl = q.quantize(low);
    const rh = q.quantize(high);
    expect(rl.auxLoss.dataSync()[0]).toBeCloseTo(14.5, 5);
    expect(rh.auxLoss.dataSync()[0] / (0.5 * (Math.exp(20) - 21))).toBeCloseTo(1, 5);
    tf.dispose([low, high, rl.codes, rl.auxLoss, rh.codes, rh.auxLoss]);
  });

  it('returns the mean in evaluation', () => {
    const q = new VaeQuantizer({ latentChannels: 2 });
    const z = vaeInput([1, 2, 2], [0.25, -3], [1, 2]);
    const r = q.quantize(z);
    const expected = vaeInput([1, 2, 2], [0.25, -3], []);
    expect(r.codes.arraySync()).toEqual(expected.arraySync());
    tf.dispose([z, r.codes, r.auxLoss, expected]);
  });

  it('samples μ + σ·ε in training, reproducibly per seed, with the right moments', () => {
    // μ = 2, log σ² = ln 0.25 → σ = 0.5; 4096 draws: mean within 0.05, std within 0.05.
    const z = vaeInput([4, 32, 32], [2], [Math.log(0.25)]);
    const a = new VaeQuantizer({ latentChannels: 1, seed: 9 });
    const b = new VaeQuantizer({ latentChannels: 1, seed: 9 });
    const ra = a.quantize(z, { training: true, collectStats: true });
    const rb = b.quantize(z, { training: true });
    const rc = a.quantize(z, { training: true });
    expect(ra.codes.arraySync()).toEqual(rb.codes.arraySync());
    expect(ra.codes.arraySync()).not.toEqual(rc.codes.arraySync());
    expect(ra.stats.latent_mean).toBeCloseTo(2, 1);
    expect(Math.abs(Math.sqrt(ra.stats.latent_var) - 0.5)).toBeLessThan(0.05);
    expect(ra.stats.bits_per_value).toBe(16);
    tf.dispose([z, ra.codes, ra.auxLoss, rb.codes, rb.auxLoss, rc.codes, rc.auxLoss]);
  });

  it('draws the same noise for the same per-call seed (so a resumed run repeats it), different for another', () => {
    const q = new VaeQuantizer({ latentChannels: 2 });
    const z = tf.zeros([1, 2, 2, 4]) as tf.Tensor4D;
    const a = q.quantize(z, { training: true, seed: 11 });
    const b = q.quantize(z, { training: true, seed: 11 });
    const c = q.quantize(z, { training: true, seed: 12 });
    expect([...b.codes.dataSync()]).toEqual([...a.codes.dataSync()]);
    expect([...c.codes.dataSync()]).not.toEqual([...a.codes.dataSync()]);
    tf.dispose([z, a.codes, a.auxLoss, b.codes, b.auxLoss, c.codes, c.auxLoss]);
    q.dispose();
  });

  it('reparameterises: ∂codes/∂μ = 1 and ∂codes/∂logσ² = ½(codes − μ)', () => {
    const q = new VaeQuantizer({ latentChannels: 2, klWeight: 0, seed: 4 });
    const z = vaeInput([1, 2, 2], [1, -1], [0.3, -0.7]);
    let codes: number[][][][] = [];
    const grad = tf.grad((x: tf.Tensor) => {
      const r = q.quantize(x as tf.Tensor4D, { training: true });
      codes = r.codes.arraySync();
      return tf.sum(r.codes);
    })(z);
    const g = (grad.arraySync() as number[][][][])[0];
    const c = codes[0];
    for (let i = 0; i < 2; i++) {
      for (let j = 0; j < 2; j++) {
        expect(g[i][j][0]).toBeCloseTo(1, 6);
        expect(g[i][j][1]).toBeCloseTo(1, 6);
        expect(g[i][j][2]).toBeCloseTo(0.5 * (c[i][j][0] - 1), 5);
        expect(g[i][j][3]).toBeCloseTo(0.5 * (c[i][j][1] + 1), 5);
      }
    }
    tf.dispose([z, grad]);
  });

  it('has no indices and says why', () => {
    const q = new VaeQuantizer();
    const codes = tf.zeros([1, 1, 1, 4]) as tf.Tensor4D;
    expect(() => q.codesToIndices(codes)).toThrow(/vae quantizer produces continuous latents and has no indices/);
    expect(() => q.indicesToCodes(codes)).toThrow(/discrete quantizer/);
    codes.dispose();
  });

  it('rejects an input without 2·d channels', () => {
    const q = new VaeQuantizer({ latentChannels: 4 });
    const z = tf.zeros([1, 1, 1, 4]) as tf.Tensor4D;
    expect(() => q.quantize(z)).toThrow(/input has 4 channels, expected 2 × latentChannels = 8/);
    z.dispose();
  });
});

describe('AeQuantizer', () => {
  it('passes the latent through unchanged and deterministically, with zero auxiliary loss', () => {
    const q = new AeQuantizer({ latentChannels: 2, bitsPerValue: 32 });
    expect(q.inputChannels).toBe(2);
    expect(q.spec.bitsPerValue).toBe(32);
    expect(q.spec.kind).toBe('continuous');
    const z = tf.randomNormal([2, 3, 3, 2], 0, 1, 'float32', 1) as tf.Tensor4D;
    const a = q.quantize(z, { training: true });
    const b = q.quantize(z, { training: true });
    const c = q.quantize(z);
    expect(a.codes.arraySync()).toEqual(z.arraySync());
    expect(b.codes.arraySync()).toEqual(a.codes.arraySync());
    expect(c.codes.arraySync()).toEqual(a.codes.arraySync());
    expect(a.auxLoss.dataSync()[0]).toBe(0);
    expect(a.indices).toBeUndefined();
    // Codes are a separate tensor: disposing them leaves the input alive.
    a.codes.dispose();
    expect(z.isDisposed).toBe(false);
    tf.dispose([z, a.auxLoss, b.codes, b.auxLoss, c.codes, c.auxLoss]);
  });

  it('rejects a per-channel scale of the wrong length naming the option', () => {
    expect(() => new AeQuantizer({ latentChannels: 2, scale: { kind: 'per-channel', mean: [0], std: [1] } })).toThrow(
      /ae quantizer: option "scale": per-channel mean and std must have 2 entries/,
    );
  });
});

describe('continuous quantizer training steps', () => {
  for (const [name, make] of [
    ['vae', () => new VaeQuantizer({ latentChannels: 2, klWeight: 1e-3, seed: 1 })],
    ['ae', () => new AeQuantizer({ latentChannels: 2 })],
  ] as const) {
    it(`leaks no tensor across 50 steps (${name})`, () => {
      const q = make();
      const x = tf.randomNormal([4, 4, 4, 3], 0, 1, 'float32', 5);
      const encoder = tf.variable(tf.randomNormal([3, q.inputChannels], 0, 0.3, 'float32', 6));
      const decoder = tf.variable(tf.randomNormal([2, 3], 0, 0.3, 'float32', 7));
      const optimizer = tf.train.adam(0.01);
      const step = (collectStats: boolean) =>
        tf.tidy(() => {
          const { value, grads } = tf.variableGrads(() => {
            const z = tf.reshape(tf.matMul(tf.reshape(x, [-1, 3]), encoder), [4, 4, 4, q.inputChannels]) as tf.Tensor4D;
            const r = q.quantize(z, { training: true, collectStats });
            const rec = tf.matMul(tf.reshape(r.codes, [-1, 2]), decoder);
            return tf.add(tf.mean(tf.square(tf.sub(rec, tf.reshape(x, [-1, 3])))), r.auxLoss) as tf.Scalar;
          });
          optimizer.applyGradients(grads as tf.NamedTensorMap as never);
          return value.dataSync()[0];
        });
      const first = step(true);
      const before = tf.memory().numTensors;
      let last = first;
      for (let i = 0; i < 50; i++) last = step(i % 10 === 0);
      expect(tf.memory().numTensors).toBe(before);
      expect(last).toBeLessThan(first);
      optimizer.dispose();
      tf.dispose([x, encoder, decoder]);
    });
  }
});
