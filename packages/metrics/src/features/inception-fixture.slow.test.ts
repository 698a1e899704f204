import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { INCEPTION_CONVS } from './inception-layout.js';
import { InceptionV3FeatureExtractor } from './inception.js';
import { weightsFromMap } from './weights.js';

/** Output of scripts/make_inception_fixture.py (an independent PyTorch transcription of pytorch-fid's network). */
const fixture = JSON.parse(readFileSync(new URL('./fixtures/inception-features.json', import.meta.url), 'utf8')) as {
  inputSize: number;
  imageShape: [number, number, number, number];
  weightNames: string[];
  first64: number[][];
  mean: number[];
  l2: number[];
  argmax: number[];
};

/** Same as formula_weights() in the script. */
function formulaWeight(name: string, shape: number[]): tf.Tensor {
  const size = shape.reduce((a, b) => a * b, 1);
  let q = 0;
  for (const ch of name) q += ch.charCodeAt(0);
  q %= 997;
  const v = new Float32Array(size);
  const fanIn = size / shape[0];
  for (let i = 0; i < size; i++) {
    if (name.endsWith('conv.weight')) v[i] = Math.sin(0.7 * i + 1.3 * q) * (2 / Math.sqrt(fanIn));
    else if (name.endsWith('bn.weight')) v[i] = 1 + 0.1 * Math.sin(i + q);
    else if (name.endsWith('bn.bias')) v[i] = 0.05 * Math.cos(i + q);
    else if (name.endsWith('running_mean')) v[i] = 0.02 * Math.sin(0.3 * i + q);
    else v[i] = 1 + 0.5 * Math.abs(Math.sin(0.5 * i + q));
  }
  return tf.tensor(v, shape);
}

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('InceptionV3FeatureExtractor against an independent PyTorch transcription', () => {
  it('uses exactly the state-dict names of the PyTorch network', () => {
    const ours = INCEPTION_CONVS.flatMap((c) =>
      ['conv.weight', 'bn.weight', 'bn.bias', 'bn.running_mean', 'bn.running_var'].map((s) => `${c.name}.${s}`),
    ).sort();
    expect(ours).toEqual([...fixture.weightNames].sort());
  });

  it('matches the torch features (resize, paddings, pools, BN folding, branch order) within 1e-4', () => {
    const map = new Map<string, tf.Tensor>();
    for (const c of INCEPTION_CONVS) {
      map.set(`${c.name}.conv.weight`, formulaWeight(`${c.name}.conv.weight`, [c.outChannels, c.inChannels, ...c.kernel]));
      for (const s of ['bn.weight', 'bn.bias', 'bn.running_mean', 'bn.running_var']) map.set(`${c.name}.${s}`, formulaWeight(`${c.name}.${s}`, [c.outChannels]));
    }
    const net = InceptionV3FeatureExtractor.fromWeights(weightsFromMap(map), { inputSize: fixture.inputSize });
    const [n, h, w] = fixture.imageShape;
    const data = new Float32Array(n * h * w * 3);
    let p = 0;
    for (let a = 0; a < n; a++)
      for (let y = 0; y < h; y++)
        for (let x = 0; x < w; x++) for (let c = 0; c < 3; c++) data[p++] = 0.9 * Math.sin(0.05 * (y + 1) * (c + 1) + 0.03 * x + a);
    const images = tf.tensor4d(data, [n, h, w, 3]);
    const f = net.extract(images);
    const got = f.arraySync();
    for (let a = 0; a < n; a++) {
      fixture.first64[a].forEach((v, j) => expect(Math.abs(got[a][j] - v)).toBeLessThan(1e-4));
      expect(got[a].reduce((s, v) => s + v, 0) / 2048).toBeCloseTo(fixture.mean[a], 5);
      expect(Math.hypot(...got[a])).toBeCloseTo(fixture.l2[a], 4);
      expect(got[a].indexOf(Math.max(...got[a]))).toBe(fixture.argmax[a]);
    }
    tf.dispose([images, f]);
    net.dispose();
  });
});
