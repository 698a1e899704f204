// FID at Inception scale on the built package: 2 × 10k × 2048 float64 features, streamed in batches of 500.
// Run: `pnpm --filter @ifsq/metrics build && node packages/metrics/bench/fid.mjs [n] [d]`
import { GaussianStatsAccumulator, frechetDistanceDetailed } from '../dist/index.js';

const n = Number(process.argv[2] ?? 10000);
const d = Number(process.argv[3] ?? 2048);
const batch = 500;
let seed = 12345;
const rand = () => {
  seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
  return seed / 2 ** 32;
};
function makeBatch(rows, shift) {
  const x = new Float64Array(rows * d);
  for (let i = 0; i < x.length; i++) x[i] = Math.max(0, rand() - 0.5 + shift * ((i % d) / d)); // ReLU-like
  return x;
}
const c0 = process.cpuUsage();
const t0 = performance.now();
const accs = [new GaussianStatsAccumulator(), new GaussianStatsAccumulator()];
for (let k = 0; k < 2; k++) for (let i = 0; i < n; i += batch) accs[k].addRows(makeBatch(batch, k * 0.2), batch, d);
const t1 = performance.now();
const c1 = process.cpuUsage(c0);
const a = accs[0].stats();
const b = accs[1].stats();
const t2 = performance.now();
const r = frechetDistanceDetailed(a.mu, a.sigma, b.mu, b.sigma);
const t3 = performance.now();
const c3 = process.cpuUsage(c0);
const cpu = (c) => +((c.user + c.system) / 1e6).toFixed(2);
console.log(
  JSON.stringify({
    n, d, fid: r.fid, method: r.method,
    accumulateBothSetsSeconds: +((t1 - t0) / 1000).toFixed(2),
    frechetSeconds: +((t3 - t2) / 1000).toFixed(2),
    totalSeconds: +((t3 - t0) / 1000).toFixed(2),
    // CPU time is the better measure on a shared machine (wall time includes waiting for other processes).
    accumulateCpuSeconds: cpu(c1),
    frechetCpuSeconds: +(cpu(c3) - cpu(c1)).toFixed(2),
    totalCpuSeconds: cpu(c3),
  }),
);
