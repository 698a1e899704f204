import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { chooseCpuBackend } from './choose.js';
import { INFERENCE_KERNELS, TRAINING_KERNELS } from './kernels.js';
import { prepareWasmBackend } from './wasm/index.js';

describe('chooseCpuBackend', () => {
  it('prefers wasm when it registers every required kernel', () => {
    const d = chooseCpuBackend(['Conv2D', 'BatchMatMul'], { wasm: ['Conv2D', 'BatchMatMul', 'Add'], cpu: ['Conv2D', 'BatchMatMul'] });
    expect(d.name).toBe('wasm');
    expect(d.reason).toMatch(/all 2 kernels/);
  });

  it('falls back to cpu and names the kernels wasm lacks', () => {
    const d = chooseCpuBackend(['Conv2D', 'Conv2DBackpropFilter', 'UnsortedSegmentSum'], {
      wasm: ['Conv2D'],
      cpu: ['Conv2D', 'Conv2DBackpropFilter', 'UnsortedSegmentSum'],
    });
    expect(d.name).toBe('cpu');
    expect(d.reason).toContain('Conv2DBackpropFilter, UnsortedSegmentSum');
    expect(d.reason).not.toContain('cpu also lacks');
  });

  it('uses cpu when the wasm backend could not be loaded', () => {
    const d = chooseCpuBackend(['Conv2D'], { wasm: [], cpu: ['Conv2D'] });
    expect(d).toEqual({ name: 'cpu', reason: expect.stringContaining('not available') });
  });

  it('says when even cpu lacks a kernel', () => {
    const d = chooseCpuBackend(['Fancy'], { wasm: ['Conv2D'], cpu: ['Conv2D'] });
    expect(d.name).toBe('cpu');
    expect(d.reason).toContain('cpu also lacks Fancy');
  });
});

describe('kernel lists against the real tfjs 4.22 backends', () => {
  let cpu: string[];
  let wasm: string[];
  beforeAll(async () => {
    await tf.setBackend('cpu');
    await prepareWasmBackend();
    cpu = tf.getKernelsForBackend('cpu').map((k) => k.kernelName);
    wasm = tf.getKernelsForBackend('wasm').map((k) => k.kernelName);
  });

  it('lists only kernels the cpu backend registers', () => {
    expect(TRAINING_KERNELS.filter((k) => !cpu.includes(k))).toEqual([]);
  });

  it('training includes the backward kernels and every inference kernel', () => {
    for (const k of ['Conv2D', 'Conv2DBackpropInput', 'Conv2DBackpropFilter', 'BatchMatMul', 'UnsortedSegmentSum']) {
      expect(TRAINING_KERNELS).toContain(k);
    }
    expect(INFERENCE_KERNELS.every((k) => TRAINING_KERNELS.includes(k))).toBe(true);
  });

  it('picks wasm for inference and cpu for training with the wasm kernels registered today', () => {
    expect(chooseCpuBackend(INFERENCE_KERNELS, { wasm, cpu }).name).toBe('wasm');
    const training = chooseCpuBackend(TRAINING_KERNELS, { wasm, cpu });
    if (['Conv2DBackpropFilter', 'UnsortedSegmentSum'].every((k) => wasm.includes(k))) {
      // The trainable wasm path (backend/wasm) registers the missing kernels: then wasm trains too.
      expect(training.name).toBe(TRAINING_KERNELS.every((k) => wasm.includes(k)) ? 'wasm' : 'cpu');
    } else {
      expect(training.name).toBe('cpu');
      expect(training.reason).toMatch(/Conv2DBackpropFilter|UnsortedSegmentSum/);
    }
  });
});
