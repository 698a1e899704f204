import * as tf from '@tensorflow/tfjs';
import type { Static } from '@sinclair/typebox';
import type { Dataset } from '../contracts/dataset.js';
import type { Metric } from '../contracts/metric.js';
import { loadStateDict } from '../nn/module.js';
import { AdamW } from '../optim/adamw.js';
import { Ema } from '../optim/ema.js';
import { warmupCosineLr } from '../optim/schedule.js';
import type { Stage, StageContext, StageResult } from '../stage/stage.js';
import { trainStep } from '../train/train-step.js';
import type { TrainTokenizerOptions } from './plugins.js';
import {
  buildTokenizer,
  EMA_PREFIX,
  findMetric,
  loadPerceptualDistance,
  loadTokenizerData,
  TOKENIZER_CHECKPOINT,
  TRAIN_STATE_CHECKPOINT,
} from './stage-support.js';
import { tokenizerLoss, type Tokenizer } from './tokenizer.js';

/** Options of the `train-tokenizer` stage (documented in its plugin schema). */
export type TrainTokenizerStageOptions = Static<typeof TrainTokenizerOptions>;

/** Where the data loop stands, saved with checkpoints so a resumed run sees the same batches. */
interface Cursor {
  epoch: number;
  batch: number;
}

/** Train backbone + quantizer with AdamW, warmup + cosine, clipping, optional EMA, validation and exact resume. */
export class TrainTokenizerStage implements Stage {
  /** @param options - validated stage options. */
  constructor(readonly options: TrainTokenizerStageOptions) {}

  async run(ctx: StageContext): Promise<StageResult> {
    const o = this.options;
    const data = await loadTokenizerData(ctx, o.holdout);
    if (data.train.size < o.batchSize) {
      throw new Error(`train-tokenizer: batchSize ${o.batchSize} exceeds the ${data.train.size} training images of ${data.train.name}`);
    }
    const tokenizer = await buildTokenizer(ctx, data.train.imageShape[2]);
    const params = tokenizer.namedTrainable();
    const optimizer = new AdamW(params, { lr: o.lr, betas: [o.beta1, o.beta2], weightDecay: o.weightDecay });
    const ema = o.emaDecay > 0 ? new Ema(params, { decay: o.emaDecay }) : undefined;
    const schedule = { baseLr: o.lr, warmupSteps: Math.min(o.warmupSteps, o.steps), totalSteps: o.steps, minLr: o.minLr };
    const psnr = await findMetric(ctx, 'psnr');
    const perceptual = await loadPerceptualDistance(ctx);
    let step = 0;
    let cursor: Cursor = { epoch: 0, batch: 0 };
    try {
      if (ctx.resume) {
        const restored = await restore(ctx, tokenizer, optimizer, ema);
        if (restored) ({ step, cursor } = restored);
      }
      ctx.logger.info(
        `train-tokenizer: ${data.train.size} training images, ${data.holdout.size} held out, ${step > 0 ? `resuming at step ${step}` : 'from scratch'}`,
        { parameters: countParameters(params), spec: tokenizer.quantizer.spec },
      );
      const progress = ctx.progress(o.steps, step, 'train-tokenizer');
      let last = { loss: Number.NaN, gradNorm: Number.NaN };
      let validationPsnr: number | undefined;
      outer: while (step < o.steps) {
        const batches = data.train.batches({
          batchSize: o.batchSize,
          seed: ctx.pipeline.config.seed ?? 0,
          epoch: cursor.epoch,
          startBatch: cursor.batch,
          dropLast: true,
          horizontalFlip: o.horizontalFlip,
        });
        for (const batch of batches) {
          const log = (step + 1) % o.logEvery === 0 || step + 1 === o.steps;
          const seed = ctx.rng.seed();
          const lr = warmupCosineLr(step, schedule);
          let parts: Record<string, number> = {};
          try {
            last = trainStep({
              optimizer,
              clipNorm: o.clipNorm > 0 ? o.clipNorm : undefined,
              lr,
              lossFn: () => {
                const out = tokenizer.forward(batch.images, { training: true, collectStats: log, seed });
                const loss = tokenizerLoss(batch.images, out.reconstruction, out.quantized.auxLoss, {
                  l1: o.l1Weight,
                  l2: o.l2Weight,
                  perceptual: o.perceptualWeight,
                }, perceptual);
                if (log) {
                  parts = {
                    l1: loss.l1.dataSync()[0],
                    mse: loss.l2.dataSync()[0],
                    aux: out.quantized.auxLoss.dataSync()[0],
                    ...(perceptual ? { perceptual: loss.perceptual.dataSync()[0] } : {}),
                    ...out.quantized.stats,
                  };
                }
                return loss.total;
              },
            });
          } finally {
            tf.dispose([batch.images, batch.labels]);
          }
          ema?.update();
          step += 1;
          cursor = { epoch: cursor.epoch, batch: cursor.batch + 1 };
          progress.update(step, { loss: last.loss });
          if (log) {
            ctx.metrics.write({
              stage: 'train-tokenizer',
              step,
              split: 'train',
              values: { loss: last.loss, grad_norm: last.gradNorm, lr, num_tensors: tf.memory().numTensors, ...parts },
            });
          }
          if (o.validateEvery > 0 && (step % o.validateEvery === 0 || step === o.steps) && data.holdout.size > 0) {
            validationPsnr = await validate(ctx, tokenizer, data.holdout, o, psnr, step, ema);
          }
          const interrupted = ctx.signal.aborted;
          if (step % o.checkpointEvery === 0 || interrupted || step === o.steps) {
            await saveTrainState(ctx, tokenizer, optimizer, ema, step, cursor);
          }
          if (interrupted) {
            progress.stop();
            ctx.logger.warn(`train-tokenizer: interrupted after step ${step}; rerun with --resume to continue`);
            return { status: 'interrupted', summary: { step } };
          }
          if (step >= o.steps) break outer;
        }
        cursor = { epoch: cursor.epoch + 1, batch: 0 };
      }
      progress.stop();
      await saveTrainedTokenizer(ctx, tokenizer, ema, step);
      const summary: Record<string, number> = { steps: step, final_loss: last.loss };
      if (validationPsnr !== undefined) summary.validation_psnr = validationPsnr;
      await ctx.report({
        title: 'Tokenizer training',
        values: summary,
        text: `Trained ${step} steps of batch ${o.batchSize} on ${data.train.name} (${data.train.size} images; ${data.holdout.size} held out).`,
      });
      return { status: 'completed', summary };
    } finally {
      optimizer.dispose();
      ema?.dispose();
      tokenizer.backbone.dispose();
    }
  }
}

function countParameters(params: Map<string, tf.Variable>): number {
  let n = 0;
  for (const v of params.values()) n += v.size;
  return n;
}

/** Reconstruction quality on the first `validationImages` held-out images (EMA weights when kept). */
async function validate(
  ctx: StageContext,
  tokenizer: Tokenizer,
  holdout: Dataset,
  o: TrainTokenizerStageOptions,
  psnr: Metric | undefined,
  step: number,
  ema: Ema | undefined,
): Promise<number | undefined> {
  const n = Math.min(o.validationImages, holdout.size);
  const subset = holdout.subset(Array.from({ length: n }, (_, i) => i), `${holdout.name}/validation`);
  ema?.swap();
  psnr?.reset();
  let l1Sum = 0;
  let count = 0;
  try {
    for (const batch of subset.batches({ batchSize: o.batchSize, seed: 0, shuffle: false })) {
      const out = tokenizer.forward(batch.images);
      l1Sum += tf.tidy(() => tf.sum(tf.mean(tf.abs(tf.sub(out.reconstruction, batch.images)), [1, 2, 3])).dataSync()[0]);
      count += batch.images.shape[0];
      if (psnr) await psnr.update({ real: batch.images, fake: out.reconstruction });
      tf.dispose([batch.images, batch.labels, out.reconstruction, out.quantized.codes, out.quantized.indices, out.quantized.auxLoss]);
    }
  } finally {
    ema?.swap();
  }
  const values: Record<string, number> = { l1: l1Sum / count };
  let result: number | undefined;
  if (psnr) {
    const r = await psnr.compute();
    Object.assign(values, r.values);
    result = r.values.psnr;
    psnr.reset();
  }
  ctx.metrics.write({ stage: 'train-tokenizer', step, split: 'validation', values });
  return result;
}

async function saveTrainState(
  ctx: StageContext,
  tokenizer: Tokenizer,
  optimizer: AdamW,
  ema: Ema | undefined,
  step: number,
  cursor: Cursor,
): Promise<void> {
  const tensors = new Map<string, tf.Tensor>();
  for (const [n, v] of tokenizer.stateDict()) tensors.set(`model.${n}`, v);
  for (const [n, v] of optimizer.namedState()) tensors.set(`optim.${n}`, v);
  if (ema) for (const [n, v] of ema.namedState()) tensors.set(`ema.${n}`, v);
  await ctx.checkpoints.save(TRAIN_STATE_CHECKPOINT, tensors, {
    step,
    cursor,
    optimizerStep: optimizer.step,
    emaUpdates: ema?.updates ?? 0,
    rng: ctx.rng.getState(),
  });
}

async function restore(
  ctx: StageContext,
  tokenizer: Tokenizer,
  optimizer: AdamW,
  ema: Ema | undefined,
): Promise<{ step: number; cursor: Cursor } | undefined> {
  const saved = await ctx.checkpoints.load(TRAIN_STATE_CHECKPOINT);
  if (!saved) return undefined;
  try {
    const pick = (prefix: string) =>
      new Map([...saved.tensors].filter(([n]) => n.startsWith(prefix)).map(([n, t]) => [n.slice(prefix.length), t] as const));
    loadStateDict(tokenizer.stateDict(), pick('model.'), { source: `${ctx.checkpoints.dir}/${TRAIN_STATE_CHECKPOINT}.safetensors` });
    optimizer.setState({ step: saved.meta.optimizerStep as number, tensors: pick('optim.') });
    if (ema) ema.setState({ updates: saved.meta.emaUpdates as number, tensors: pick('ema.') });
    ctx.rng.setState(saved.meta.rng as number[]);
    return { step: saved.meta.step, cursor: saved.meta.cursor as Cursor };
  } finally {
    tf.dispose([...saved.tensors.values()]);
  }
}

/** The final weights (and EMA weights under `ema.`) that evaluation and encoding load. */
async function saveTrainedTokenizer(ctx: StageContext, tokenizer: Tokenizer, ema: Ema | undefined, step: number): Promise<void> {
  const tensors = new Map<string, tf.Tensor>(tokenizer.stateDict());
  if (ema) for (const [n, v] of ema.namedState()) tensors.set(`${EMA_PREFIX}${n}`, v);
  await ctx.checkpoints.save(TOKENIZER_CHECKPOINT, tensors, { step, spec: tokenizer.quantizer.spec });
}
