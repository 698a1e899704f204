#!/usr/bin/env node
// Benchmark of the iFSQ encoder: our exact threshold fast path vs a plain C reference and the tfjs op graph.
//
// Run on the BUILT package:   npx tsc -b packages/quantizer-ifsq && node packages/quantizer-ifsq/bench/encode.mjs
// Options: --n=16777216 (values, multiple of d) --levels=17,17,17,17 --repeats=5 --seed=1
//
// What it does: draws n seeded N(0,1) float32 values and writes them to a temp file; writes a C reference to the
// same temp dir and compiles it with `gcc -O3 -march=native -fopenmp-simd` (simd pragmas let gcc vectorize expf); the C program computes codes and little-endian
// indices with (a) the exact formula y = 2σ(1.6z)−1 in float32 with a double-precision exp, (b) the same formula
// with expf, (c) the threshold formulation using our exact bin edges. It reports medians over the repeats and writes
// its indices, which are compared with ours. Then it times our fast path on one thread (plain typed arrays, and
// the IfsqEncode kernel on the tfjs wasm backend) and the tfjs op graph on wasm.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const args = Object.fromEntries(
  process.argv.slice(2).map((a) => {
    const m = /^--([^=]+)=(.*)$/.exec(a);
    if (!m) throw new Error(`bench: unknown argument ${a} (expected --key=value)`);
    return [m[1], m[2]];
  }),
);
const levels = (args.levels ?? '17,17,17,17').split(',').map(Number);
const d = levels.length;
const n = Number(args.n ?? 2 ** 24);
const repeats = Number(args.repeats ?? 5);
const seed = Number(args.seed ?? 1);
if (n % d !== 0) throw new Error(`bench: --n=${n} is not a multiple of d=${d}`);

const dist = fileURLToPath(new URL('../dist/index.js', import.meta.url));
if (!existsSync(dist)) {
  console.error('bench: build the package first: npx tsc -b packages/quantizer-ifsq');
  process.exit(1);
}
const { resolveFsqConfig, encodeInto, exactBinEdges, referenceIndicesOp, codesOp, encodeTensor } = await import(dist);

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const time = (fn) => {
  const ts = [];
  fn(); // warm-up (JIT / kernel compilation)
  for (let r = 0; r < repeats; r++) {
    const t0 = performance.now();
    fn();
    ts.push(performance.now() - t0);
  }
  return median(ts);
};

// Seeded N(0,1) values: mulberry32 + Box–Muller.
function seededNormals(count, s) {
  let a = s >>> 0;
  const u = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const out = new Float32Array(count);
  for (let i = 0; i < count; i += 2) {
    let u1 = 0;
    while (u1 === 0) u1 = u();
    const r = Math.sqrt(-2 * Math.log(u1));
    const th = 2 * Math.PI * u();
    out[i] = r * Math.cos(th);
    if (i + 1 < count) out[i + 1] = r * Math.sin(th);
  }
  return out;
}

const cfg = resolveFsqConfig({ levels, bound: 'ifsq', alpha: 1.6 });
const rows = n / d;
const dir = mkdtempSync(join(tmpdir(), 'ifsq-bench-'));
try {
  const z = seededNormals(n, seed);
  writeFileSync(join(dir, 'x.bin'), z);
  const edges = exactBinEdges(cfg);
  writeFileSync(join(dir, 'edges.bin'), Float32Array.from(edges.flatMap((e) => Array.from(e))));

  const cSource = String.raw`
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#define D ${d}
static const int LV[D] = {${levels.join(',')}};
static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + 1e-9 * t.tv_nsec; }
static int cmpd(const void *a, const void *b) { double x = *(const double *)a, y = *(const double *)b; return (x > y) - (x < y); }
int main(int argc, char **argv) {
  const char *dir = argv[1]; const char *variant = argv[2]; long n = atol(argv[3]); int reps = atoi(argv[4]);
  long N = n / D; char path[4096];
  float *x = malloc(n * 4), *zq = malloc(n * 4); int *code = malloc(N * 4);
  snprintf(path, sizeof path, "%s/x.bin", dir); FILE *f = fopen(path, "rb");
  if (!f || fread(x, 4, n, f) != (size_t)n) { fprintf(stderr, "cannot read %s\n", path); return 1; } fclose(f);
  float thr[D][512]; int off = 0;
  snprintf(path, sizeof path, "%s/edges.bin", dir); f = fopen(path, "rb");
  for (int j = 0; j < D; j++) { if (fread(thr[j], 4, LV[j] - 1, f) != (size_t)(LV[j] - 1)) return 1; off += LV[j] - 1; } fclose(f);
  float h[D], invhw[D], tab[D][512]; int hw[D], pw[D];
  for (int j = 0; j < D; j++) { h[j] = (LV[j] - 1) * 0.5f; hw[j] = LV[j] / 2; pw[j] = j ? pw[j - 1] * LV[j - 1] : 1;
    for (int k = 0; k < LV[j]; k++) tab[j][k] = (float)(k - hw[j]) / (float)hw[j]; invhw[j] = 1.0f / hw[j]; }
  int v = !strcmp(variant, "sig_exact") ? 0 : !strcmp(variant, "sig_expf") ? 1 : 2;
  double *ts = malloc(sizeof(double) * reps);
  for (int r = 0; r < reps; r++) {
    double t0 = now();
    if (v == 0) {
      for (long i = 0; i < N; i++) { int c = 0;
        for (int j = 0; j < D; j++) { float t = 1.6f * x[i * D + j]; float s = (float)(1.0 / (1.0 + exp(-(double)t)));
          float y = 2.0f * s - 1.0f; float q = rintf(y * h[j]); zq[i * D + j] = q / (float)hw[j]; c += ((int)q + hw[j]) * pw[j]; }
        code[i] = c; }
    } else if (v == 1) {
      for (long i = 0; i < N; i++) { int c = 0;
        #pragma omp simd reduction(+:c)
        for (int j = 0; j < D; j++) { float y = 2.0f / (1.0f + expf(-1.6f * x[i * D + j])) - 1.0f;
          float q = rintf(y * h[j]); zq[i * D + j] = q * invhw[j]; c += ((int)q + hw[j]) * pw[j]; }
        code[i] = c; }
    } else {
      for (long i = 0; i < N; i++) { int c = 0;
        #pragma omp simd reduction(+:c)
        for (int j = 0; j < D; j++) { float xv = x[i * D + j]; int lv = 0;
          for (int k = 0; k < LV[j] - 1; k++) lv += (xv >= thr[j][k]);
          zq[i * D + j] = tab[j][lv]; c += lv * pw[j]; }
        code[i] = c; }
    }
    ts[r] = now() - t0;
  }
  qsort(ts, reps, sizeof(double), cmpd);
  snprintf(path, sizeof path, "%s/idx_%s.bin", dir, variant); f = fopen(path, "wb"); fwrite(code, 4, N, f); fclose(f);
  printf("%.3f\n", 1e3 * (reps % 2 ? ts[reps / 2] : 0.5 * (ts[reps / 2 - 1] + ts[reps / 2])));
  return 0;
}
`;
  writeFileSync(join(dir, 'fsq_ref.c'), cSource);
  const exe = join(dir, 'fsq_ref');
  execFileSync('gcc', ['-O3', '-march=native', '-fopenmp-simd', '-o', exe, join(dir, 'fsq_ref.c'), '-lm'], { stdio: 'inherit' });
  const cTimes = {};
  const cIdx = {};
  for (const variant of ['sig_exact', 'sig_expf', 'thr']) {
    cTimes[variant] = Number(execFileSync(exe, [dir, variant, String(n), String(repeats)], { encoding: 'utf8' }).trim());
    cIdx[variant] = new Int32Array(readFileSync(join(dir, `idx_${variant}.bin`)).buffer.slice(0));
  }

  // Ours, one thread, plain typed arrays (codes + indices, as the C program computes).
  const codes = new Float32Array(n);
  const indices = new Int32Array(rows);
  const ours = time(() => encodeInto(z, cfg, indices, codes));
  const mismatch = (a, b) => {
    let m = 0;
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) m++;
    return m;
  };

  // tfjs on wasm: our IfsqEncode kernel, and the stock op graph (bound → round → codes, indices).
  const tf = await import('@tensorflow/tfjs');
  await import('@tensorflow/tfjs-backend-wasm');
  tf.env().set('PROD', true);
  await tf.setBackend('wasm');
  const zt = tf.tensor2d(z, [rows, d]);
  const oursWasm = time(() => {
    const r = encodeTensor(zt, cfg, [rows]);
    tf.dispose([r.codes, r.indices]);
  });
  const opGraph = time(() => {
    tf.tidy(() => {
      const { codes: c, rounded } = codesOp(zt, cfg);
      const i = referenceIndicesOp(zt, cfg);
      return [c, rounded, i];
    }).forEach((t) => t.dispose());
  });
  const wasmOpIdx = referenceIndicesOp(zt, cfg);
  const wasmOpMismatch = mismatch(indices, wasmOpIdx.dataSync());
  tf.dispose([zt, wasmOpIdx]);

  const mC = mismatch(indices, cIdx.sig_exact);
  const mThr = mismatch(indices, cIdx.thr);
  const mExpf = mismatch(indices, cIdx.sig_expf);
  const f = (x) => x.toFixed(1);
  console.log(`values: ${n} float32 (levels [${levels}], ${rows} positions), medians of ${repeats} repeats, 1 thread`);
  console.log(`ifsq encode: ours ${f(ours)} ms, C ${f(cTimes.sig_expf)} ms, ratio ${(ours / cTimes.sig_expf).toFixed(2)}`);
  console.log(`  C exact sigmoid (double exp) ${f(cTimes.sig_exact)} ms -> ratio ${(ours / cTimes.sig_exact).toFixed(2)}`);
  console.log(`  C threshold variant ${f(cTimes.thr)} ms -> ratio ${(ours / cTimes.thr).toFixed(2)}`);
  console.log(`  ours via IfsqEncode kernel on tfjs wasm ${f(oursWasm)} ms; tfjs op graph on wasm ${f(opGraph)} ms`);
  console.log(`indices identical to C exact sigmoid: ${mC === 0 ? 'yes' : `NO (${mC} differ)`}; to C threshold: ${mThr === 0 ? 'yes' : `NO (${mThr} differ)`}`);
  console.log(`  (informational) differ from C expf: ${mExpf}; from the wasm op graph (XNNPACK sigmoid): ${wasmOpMismatch}`);
  if (mC !== 0 || mThr !== 0) process.exitCode = 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
