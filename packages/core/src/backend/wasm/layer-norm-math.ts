/**
 * Fused LayerNorm forward and backward over flat float32 arrays of `rows × d` (normalised over the last axis). Pure
 * loops, no tfjs: the `cpu` kernels run them on the backend's typed arrays, the `wasm` kernels on heap views.
 *
 * Per row: `μ`, `r = 1/√(σ² + eps)` (biased variance, accumulated in float64), `x̂ = (x − μ)·r`, `y = γ·x̂ + β`.
 * Backward, with `g = dy·γ`: `dx = r·(g − mean(g) − x̂·mean(g·x̂))`, `dγ = Σ_rows dy·x̂`, `dβ = Σ_rows dy`.
 */

/**
 * Forward: writes `y` (`rows × d`), `mean` and `rstd` (`rows` each).
 *
 * @param rows number of rows (product of the leading axes).
 * @param d size of the normalised last axis.
 */
export function layerNormForward(
  rows: number,
  d: number,
  x: Float32Array,
  gamma: Float32Array,
  beta: Float32Array,
  eps: number,
  y: Float32Array,
  mean: Float32Array,
  rstd: Float32Array,
): void {
  for (let r = 0, o = 0; r < rows; r++, o += d) {
    let sum = 0;
    for (let j = 0; j < d; j++) sum += x[o + j];
    const mu = sum / d;
    let sq = 0;
    for (let j = 0; j < d; j++) {
      const c = x[o + j] - mu;
      sq += c * c;
    }
    const rs = 1 / Math.sqrt(sq / d + eps);
    mean[r] = mu;
    rstd[r] = rs;
    for (let j = 0; j < d; j++) y[o + j] = (x[o + j] - mu) * rs * gamma[j] + beta[j];
  }
}

/**
 * Backward: writes `dx` (`rows × d`), `dgamma` and `dbeta` (`d` each) from the upstream gradient `dy` and the
 * forward's saved `mean` and `rstd`.
 */
export function layerNormBackward(
  rows: number,
  d: number,
  dy: Float32Array,
  x: Float32Array,
  gamma: Float32Array,
  mean: Float32Array,
  rstd: Float32Array,
  dx: Float32Array,
  dgamma: Float32Array,
  dbeta: Float32Array,
): void {
  const dg = new Float64Array(d);
  const db = new Float64Array(d);
  for (let r = 0, o = 0; r < rows; r++, o += d) {
    const mu = mean[r];
    const rs = rstd[r];
    let sumG = 0;
    let sumGX = 0;
    for (let j = 0; j < d; j++) {
      const xh = (x[o + j] - mu) * rs;
      const dyj = dy[o + j];
      const g = dyj * gamma[j];
      sumG += g;
      sumGX += g * xh;
      dg[j] += dyj * xh;
      db[j] += dyj;
    }
    const meanG = sumG / d;
    const meanGX = sumGX / d;
    for (let j = 0; j < d; j++) {
      const xh = (x[o + j] - mu) * rs;
      dx[o + j] = rs * (dy[o + j] * gamma[j] - meanG - xh * meanGX);
    }
  }
  for (let j = 0; j < d; j++) {
    dgamma[j] = dg[j];
    dbeta[j] = db[j];
  }
}
