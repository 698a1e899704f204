import { describe, expect, it } from 'vitest';
import { cknna } from './cknna.js';
import { tokenSimilarityByLayer } from './token-similarity.js';

const FA = [[1.0, 0.2], [0.9, 0.4], [0.1, 1.0], [0.3, 0.8], [-0.7, 0.5], [-1.0, -0.1], [-0.4, -0.9], [0.6, -0.8]];
const FB = [[0.8, 0.1, 0.3], [0.7, 0.5, 0.2], [0.0, 0.9, 0.4], [0.2, 0.7, 0.1], [-0.6, 0.6, 0.0], [-0.9, 0.0, -0.2], [-0.3, -0.8, 0.5], [0.5, -0.7, 0.6]];

describe('cknna (spec §11.11)', () => {
  const table: Array<[number, number, number]> = [
    [2, 0.909994, 0.999989],
    [3, 0.935954, 0.999991],
    [5, 0.868473, 0.999995],
  ];
  for (const [k, ab, aa] of table) {
    it(`gives ${ab} across and ${aa} on itself with topk ${k}`, () => {
      expect(cknna(FA, FB, { topk: k })).toBeCloseTo(ab, 6);
      expect(cknna(FA, FA, { topk: k })).toBeCloseTo(aa, 6);
    });
  }

  it('gives 0.949843 with L2-normalised rows at topk 3', () => {
    expect(cknna(FA, FB, { topk: 3, normalize: true })).toBeCloseTo(0.949843, 6);
  });

  it('requires topk and enough samples', () => {
    expect(() => cknna(FA, FB, {} as { topk: number })).toThrow(/topk is required/);
    expect(() => cknna(FA.slice(0, 3), FB.slice(0, 3), { topk: 2 })).toThrow(/at least 4 samples/);
    expect(() => cknna(FA, FB.slice(1), { topk: 2 })).toThrow(/same samples/);
  });
});

describe('tokenSimilarityByLayer (our STS/NTS definitions)', () => {
  it('is 1 for hidden states equal to the read token embedding and 0 for orthogonal predicted tokens', () => {
    const E = [[1, 0], [0, 1]];
    const r = tokenSimilarityByLayer({ hidden: [[[2, 0], [0, 3]], [[0, 1], [1, 0]]], embeddings: E, inputTokens: [0, 1], targetTokens: [1, 0] });
    expect(r.sts[0]).toBeCloseTo(1, 12);
    expect(r.nts[0]).toBeCloseTo(0, 12);
    expect(r.sts[1]).toBeCloseTo(0, 12);
    expect(r.nts[1]).toBeCloseTo(1, 12);
  });
});
