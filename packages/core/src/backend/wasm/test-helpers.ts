import * as tf from '@tensorflow/tfjs';
export { seededNormal } from './seeded-normal.js';

/** Runs `fn` with `backend` active and returns the flat values of its result (the result is disposed). */
export async function valuesOn(backend: string, fn: () => tf.Tensor): Promise<Float32Array> {
  await tf.setBackend(backend);
  const t = tf.tidy(fn);
  const v = (await t.data()) as Float32Array;
  t.dispose();
  return Float32Array.from(v);
}

/** Largest |a−b| / (atol + rtol·|b|) over all elements; ≤ 1 means "close". */
export function closeness(actual: ArrayLike<number>, expected: ArrayLike<number>, rtol = 1e-4, atol = 1e-5): number {
  if (actual.length !== expected.length) throw new Error(`length ${actual.length} vs ${expected.length}`);
  let worst = 0;
  for (let i = 0; i < actual.length; i++) {
    const e = Math.abs(actual[i] - expected[i]) / (atol + rtol * Math.abs(expected[i]));
    if (!(e <= worst)) worst = Number.isNaN(e) ? Infinity : Math.max(worst, e);
  }
  return worst;
}
