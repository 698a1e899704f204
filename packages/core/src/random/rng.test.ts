import { describe, expect, it } from 'vitest';
import { SeededRng } from './rng.js';

describe('SeededRng', () => {
  it('draws the same sequence for the same seed and a different one for another seed', () => {
    const a = new SeededRng(7);
    const b = new SeededRng(7);
    const c = new SeededRng(8);
    const sa = Array.from({ length: 5 }, () => a.next());
    expect(Array.from({ length: 5 }, () => b.next())).toEqual(sa);
    expect(Array.from({ length: 5 }, () => c.next())).not.toEqual(sa);
  });

  it('resumes exactly from a saved state, including a cached normal sample', () => {
    const a = new SeededRng('run');
    a.normal();
    const state = a.getState();
    const expected = [a.normal(), a.next(), a.int(10)];
    const b = new SeededRng('other');
    b.setState(state);
    expect([b.normal(), b.next(), b.int(10)]).toEqual(expected);
  });

  it('produces normals with mean ~0 and variance ~1', () => {
    const r = new SeededRng(1);
    const n = 20000;
    let s = 0;
    let s2 = 0;
    for (let i = 0; i < n; i++) {
      const v = r.normal();
      s += v;
      s2 += v * v;
    }
    expect(Math.abs(s / n)).toBeLessThan(0.03);
    expect(Math.abs(s2 / n - 1)).toBeLessThan(0.05);
  });

  it('forks independent streams without advancing the parent', () => {
    const a = new SeededRng(3);
    const before = a.getState();
    const f1 = a.fork('x').next();
    expect(a.getState()).toEqual(before);
    expect(new SeededRng(3).fork('x').next()).toBe(f1);
    expect(a.fork('y').next()).not.toBe(f1);
  });

  it('shuffles into a permutation', () => {
    const p = new SeededRng(5).permutation(100);
    expect([...p].sort((x, y) => x - y)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect([...p]).not.toEqual(Array.from({ length: 100 }, (_, i) => i));
  });
});
