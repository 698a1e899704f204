import * as tf from '@tensorflow/tfjs';
import type { Static } from '@sinclair/typebox';
import { writeImageGrid } from '../data/image-grid.js';
import type { Stage, StageContext, StageResult } from '../stage/stage.js';
import type { EvaluateTokenizerOptions } from './plugins.js';
import { buildTokenizer, holdoutOf, loadMetrics, loadTokenizerData, loadTrainedTokenizer } from './stage-support.js';

/** Options of the `evaluate-tokenizer` stage (documented in its plugin schema). */
export type EvaluateTokenizerStageOptions = Static<typeof EvaluateTokenizerOptions>;

/** Upper bound on latent values gathered for whole-set diagnostics (KS under both bounds). */
const DIAGNOSTIC_VALUES = 4_000_000;

/**
 * Evaluate the trained tokenizer on the images `train-tokenizer` held out: every metric of the pipeline's `metrics`
 * list, the quantizer's own whole-set diagnostics (e.g. KS under both FSQ bounds), and a PNG grid of originals
 * above their reconstructions.
 */
export class EvaluateTokenizerStage implements Stage {
  /** @param options - validated stage options. */
  constructor(readonly options: EvaluateTokenizerStageOptions) {}

  async run(ctx: StageContext): Promise<StageResult> {
    const o = this.options;
    const { holdout: all } = await loadTokenizerData(ctx, holdoutOf(ctx));
    if (all.size === 0) throw new Error('evaluate-tokenizer: no held-out images (train-tokenizer holdout is 0)');
    const holdout = o.images > 0 && o.images < all.size ? all.subset(Array.from({ length: o.images }, (_, i) => i), all.name) : all;
    const tokenizer = await buildTokenizer(ctx, holdout.imageShape[2]);
    try {
      const weights = await loadTrainedTokenizer(ctx, tokenizer, o.useEma);
      const { quantizer } = tokenizer;
      const metrics = await loadMetrics(ctx);
      const latents: tf.Tensor4D[] = [];
      let latentValues = 0;
      let grid: { real: tf.Tensor4D; fake: tf.Tensor4D } | undefined;
      for (const batch of holdout.batches({ batchSize: o.batchSize, seed: 0, shuffle: false })) {
        const z = tokenizer.backbone.encode(batch.images);
        const q = quantizer.quantize(z);
        const recon = tokenizer.decode(q.codes);
        const preQuant = quantizer.boundedValues?.(z);
        for (const m of metrics) {
          await m.update({ real: batch.images, fake: recon, codes: q.codes, indices: q.indices, preQuant, spec: quantizer.spec });
        }
        if (!grid && o.gridImages > 0) {
          const k = Math.min(o.gridImages, batch.images.shape[0]);
          grid = { real: tf.slice(batch.images, 0, k), fake: tf.slice(recon, 0, k) };
        }
        if (quantizer.diagnose && latentValues < DIAGNOSTIC_VALUES) {
          latents.push(tf.keep(z));
          latentValues += z.size;
        } else {
          z.dispose();
        }
        tf.dispose([batch.images, batch.labels, q.codes, q.indices, q.auxLoss, recon, preQuant]);
      }
      const values: Record<string, number> = {};
      const provenance: Record<string, unknown> = { images: holdout.size, dataset: holdout.name, weights, spec: quantizer.spec };
      for (const m of metrics) {
        const r = await m.compute();
        Object.assign(values, r.values);
        provenance[m.name] = r.provenance;
      }
      // The quantizer's own whole-set diagnostics (e.g. KS under both FSQ bounds) are reported beside the metrics,
      // not among them, so every tokenizer's metric table has the same names.
      let diagnostics: Record<string, number> | undefined;
      if (quantizer.diagnose && latents.length > 0) {
        const z = tf.concat(latents) as tf.Tensor4D;
        diagnostics = quantizer.diagnose(z);
        tf.dispose([z, ...latents]);
      }
      const images: string[] = [];
      if (grid) {
        const path = `${ctx.stageName}/reconstructions.png`;
        await writeImageGrid(`${ctx.runDir}/${path}`, [grid.real, grid.fake], { columns: grid.real.shape[0] });
        tf.dispose([grid.real, grid.fake]);
        images.push(path);
      }
      ctx.metrics.write({ stage: ctx.stageName, step: holdout.size, split: 'holdout', values, provenance });
      await ctx.report({
        title: 'Tokenizer evaluation',
        values,
        provenance,
        images,
        text: `${holdout.size} held-out images of ${holdout.name}, never trained on; ${weights === 'ema' ? 'EMA' : 'final'} weights. Top row: originals; bottom row: reconstructions.`,
      });
      if (diagnostics) {
        const source = { source: 'quantizer.diagnose', images: holdout.size, latentValues };
        ctx.metrics.write({ stage: ctx.stageName, step: holdout.size, split: 'holdout/quantizer', values: diagnostics, provenance: source });
        await ctx.report({ title: 'Quantizer diagnostics', values: diagnostics, provenance: source,
          text: 'Computed by the quantizer on the same held-out latents (for FSQ: the KS statistic against Uniform(−1,1) under both bounds).' });
      }
      ctx.logger.info(`evaluate-tokenizer: ${formatSummary({ ...values, ...diagnostics })}`);
      return { status: 'completed', summary: { ...headline(values), ...diagnostics } };
    } finally {
      tokenizer.backbone.dispose();
    }
  }
}

/** The headline values of the summary (per-dimension details stay in metrics.jsonl and the report). */
function headline(values: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(values).filter(([k]) => !/^dim\d+_/.test(k)));
}

/** The headline numbers in one line (`psnr 24.31 dB, ssim 0.861, …`). */
export function formatSummary(values: Record<string, number>): string {
  const pick = ['psnr', 'ssim', 'ssim_skimage', 'ssim_gaussian', 'utilization', 'entropy_bits', 'perplexity', 'ks', 'ks_ifsq', 'ks_tanh'];
  return pick
    .filter((k) => values[k] !== undefined)
    .map((k) => `${k} ${Number.isFinite(values[k]) ? values[k].toFixed(k.startsWith('psnr') ? 2 : 4) : values[k]}`)
    .join(', ');
}
