import type { Metric, MetricBatch, MetricResult } from '@ifsq/core';
import type * as tf from '@tensorflow/tfjs';
import { cknna } from '../repr/cknna.js';
import { need } from './mean-state.js';

/** A metric batch carrying two representations of the same samples. */
export interface RepresentationBatch extends MetricBatch {
  /** First representation `[n, d_a]` (e.g. mean-pooled generator hidden states). */
  representationA?: tf.Tensor;
  /** Second representation `[n, d_b]` (e.g. mean-pooled DINOv2 features of the decoded images). */
  representationB?: tf.Tensor;
}

/** State of {@link CknnaMetric}: sum and count of per-batch CKNNA values. */
export interface CknnaState {
  sum: number;
  batches: number;
}

function rows(t: tf.Tensor): { data: ArrayLike<number>; rows: number; cols: number } {
  const n = t.shape[0];
  const cols = t.size / n;
  return { data: t.dataSync(), rows: n, cols };
}

/**
 * CKNNA per batch, averaged over batches (iFSQ's protocol). Uses `representationA`/`representationB` when the batch
 * has them, otherwise compares `real` and `fake` images flattened per sample.
 */
export class CknnaMetric implements Metric<CknnaState> {
  readonly name = 'cknna';
  private s: CknnaState = { sum: 0, batches: 0 };
  constructor(private readonly options: { topk: number; normalize?: boolean }) {}

  reset(): void {
    this.s = { sum: 0, batches: 0 };
  }

  update(batch: RepresentationBatch): void {
    const a = batch.representationA ?? need(batch.real, 'cknna', 'representationA or real');
    const b = batch.representationB ?? need(batch.fake, 'cknna', 'representationB or fake');
    this.s.sum += cknna(rows(a), rows(b), this.options);
    this.s.batches++;
  }

  compute(): MetricResult {
    return {
      values: { cknna: this.s.batches ? this.s.sum / this.s.batches : Number.NaN, cknna_batches: this.s.batches },
      provenance: { metric: 'cknna', topk: this.options.topk, normalizeRows: this.options.normalize ?? false, averaging: 'mean over batches' },
    };
  }

  state(): CknnaState {
    return { ...this.s };
  }

  merge(other: CknnaState): void {
    this.s.sum += other.sum;
    this.s.batches += other.batches;
  }
}
