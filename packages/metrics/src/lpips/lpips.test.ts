import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Lpips } from './lpips.js';

const fixture = (name: string): string => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
const expected = JSON.parse(readFileSync(fixture('lpips-expected.json'), 'utf8')) as Record<
  string,
  { standard: number[]; spatial: number[]; self: number[] }
> & { shape: number[] };

/** Same formula as `image()` in scripts/make_lpips_fixture.py. */
function images(which: number): tf.Tensor4D {
  const [N, H, W] = expected.shape;
  const data = new Float32Array(N * H * W * 3);
  let p = 0;
  for (let n = 0; n < N; n++)
    for (let h = 0; h < H; h++)
      for (let w = 0; w < W; w++)
        for (let c = 0; c < 3; c++)
          data[p++] = 0.9 * Math.sin(0.11 * (h + 1) * (c + 1) + 0.07 * w + 1.3 * n + 0.5 * which * (1 + Math.cos(0.2 * h)));
  return tf.tensor4d(data, [N, H, W, 3]);
}

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('Lpips against the torch fixture (scripts/make_lpips_fixture.py)', () => {
  for (const net of ['alex', 'vgg'] as const) {
    it(`matches torch per image with the ${net} trunk, standard and spatial, without leaking tensors`, async () => {
      const before = tf.memory().numTensors;
      const lp = await Lpips.load(fixture(`lpips-${net}-tiny.safetensors`), { net });
      const x = images(0);
      const y = images(1);
      const d = lp.distance(x, y);
      const s = lp.distance(x, y, { spatial: true });
      const self = lp.distance(x, x);
      const [dv, sv, selfv] = [d.dataSync(), s.dataSync(), self.dataSync()];
      for (let i = 0; i < 2; i++) {
        expect(Math.abs(dv[i] - expected[net].standard[i])).toBeLessThan(1e-5);
        expect(Math.abs(sv[i] - expected[net].spatial[i])).toBeLessThan(1e-5);
        expect(selfv[i]).toBe(0);
      }
      tf.dispose([d, s, self, x, y]);
      lp.dispose();
      expect(tf.memory().numTensors).toBe(before);
    });
  }

  it('explains that a weights file is required when none is given', async () => {
    await expect(Lpips.load(undefined)).rejects.toThrow(/no weights file given.*nothing is downloaded/);
  });

  it('names the missing tensor of an incomplete weights file', async () => {
    await expect(Lpips.load(fixture('lpips-alex-tiny.safetensors'), { net: 'vgg' })).rejects.toThrow(/missing weight tensor "features.2.weight"/);
  });
});
