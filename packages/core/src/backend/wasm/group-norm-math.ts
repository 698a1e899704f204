/**
 * Fused GroupNorm (+ optional SiLU) forward and backward over flat NHWC float32 arrays. Pure loops, no tfjs: the
 * `cpu` kernels call them on the backend's typed arrays and the `wasm` kernels on views of the wasm heap.
 *
 * Notation: `x` is `[N, S, C]` with `S = H·W`, channels split into `G` groups of `C/G`; per sample and group,
 * `μ` and `r = 1/√(σ² + eps)` (biased variance, two-pass in float64); `x̂ = (x − μ)·r`; `a = γ·x̂ + β`;
 * `y = a` or, fused, `y = silu(a) = a·σ(a)`.
 */

/** Shape of one fused GroupNorm call. */
export interface GroupNormDims {
  /** Batch size. */
  n: number;
  /** Spatial positions per sample (`H·W`). */
  s: number;
  /** Channels. */
  c: number;
  /** Groups; divides `c`. */
  g: number;
}

/**
 * Forward pass. Writes `y` (`[N·S·C]`), and per sample and group the mean (`mean`, `[N·G]`) and the reciprocal
 * standard deviation (`rstd`, `[N·G]`) that {@link groupNormBackward} needs.
 */
export function groupNormForward(
  dims: GroupNormDims,
  x: Float32Array,
  gamma: Float32Array,
  beta: Float32Array,
  eps: number,
  silu: boolean,
  y: Float32Array,
  mean: Float32Array,
  rstd: Float32Array,
): void {
  const { n, s, c, g } = dims;
  const cg = c / g;
  const count = s * cg;
  const chanSum = new Float64Array(c);
  const scale = new Float32Array(c);
  const shift = new Float32Array(c);
  const groupMean = new Float64Array(g);
  for (let b = 0; b < n; b++) {
    const base = b * s * c;
    // Pass 1: group means.
    chanSum.fill(0);
    for (let p = 0, i = base; p < s; p++) for (let ch = 0; ch < c; ch++, i++) chanSum[ch] += x[i];
    for (let k = 0; k < g; k++) {
      let t = 0;
      for (let ch = k * cg; ch < (k + 1) * cg; ch++) t += chanSum[ch];
      groupMean[k] = t / count;
    }
    // Pass 2: variances around the means.
    chanSum.fill(0);
    for (let p = 0, i = base; p < s; p++) {
      for (let ch = 0; ch < c; ch++, i++) {
        const d = x[i] - groupMean[(ch / cg) | 0];
        chanSum[ch] += d * d;
      }
    }
    for (let k = 0; k < g; k++) {
      let t = 0;
      for (let ch = k * cg; ch < (k + 1) * cg; ch++) t += chanSum[ch];
      const r = 1 / Math.sqrt(t / count + eps);
      mean[b * g + k] = groupMean[k];
      rstd[b * g + k] = r;
      for (let ch = k * cg; ch < (k + 1) * cg; ch++) {
        scale[ch] = gamma[ch] * r;
        shift[ch] = beta[ch] - groupMean[k] * gamma[ch] * r;
      }
    }
    // Pass 3: affine (+ SiLU).
    const end = base + s * c;
    if (silu) {
      for (let i = base, ch = 0; i < end; i++) {
        const a = x[i] * scale[ch] + shift[ch];
        y[i] = a / (1 + Math.exp(-a));
        if (++ch === c) ch = 0;
      }
    } else {
      for (let i = base, ch = 0; i < end; i++) {
        y[i] = x[i] * scale[ch] + shift[ch];
        if (++ch === c) ch = 0;
      }
    }
  }
}

/**
 * Backward pass: from `dy` and the forward's inputs and statistics, writes `dx` (`[N·S·C]`), `dgamma` and `dbeta`
 * (`[C]`). With `da = dy·silu'(a)` (or `dy`), `dγ = Σ da·x̂`, `dβ = Σ da`, and per group of `M = S·C/G` elements
 * `dx = r·(γ·da − mean(γ·da) − x̂·mean(γ·da·x̂))`.
 */
export function groupNormBackward(
  dims: GroupNormDims,
  dy: Float32Array,
  x: Float32Array,
  gamma: Float32Array,
  beta: Float32Array,
  mean: Float32Array,
  rstd: Float32Array,
  silu: boolean,
  dx: Float32Array,
  dgamma: Float32Array,
  dbeta: Float32Array,
): void {
  const { n, s, c, g } = dims;
  const cg = c / g;
  const count = s * cg;
  const sumDa = new Float64Array(c);
  const sumDaXhat = new Float64Array(c);
  const dgammaAcc = new Float64Array(c);
  const dbetaAcc = new Float64Array(c);
  const chMean = new Float32Array(c);
  const chRstd = new Float32Array(c);
  const scale = new Float32Array(c);
  const shift = new Float32Array(c);
  const coefDa = new Float32Array(c);
  const coefX = new Float32Array(c);
  const coefConst = new Float32Array(c);
  for (let b = 0; b < n; b++) {
    const base = b * s * c;
    const end = base + s * c;
    for (let ch = 0; ch < c; ch++) {
      const k = (ch / cg) | 0;
      chMean[ch] = mean[b * g + k];
      chRstd[ch] = rstd[b * g + k];
      scale[ch] = gamma[ch] * chRstd[ch];
      shift[ch] = beta[ch] - chMean[ch] * scale[ch];
    }
    // Pass 1: da (kept in dx for pass 2) and its per-channel sums.
    sumDa.fill(0);
    sumDaXhat.fill(0);
    for (let i = base, ch = 0; i < end; i++) {
      let da = dy[i];
      if (silu) {
        const a = x[i] * scale[ch] + shift[ch];
        const sig = 1 / (1 + Math.exp(-a));
        da *= sig * (1 + a * (1 - sig));
      }
      dx[i] = da;
      sumDa[ch] += da;
      sumDaXhat[ch] += da * (x[i] - chMean[ch]) * chRstd[ch];
      if (++ch === c) ch = 0;
    }
    for (let k = 0; k < g; k++) {
      let m1 = 0;
      let m2 = 0;
      for (let ch = k * cg; ch < (k + 1) * cg; ch++) {
        m1 += gamma[ch] * sumDa[ch];
        m2 += gamma[ch] * sumDaXhat[ch];
        dgammaAcc[ch] += sumDaXhat[ch];
        dbetaAcc[ch] += sumDa[ch];
      }
      m1 /= count;
      m2 /= count;
      const r = rstd[b * g + k];
      // dx = r·γ·da + (x − μ)·(−r²·m2) − r·m1
      for (let ch = k * cg; ch < (k + 1) * cg; ch++) {
        coefDa[ch] = r * gamma[ch];
        coefX[ch] = -r * r * m2;
        coefConst[ch] = -r * m1;
      }
    }
    // Pass 2: dx.
    for (let i = base, ch = 0; i < end; i++) {
      dx[i] = dx[i] * coefDa[ch] + (x[i] - chMean[ch]) * coefX[ch] + coefConst[ch];
      if (++ch === c) ch = 0;
    }
  }
  for (let ch = 0; ch < c; ch++) {
    dgamma[ch] = dgammaAcc[ch];
    dbeta[ch] = dbetaAcc[ch];
  }
}
