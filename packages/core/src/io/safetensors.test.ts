import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeSafetensors, encodeSafetensors } from './safetensors.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** Bytes of a file with one tensor, laid out by hand from the format description. */
function handMade(dtype: string, shape: number[], data: Uint8Array, extra = ''): Uint8Array {
  const header = `{"x":{"dtype":"${dtype}","shape":${JSON.stringify(shape)},"data_offsets":[0,${data.byteLength}]}${extra}}`;
  const h = new TextEncoder().encode(header);
  const out = new Uint8Array(8 + h.byteLength + data.byteLength);
  new DataView(out.buffer).setBigUint64(0, BigInt(h.byteLength), true);
  out.set(h, 8);
  out.set(data, 8 + h.byteLength);
  return out;
}

describe('safetensors', () => {
  it('round-trips float32, int32 and bool tensors with metadata', async () => {
    const m = new Map<string, tf.Tensor>([
      ['b.weight', tf.tensor2d([[1.5, -2], [3, 4.25]])],
      ['a.count', tf.tensor1d([7, -1, 2147483647], 'int32')],
      ['c.mask', tf.tensor1d([true, false, true], 'bool')],
    ]);
    const bytes = await encodeSafetensors(m, { format: 'pt', step: '3' });
    const headerLength = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect((8 + headerLength) % 8).toBe(0);
    const back = decodeSafetensors(bytes);
    expect(back.metadata).toEqual({ format: 'pt', step: '3' });
    expect([...back.tensors.keys()].sort()).toEqual(['a.count', 'b.weight', 'c.mask']);
    expect(back.tensors.get('b.weight')!.arraySync()).toEqual([[1.5, -2], [3, 4.25]]);
    expect(back.tensors.get('a.count')!.dtype).toBe('int32');
    expect(back.tensors.get('a.count')!.arraySync()).toEqual([7, -1, 2147483647]);
    expect(back.tensors.get('c.mask')!.dtype).toBe('bool');
    expect(back.tensors.get('c.mask')!.arraySync()).toEqual([1, 0, 1]);
    tf.dispose([...m.values(), ...back.tensors.values()]);
  });

  it('reads a file laid out by hand, including float16, bfloat16 and int64 tensors', () => {
    const f16 = new Uint8Array(new Uint16Array([0x3c00, 0xc000, 0x3555]).buffer); // 1, -2, ~0.33325
    expect(decodeSafetensors(handMade('F16', [3], f16)).tensors.get('x')!.dataSync()[2]).toBeCloseTo(0.33325, 5);
    const bf16 = new Uint8Array(new Uint16Array([0x3f80, 0xc040]).buffer); // 1, -3
    expect([...decodeSafetensors(handMade('BF16', [2], bf16)).tensors.get('x')!.dataSync()]).toEqual([1, -3]);
    const i64 = new Uint8Array(new BigInt64Array([5n, -6n]).buffer);
    expect([...decodeSafetensors(handMade('I64', [2, 1], i64)).tensors.get('x')!.dataSync()]).toEqual([5, -6]);
  });

  it('names the source and the problem for truncated or inconsistent files', () => {
    const good = handMade('F32', [2], new Uint8Array(8));
    expect(() => decodeSafetensors(good.subarray(0, 5), 'w.safetensors')).toThrow(/w\.safetensors: .*at least 8/);
    expect(() => decodeSafetensors(good.subarray(0, good.byteLength - 4), 'w.safetensors')).toThrow(
      /w\.safetensors: .*past the end/,
    );
    expect(() => decodeSafetensors(handMade('F32', [3], new Uint8Array(8)), 'x.st')).toThrow(/needs 12/);
    expect(() => decodeSafetensors(handMade('C64', [1], new Uint8Array(8)), 'x.st')).toThrow(/unsupported dtype/);
    const i64 = new Uint8Array(new BigInt64Array([2n ** 40n]).buffer);
    expect(() => decodeSafetensors(handMade('I64', [1], i64), 'x.st')).toThrow(/outside the int32 range/);
  });

  it('reads tensors from a Node Buffer that is a view into a larger pool', async () => {
    const bytes = await encodeSafetensors(new Map([['t', tf.tensor1d([1, 2, 3])]]));
    const pool = Buffer.alloc(bytes.byteLength + 64);
    pool.set(bytes, 32);
    const view = pool.subarray(32, 32 + bytes.byteLength);
    const t = decodeSafetensors(view).tensors.get('t')!;
    expect([...t.dataSync()]).toEqual([1, 2, 3]);
    t.dispose();
  });

  it('leaks no tensors beyond the ones it returns', async () => {
    const t = tf.ones([4, 4]);
    const before = tf.memory().numTensors;
    const bytes = await encodeSafetensors(new Map([['t', t]]));
    const back = decodeSafetensors(bytes);
    expect(tf.memory().numTensors).toBe(before + 1);
    tf.dispose([t, ...back.tensors.values()]);
  });
});
