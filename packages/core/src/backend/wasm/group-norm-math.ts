/**
 * Fused GroupNorm (+ optional SiLU) forward and backward over flat NHWC float32 arrays. Pure loops, no tfjs: the
 * `cpu` kernels call them on the backend's typed arrays. They are also the reference for the SIMD C kernels of
 * `packages/core/native/src/group_norm.c` that the `wasm` kernels run, and the `wasm` fallback (on views of the
 * wasm heap, the sigmoid then running as the stock kernel between the loops) where WebAssembly SIMD is missing.
 *
 * Notation: `x` is `[N, S, C]` with `S = H·W`, channels split into `G` groups of `C/G`; per sample and group,
 * `μ` and `r = 1/√(σ² + eps)` (biased variance, accumulated in float64); `x̂ = (x − μ)·r`; `a = γ·x̂ + β`;
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
 * Per sample and group: the mean into `mean` and `1/√(var + eps)` into `rstd` (both `[N·G]`). Sums and sums of
 * squares are accumulated in float64, so `E[x²] − μ²` keeps full float32 accuracy unless `|μ|/σ` exceeds ~10⁴.
 */
export function groupNormStats(
  dims: GroupNormDims,
  x: Float32Array,
  eps: number,
  mean: Float32Array,
  rstd: Float32Array,
): void {
  const { n, s, c, g } = dims;
  const cg = c / g;
  const count = s * cg;
  const sum = new Float64Array(c);
  const sumSq = new Float64Array(c);
  for (let b = 0; b < n; b++) {
    sum.fill(0);
    sumSq.fill(0);
    const end = (b + 1) * s * c;
    for (let i = b * s * c, ch = 0; i < end; i++) {
      const v = x[i];
      sum[ch] += v;
      sumSq[ch] += v * v;
      if (++ch === c) ch = 0;
    }
    for (let k = 0; k < g; k++) {
      let t = 0;
      let tt = 0;
      for (let ch = k * cg; ch < (k + 1) * cg; ch++) {
        t += sum[ch];
        tt += sumSq[ch];
      }
      const mu = t / count;
      const variance = Math.max(tt / count - mu * mu, 0);
      mean[b * g + k] = mu;
      rstd[b * g + k] = 1 / Math.sqrt(variance + eps);
    }
  }
}

/** Writes the normalised, scaled and shifted `a = γ·(x − μ)·r + β` into `out` (may not alias `x`). */
export function groupNormAffine(
  dims: GroupNormDims,
  x: Float32Array,
  gamma: Float32Array,
  beta: Float32Array,
  mean: Float32Array,
  rstd: Float32Array,
  out: Float32Array,
): void {
  const { n, s, c, g } = dims;
  const cg = c / g;
  const scale = new Float32Array(c);
  const shift = new Float32Array(c);
  for (let b = 0; b < n; b++) {
    for (let ch = 0; ch < c; ch++) {
      const k = b * g + ((ch / cg) | 0);
      scale[ch] = gamma[ch] * rstd[k];
      shift[ch] = beta[ch] - mean[k] * scale[ch];
    }
    const end = (b + 1) * s * c;
    for (let i = b * s * c, ch = 0; i < end; i++) {
      out[i] = x[i] * scale[ch] + shift[ch];
      if (++ch === c) ch = 0;
    }
  }
}

/** `out = σ(a)` elementwise, in JavaScript (the wasm kernels compute it in C, or with the stock `Sigmoid`). */
export function sigmoidInto(a: Float32Array, out: Float32Array): void {
  for (let i = 0; i < a.length; i++) out[i] = 1 / (1 + Math.exp(-a[i]));
}

/**
 * Backward pass: from `dy`, the forward's input and statistics, writes `dx` (`[N·S·C]`), `dgamma` and `dbeta`
 * (`[C]`). With SiLU, pass `sig = σ(a)` from the forward (`a` is recomputed inline); then
 * `da = dy·σ(a)·(1 + a·(1 − σ(a)))`, else `da = dy`. `dγ = Σ da·x̂`, `dβ = Σ da`, and per group of `M = S·C/G` elements
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
  sig: Float32Array | undefined,
  dx: Float32Array,
  dgamma: Float32Array,
  dbeta: Float32Array,
): void {
  const { n, s, c, g } = dims;
  const cg = c / g;
  const count = s * cg;
  const sumDa = new Float64Array(c);
  const sumDaX = new Float64Array(c);
  const dgammaAcc = new Float64Array(c);
  const dbetaAcc = new Float64Array(c);
  const chMean = new Float32Array(c);
  const scale = new Float32Array(c);
  const shift = new Float32Array(c);
  const coefDa = new Float32Array(c);
  const coefX = new Float32Array(c);
  const coefConst = new Float32Array(c);
  for (let b = 0; b < n; b++) {
    const base = b * s * c;
    const end = base + s * c;
    for (let ch = 0; ch < c; ch++) {
      const k = b * g + ((ch / cg) | 0);
      chMean[ch] = mean[k];
      scale[ch] = gamma[ch] * rstd[k];
      shift[ch] = beta[ch] - mean[k] * scale[ch];
    }
    // Pass 1: da (kept in dx for pass 2) and its per-channel sums Σda, Σda·(x − μ).
    sumDa.fill(0);
    sumDaX.fill(0);
    if (sig) {
      for (let i = base, ch = 0; i < end; i++) {
        const sg = sig[i];
        const a = x[i] * scale[ch] + shift[ch];
        const da = dy[i] * sg * (1 + a * (1 - sg));
        dx[i] = da;
        sumDa[ch] += da;
        sumDaX[ch] += da * (x[i] - chMean[ch]);
        if (++ch === c) ch = 0;
      }
    } else {
      for (let i = base, ch = 0; i < end; i++) {
        const da = dy[i];
        dx[i] = da;
        sumDa[ch] += da;
        sumDaX[ch] += da * (x[i] - chMean[ch]);
        if (++ch === c) ch = 0;
      }
    }
    for (let k = 0; k < g; k++) {
      const r = rstd[b * g + k];
      let m1 = 0;
      let m2 = 0;
      for (let ch = k * cg; ch < (k + 1) * cg; ch++) {
        const daXhat = sumDaX[ch] * r;
        m1 += gamma[ch] * sumDa[ch];
        m2 += gamma[ch] * daXhat;
        dgammaAcc[ch] += daXhat;
        dbetaAcc[ch] += sumDa[ch];
      }
      m1 /= count;
      m2 /= count;
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
