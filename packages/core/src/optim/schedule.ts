/** Options of {@link warmupCosineLr}. */
export interface WarmupCosineOptions {
  /** Peak learning rate, reached at the end of warmup. */
  baseLr: number;
  /** Number of warmup steps (0 for none). @default 0 */
  warmupSteps?: number;
  /** Step at which the cosine reaches `minLr`; later steps stay at `minLr`. */
  totalSteps: number;
  /** Final learning rate. @default 0 */
  minLr?: number;
}

/**
 * Learning rate for 0-based `step` (the step about to be taken): linear warmup then cosine decay, a pure function.
 *
 * - `step < W`: `baseLr·(step + 1)/W`, so step 0 already learns and step `W−1` uses `baseLr`
 *   (PyTorch `LinearLR(start_factor=1/W, total_iters=W−1)`);
 * - `W ≤ step ≤ T`: `minLr + (baseLr − minLr)·(1 + cos(π·(step − W)/(T − W)))/2`
 *   (PyTorch `CosineAnnealingLR(T_max=T−W, eta_min=minLr)` started at step W);
 * - `step ≥ T`: `minLr`.
 */
export function warmupCosineLr(step: number, options: WarmupCosineOptions): number {
  const { baseLr, totalSteps } = options;
  const warmup = options.warmupSteps ?? 0;
  const minLr = options.minLr ?? 0;
  if (!Number.isInteger(step) || step < 0) throw new Error(`warmupCosineLr: step must be an integer ≥ 0, got ${step}`);
  if (!Number.isInteger(warmup) || warmup < 0) {
    throw new Error(`warmupCosineLr: warmupSteps must be an integer ≥ 0, got ${String(options.warmupSteps)}`);
  }
  if (!Number.isInteger(totalSteps) || totalSteps < warmup) {
    throw new Error(`warmupCosineLr: totalSteps must be an integer ≥ warmupSteps (${warmup}), got ${totalSteps}`);
  }
  if (!(baseLr >= 0) || !(minLr >= 0)) throw new Error('warmupCosineLr: baseLr and minLr must be ≥ 0');
  if (step < warmup) return (baseLr * (step + 1)) / warmup;
  const span = totalSteps - warmup;
  if (step >= totalSteps) return minLr;
  const progress = (step - warmup) / span;
  return minLr + ((baseLr - minLr) * (1 + Math.cos(Math.PI * progress))) / 2;
}
