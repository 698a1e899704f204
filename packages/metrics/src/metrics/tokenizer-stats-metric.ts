import type { LatentSpec, Metric, MetricBatch, MetricResult } from '@ifsq/core';
import { compressionRatio } from '../stats/compression.js';
import { occupancy } from '../stats/entropy.js';
import { ksUniform, ksUniformRmse } from '../stats/ks.js';

/** Options of {@link TokenizerStatsMetric}. */
export interface TokenizerStatsOptions {
  /**
   * Report every per-dimension bin fraction as a value `dim{i}_bin{k}` (otherwise only in provenance).
   * @default true
   */
  binValues?: boolean;
  /**
   * Most pre-rounding values kept for the KS statistic (the first ones seen; KS needs the sorted sample).
   * @default 500000
   */
  maxKsSamples?: number;
}

/** Mergeable state of {@link TokenizerStatsMetric}. */
export interface TokenizerStatsState {
  /** Counts of global codeword indices, sparse `{ index: count }`. */
  codeCounts: Record<string, number>;
  /** Per-dimension bin counts (FSQ), one array per dimension. */
  binCounts: number[][];
  /** Number of positions counted. */
  tokens: number;
  /** Pre-rounding values kept for KS. */
  ksSamples: number[];
  /** Latent spec seen. */
  spec?: LatentSpec;
  /** `[H, W, C]` of the images and `[h, w]` of the latent grid, once seen. */
  imageShape?: number[];
  latentShape?: number[];
}

/** Split FSQ levels into the consecutive groups whose products are the vocab sizes. */
function levelGroups(levels: number[], vocabSizes: number[]): number[][] {
  const groups: number[][] = [];
  let i = 0;
  for (const v of vocabSizes) {
    const g: number[] = [];
    let prod = 1;
    while (i < levels.length && prod < v) {
      prod *= levels[i];
      g.push(levels[i++]);
    }
    if (prod !== v) throw new Error(`tokenizer-stats: spec.levels [${levels}] do not factor into spec.vocabSizes [${vocabSizes}]`);
    groups.push(g);
  }
  return groups;
}

/** Value names every tokenizer reports (NaN where they do not apply), so reports of different tokenizers align. */
export const HEADLINE_VALUES = [
  'utilization',
  'entropy_bits',
  'entropy_normalized',
  'perplexity',
  'codebook_size',
  'ks',
  'ks_rmse',
  'bits_per_value',
  'compression_ratio',
] as const;

/**
 * Codebook and bin statistics of a tokenizer (spec §9.5, §9.6, §9.9): global utilization, entropy, perplexity of
 * the codeword indices; per-dimension utilization, entropy, perplexity and bin histograms of FSQ digits (decoded
 * from the indices with the spec's levels and index order); KS and its RMSE companion of the pre-rounding values
 * against Uniform(valueRange); bits per latent value and compression ratio.
 */
export class TokenizerStatsMetric implements Metric<TokenizerStatsState> {
  readonly name = 'tokenizer-stats';
  private s: TokenizerStatsState = TokenizerStatsMetric.empty();
  constructor(private readonly options: TokenizerStatsOptions = {}) {}

  private static empty(): TokenizerStatsState {
    return { codeCounts: {}, binCounts: [], tokens: 0, ksSamples: [] };
  }

  reset(): void {
    this.s = TokenizerStatsMetric.empty();
  }

  update(batch: MetricBatch): void {
    const spec = batch.spec ?? this.s.spec;
    if (spec) this.s.spec = spec;
    const img = batch.real ?? batch.fake;
    if (img && !this.s.imageShape) this.s.imageShape = img.shape.slice(1);
    if (batch.indices && spec) this.addIndices(batch.indices.shape, batch.indices.dataSync(), spec);
    const latent = batch.codes ?? batch.preQuant ?? batch.indices;
    if (latent && !this.s.latentShape) this.s.latentShape = latent.shape.slice(1, 3);
    if (batch.preQuant) {
      const room = (this.options.maxKsSamples ?? 500_000) - this.s.ksSamples.length;
      if (room > 0) {
        const v = batch.preQuant.dataSync();
        for (let i = 0; i < Math.min(room, v.length); i++) this.s.ksSamples.push(v[i]);
      }
    }
  }

  private addIndices(shape: number[], data: ArrayLike<number>, spec: LatentSpec): void {
    const vocab = spec.vocabSizes ?? [];
    const G = vocab.length;
    if (G === 0) return; // continuous latent: no codes
    if (!this.s.latentShape) this.s.latentShape = shape.slice(1, 3);
    const positions = G > 1 ? data.length / G : data.length;
    const levels = spec.levels;
    const groups = levels ? levelGroups(levels, vocab) : undefined;
    if (levels && this.s.binCounts.length === 0) this.s.binCounts = levels.map((l) => new Array<number>(l).fill(0));
    for (let p = 0; p < positions; p++) {
      let global = 0;
      let weight = 1;
      let dim = 0;
      for (let g = 0; g < G; g++) {
        const idx = G > 1 ? data[p * G + g] : data[p];
        global += idx * weight;
        weight *= vocab[g];
        if (groups) {
          const ls = groups[g];
          const order = spec.indexOrder === 'big' ? [...ls.keys()].reverse() : [...ls.keys()];
          let rest = idx;
          for (const k of order) {
            this.s.binCounts[dim + k][rest % ls[k]]++;
            rest = Math.floor(rest / ls[k]);
          }
          dim += ls.length;
        }
      }
      this.s.codeCounts[global] = (this.s.codeCounts[global] ?? 0) + 1;
    }
    this.s.tokens += positions;
  }

  compute(): MetricResult {
    // Every tokenizer reports the same value names; what does not apply (codebook statistics of a continuous
    // latent, KS of an unbounded one) is NaN, with the reason in the provenance.
    const values: Record<string, number> = { tokens: this.s.tokens };
    for (const k of HEADLINE_VALUES) values[k] = Number.NaN;
    const provenance: Record<string, unknown> = { metric: 'tokenizer-stats' };
    const spec = this.s.spec;
    if (spec?.vocabSizes && this.s.tokens > 0) {
      const K = spec.vocabSizes.reduce((a, b) => a * b, 1);
      const counts = new Map<number, number>(Object.entries(this.s.codeCounts).map(([k, v]) => [Number(k), v]));
      const o = occupancy(counts, K);
      Object.assign(values, {
        utilization: o.utilization,
        entropy_bits: o.entropyBits,
        entropy_normalized: o.normalizedEntropy,
        perplexity: o.perplexity,
        codebook_size: K,
      });
      const histograms: number[][] = [];
      const perDimension: Array<Record<string, number>> = [];
      this.s.binCounts.forEach((counts, i) => {
        const d = occupancy(counts, counts.length);
        const total = counts.reduce((a, b) => a + b, 0);
        const fractions = counts.map((c) => c / total);
        histograms.push(fractions);
        perDimension.push({ utilization: d.utilization, entropy_bits: d.entropyBits, perplexity: d.perplexity });
        if (this.options.binValues ?? false) {
          values[`dim${i}_utilization`] = d.utilization;
          values[`dim${i}_entropy_bits`] = d.entropyBits;
          values[`dim${i}_perplexity`] = d.perplexity;
          fractions.forEach((f, k) => (values[`dim${i}_bin${k}`] = f));
        }
      });
      if (histograms.length) {
        provenance.binHistograms = histograms;
        provenance.perDimension = perDimension;
      }
    } else {
      provenance.codebook = 'not applicable: the latent is continuous (no indices)';
    }
    if (this.s.ksSamples.length > 0 && spec?.valueRange === null) {
      provenance.ks = 'skipped: the latent is unbounded (spec.valueRange is null), a uniform reference does not apply';
    } else if (this.s.ksSamples.length > 0) {
      const [low, high] = spec?.valueRange ?? [-1, 1];
      values.ks = ksUniform(this.s.ksSamples, { low, high });
      values.ks_rmse = ksUniformRmse(this.s.ksSamples, { low, high });
      provenance.ks = { samples: this.s.ksSamples.length, reference: `Uniform(${low}, ${high})`, values: 'pre-rounding bounded latent values' };
    }
    if (spec) {
      values.bits_per_value = spec.bitsPerValue;
      const img = this.s.imageShape;
      const lat = this.s.latentShape;
      if (img && lat) {
        values.compression_ratio = compressionRatio({
          height: img[0], width: img[1], channels: img[2],
          latentHeight: lat[0], latentWidth: lat[1],
          valuesPerPosition: spec.valuesPerPosition, bitsPerValue: spec.bitsPerValue,
        });
        provenance.shapes = { image: img, latent: [...lat, spec.valuesPerPosition] };
      }
    }
    return { values, provenance };
  }

  state(): TokenizerStatsState {
    return JSON.parse(JSON.stringify(this.s)) as TokenizerStatsState;
  }

  merge(other: TokenizerStatsState): void {
    for (const [k, v] of Object.entries(other.codeCounts)) this.s.codeCounts[k] = (this.s.codeCounts[k] ?? 0) + v;
    if (this.s.binCounts.length === 0) this.s.binCounts = other.binCounts.map((c) => [...c]);
    else other.binCounts.forEach((c, i) => c.forEach((v, k) => (this.s.binCounts[i][k] += v)));
    this.s.tokens += other.tokens;
    const room = (this.options.maxKsSamples ?? 500_000) - this.s.ksSamples.length;
    this.s.ksSamples.push(...other.ksSamples.slice(0, Math.max(0, room)));
    this.s.spec ??= other.spec;
    this.s.imageShape ??= other.imageShape;
    this.s.latentShape ??= other.latentShape;
  }
}
