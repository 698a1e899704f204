import * as tf from '@tensorflow/tfjs';
import type { Static } from '@sinclair/typebox';
import type { LatentScale } from '../contracts/latent-spec.js';
import { encodeSafetensors } from '../io/safetensors.js';
import { LatentScaleMeter } from './latent-scale-meter.js';
import type { Stage, StageContext, StageResult } from '../stage/stage.js';
import type { EncodeOptions } from './plugins.js';
import { buildTokenizer, holdoutOf, loadTokenizerData, loadTrainedTokenizer } from './stage-support.js';

/** Options of the `encode` stage (documented in its plugin schema). */
export type EncodeStageOptions = Static<typeof EncodeOptions>;

/**
 * Encode the whole dataset (training and held-out images) with the trained tokenizer into one safetensors token
 * file: `codes` `[N,h,w,d]` (float32), `indices` (int32, discrete tokenizers), `labels` `[N]`, and `holdout` `[N]`
 * (1 for images `train-tokenizer` held out). The metadata carries the latent spec — with the per-channel mean/std
 * measured here as its scale when the `scale` option says so — so generators normalise consistently.
 */
export class EncodeStage implements Stage {
  /** @param options - validated stage options. */
  constructor(readonly options: EncodeStageOptions) {}

  async run(ctx: StageContext): Promise<StageResult> {
    const o = this.options;
    const { train, holdout } = await loadTokenizerData(ctx, holdoutOf(ctx));
    const tokenizer = await buildTokenizer(ctx, train.imageShape[2]);
    try {
      const weights = await loadTrainedTokenizer(ctx, tokenizer, true);
      const { quantizer } = tokenizer;
      const wantIndices = o.outputs.includes('indices');
      if (wantIndices && quantizer.spec.kind !== 'discrete') {
        throw new Error('encode: outputs include "indices" but the tokenizer is continuous');
      }
      const codes: Float32Array[] = [];
      const indices: Int32Array[] = [];
      const labels: number[] = [];
      const isHoldout: number[] = [];
      let latentShape: number[] = [];
      let indexShape: number[] = [];
      const meter = new LatentScaleMeter();
      const progress = ctx.progress(train.size + holdout.size, 0, 'encode');
      let done = 0;
      for (const [part, flag] of [[train, 0], [holdout, 1]] as const) {
        for (const batch of part.batches({ batchSize: o.batchSize, seed: 0, shuffle: false })) {
          const q = tokenizer.encode(batch.images);
          const c = (await q.codes.data()) as Float32Array;
          meter.updateValues(c, quantizer.spec.channels);
          if (o.outputs.includes('codes')) codes.push(c);
          if (wantIndices && q.indices) indices.push((await q.indices.data()) as Int32Array);
          latentShape = q.codes.shape.slice(1);
          indexShape = q.indices?.shape.slice(1) ?? [];
          labels.push(...((await batch.labels.data()) as Int32Array));
          for (let i = 0; i < batch.images.shape[0]; i++) isHoldout.push(flag);
          done += batch.images.shape[0];
          progress.update(done);
          tf.dispose([batch.images, batch.labels, q.codes, q.indices, q.auxLoss]);
        }
      }
      progress.stop();
      const n = labels.length;
      let measured: LatentScale | null = null;
      let unmeasurable: string | undefined;
      try {
        measured = meter.result();
      } catch (error) {
        unmeasurable = (error as Error).message; // e.g. a constant channel: nothing to standardise
      }
      const declared = quantizer.spec.scale;
      const unscaled = declared.kind === 'constant' && declared.factor === 1;
      const measure = o.scale === 'measure' || (o.scale === 'auto' && quantizer.spec.kind === 'continuous' && unscaled);
      if (measure && !measured) throw new Error(`encode: cannot measure the latent scale: ${unmeasurable}`);
      const spec = measure && measured ? { ...quantizer.spec, scale: measured } : quantizer.spec;
      const tensors = new Map<string, tf.Tensor>();
      if (codes.length > 0) tensors.set('codes', tf.tensor(concat(codes, (l) => new Float32Array(l)), [n, ...latentShape], 'float32'));
      if (indices.length > 0) tensors.set('indices', tf.tensor(concat(indices, (l) => new Int32Array(l)), [n, ...indexShape], 'int32'));
      tensors.set('labels', tf.tensor1d(labels, 'int32'));
      tensors.set('holdout', tf.tensor1d(isHoldout, 'int32'));
      const bytes = await encodeSafetensors(tensors, {
        format: 'ifsq-tokens',
        spec: JSON.stringify(spec),
        measured_scale: JSON.stringify(measured ?? { unmeasurable }),
        dataset: train.name,
        image_shape: JSON.stringify(train.imageShape),
        weights,
      });
      tf.dispose([...tensors.values()]);
      const path = await ctx.writeArtifact(`${ctx.stageName}/${o.file}`, bytes);
      const summary = { images: n, held_out: holdout.size, bytes: bytes.byteLength };
      await ctx.report({
        title: 'Token file',
        values: summary,
        provenance: { file: path, outputs: o.outputs, spec, measured_scale: measured ?? { unmeasurable } },
        text: `Encoded ${n} images into \`${ctx.stageName}/${o.file}\` (${o.outputs.join(' and ')}; latent ${latentShape.join('×')}).`,
      });
      return { status: 'completed', summary };
    } finally {
      tokenizer.backbone.dispose();
    }
  }
}

/** One typed array holding `parts` one after another. */
function concat<T extends Float32Array | Int32Array>(parts: T[], make: (length: number) => T): T {
  const out = make(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
