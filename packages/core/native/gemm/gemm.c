// Blocked single-precision GEMM for wasm SIMD128, split over threads that share one linear memory.
//
//   C[p] = op(A[p]) · op(B[p])   for every product p of a batch, row-major float32,
//
// where op() is read through element strides, so transposed operands cost nothing extra: packing reads them in
// whatever order they are stored. The loop nest is the classic one of GotoBLAS/BLIS: K in blocks of KC, the
// columns of B in blocks of NC packed into KC×NR panels, the rows of A in blocks of MC packed into KC×MR panels,
// and an MR×NR register tile that runs down a KC-long panel pair.
//
// Every element of C is summed in the same order whatever the thread count (k ascending inside a K block, K blocks
// added to C in order), so results are bit-identical on 1 or N threads.
//
// Built twice by packages/core/native/build.sh: with GEMM_FMA (-mrelaxed-simd, f32x4.relaxed_madd, which V8 lowers
// to a fused multiply-add on x86 with FMA3 and on ARM) and without (separate mul + add), for runtimes without
// relaxed SIMD.
#include <wasm_simd128.h>

#define MR 6
#define NR 8
#define KC 256
#define MC 96
#define NC 256
#define MAX_THREADS 8

#ifdef GEMM_FMA
#define MADD(a, b, c) wasm_f32x4_relaxed_madd((a), (b), (c))
#else
#define MADD(a, b, c) wasm_f32x4_add(wasm_f32x4_mul((a), (b)), (c))
#endif

// One call: written by the host, read by every thread. All sizes and strides are in elements.
typedef struct {
  const float* a;
  const float* b;
  float* c;
  int m, k, n;
  int a_row, a_col;  // A(i, k) = a[i*a_row + k*a_col]
  int b_row, b_col;  // B(k, j) = b[k*b_row + j*b_col]
  int batch;
  int a_batch, b_batch, c_batch;  // element offsets between products (0: shared operand)
  int threads;
  float* work[MAX_THREADS];  // per-thread packing space, gemm_workspace_floats() each
  // When a_rows is set, A is read through two offset tables instead of the strides: A(i, k) = a[a_rows[i] +
  // a_cols[k]] (batch 1). A convolution's filter gradient is such a product, with rows the filter taps × input
  // channels and columns the output pixels, read straight from the padded input (no im2col matrix).
  const int* a_rows;
  const int* a_cols;
} gemm_job;

__attribute__((export_name("gemm_job_bytes")))
int gemm_job_bytes(void) { return (int)sizeof(gemm_job); }

// Floats of packing space each thread needs (a packed A block and a packed B block).
__attribute__((export_name("gemm_workspace_floats")))
int gemm_workspace_floats(void) { return MC * KC + KC * NC; }

// Packs rows [i0, i0+mc) × k-range [k0, k0+kc) of A into panels of MR rows: panel q holds A(i0+q*MR+r, k0+t) at
// [q*kc*MR + t*MR + r]; rows past mc are zero.
static void pack_a(const float* a, int a_row, int a_col, int i0, int mc, int k0, int kc, float* dst) {
  for (int q = 0; q < mc; q += MR) {
    const int rows = mc - q < MR ? mc - q : MR;
    float* p = dst + q * kc;
    const float* src = a + (i0 + q) * a_row + k0 * a_col;
    if (a_row == 1 && rows == MR) {
      // A stored transposed: the MR rows of one k are adjacent.
      for (int t = 0; t < kc; t++, p += MR) {
        const float* s = src + t * a_col;
        for (int r = 0; r < MR; r++) p[r] = s[r];
      }
    } else {
      for (int t = 0; t < kc; t++, p += MR) {
        const float* s = src + t * a_col;
        int r = 0;
        for (; r < rows; r++) p[r] = s[r * a_row];
        for (; r < MR; r++) p[r] = 0;
      }
    }
  }
}

// pack_a for A read through offset tables: A(i, k) = a[rows[i] + cols[k]].
static void pack_a_indexed(const float* a, const int* rows_at, const int* cols_at, int i0, int mc, int k0, int kc,
                           float* dst) {
  for (int q = 0; q < mc; q += MR) {
    const int rows = mc - q < MR ? mc - q : MR;
    const int* ri = rows_at + i0 + q;
    float* p = dst + q * kc;
    if (rows == MR) {
      for (int t = 0; t < kc; t++, p += MR) {
        const float* s = a + cols_at[k0 + t];
        for (int r = 0; r < MR; r++) p[r] = s[ri[r]];
      }
    } else {
      for (int t = 0; t < kc; t++, p += MR) {
        const float* s = a + cols_at[k0 + t];
        int r = 0;
        for (; r < rows; r++) p[r] = s[ri[r]];
        for (; r < MR; r++) p[r] = 0;
      }
    }
  }
}

// Packs k-range [k0, k0+kc) × columns [j0, j0+nc) of B into panels of NR columns: panel q holds B(k0+t, j0+q*NR+c)
// at [q*kc*NR + t*NR + c]; columns past nc are zero.
static void pack_b(const float* b, int b_row, int b_col, int k0, int kc, int j0, int nc, float* dst) {
  for (int q = 0; q < nc; q += NR) {
    const int cols = nc - q < NR ? nc - q : NR;
    float* p = dst + q * kc;
    const float* src = b + k0 * b_row + (j0 + q) * b_col;
    if (b_col == 1 && cols == NR) {
      for (int t = 0; t < kc; t++, p += NR) {
        const float* s = src + t * b_row;
        wasm_v128_store(p, wasm_v128_load(s));
        wasm_v128_store(p + 4, wasm_v128_load(s + 4));
      }
    } else {
      for (int t = 0; t < kc; t++, p += NR) {
        const float* s = src + t * b_row;
        int c = 0;
        for (; c < cols; c++) p[c] = s[c * b_col];
        for (; c < NR; c++) p[c] = 0;
      }
    }
  }
}

// The MR×NR tile of C at c (row stride ldc) gets ap·bp (kc long) added to it, or stored when `first`; only the
// top-left rows×cols part is written.
static void micro_tile(const float* ap, const float* bp, int kc, float* c, int ldc, int rows, int cols, int first) {
  v128_t c00 = wasm_f32x4_splat(0), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00;
  v128_t c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
  for (int t = 0; t < kc; t++, ap += MR, bp += NR) {
    const v128_t b0 = wasm_v128_load(bp), b1 = wasm_v128_load(bp + 4);
    v128_t a = wasm_v128_load32_splat(ap);
    c00 = MADD(a, b0, c00);
    c01 = MADD(a, b1, c01);
    a = wasm_v128_load32_splat(ap + 1);
    c10 = MADD(a, b0, c10);
    c11 = MADD(a, b1, c11);
    a = wasm_v128_load32_splat(ap + 2);
    c20 = MADD(a, b0, c20);
    c21 = MADD(a, b1, c21);
    a = wasm_v128_load32_splat(ap + 3);
    c30 = MADD(a, b0, c30);
    c31 = MADD(a, b1, c31);
    a = wasm_v128_load32_splat(ap + 4);
    c40 = MADD(a, b0, c40);
    c41 = MADD(a, b1, c41);
    a = wasm_v128_load32_splat(ap + 5);
    c50 = MADD(a, b0, c50);
    c51 = MADD(a, b1, c51);
  }
  v128_t acc[MR][2] = {{c00, c01}, {c10, c11}, {c20, c21}, {c30, c31}, {c40, c41}, {c50, c51}};
  if (cols == NR) {
    for (int r = 0; r < rows; r++) {
      float* cr = c + r * ldc;
      if (first) {
        wasm_v128_store(cr, acc[r][0]);
        wasm_v128_store(cr + 4, acc[r][1]);
      } else {
        wasm_v128_store(cr, wasm_f32x4_add(wasm_v128_load(cr), acc[r][0]));
        wasm_v128_store(cr + 4, wasm_f32x4_add(wasm_v128_load(cr + 4), acc[r][1]));
      }
    }
    return;
  }
  float tile[MR * NR];
  for (int r = 0; r < MR; r++) {
    wasm_v128_store(tile + r * NR, acc[r][0]);
    wasm_v128_store(tile + r * NR + 4, acc[r][1]);
  }
  for (int r = 0; r < rows; r++)
    for (int j = 0; j < cols; j++) c[r * ldc + j] = first ? tile[r * NR + j] : c[r * ldc + j] + tile[r * NR + j];
}

// C rows [i_lo, i_hi) × columns [j_lo, j_hi) of one product.
static void gemm_range(const gemm_job* job, const float* a, const float* b, float* c, int i_lo, int i_hi, int j_lo,
                       int j_hi, float* work) {
  float* pa = work;
  float* pb = work + MC * KC;
  const int K = job->k, N = job->n;
  if (K == 0) {
    for (int i = i_lo; i < i_hi; i++)
      for (int j = j_lo; j < j_hi; j++) c[i * N + j] = 0;
    return;
  }
  for (int k0 = 0; k0 < K; k0 += KC) {
    const int kc = K - k0 < KC ? K - k0 : KC;
    for (int j0 = j_lo; j0 < j_hi; j0 += NC) {
      const int nc = j_hi - j0 < NC ? j_hi - j0 : NC;
      pack_b(b, job->b_row, job->b_col, k0, kc, j0, nc, pb);
      for (int i0 = i_lo; i0 < i_hi; i0 += MC) {
        const int mc = i_hi - i0 < MC ? i_hi - i0 : MC;
        if (job->a_rows) pack_a_indexed(a, job->a_rows, job->a_cols, i0, mc, k0, kc, pa);
        else pack_a(a, job->a_row, job->a_col, i0, mc, k0, kc, pa);
        for (int jj = 0; jj < nc; jj += NR) {
          const int cols = nc - jj < NR ? nc - jj : NR;
          for (int ii = 0; ii < mc; ii += MR) {
            const int rows = mc - ii < MR ? mc - ii : MR;
            micro_tile(pa + ii * kc, pb + jj * kc, kc, c + (i0 + ii) * N + j0 + jj, N, rows, cols, k0 == 0);
          }
        }
      }
    }
  }
}

// Splits [0, total) in `parts` pieces that are multiples of `align` (the last one takes the rest); piece `t`.
static void share(int total, int parts, int t, int align, int* lo, int* hi) {
  const int units = (total + align - 1) / align;
  const int per = units / parts, extra = units % parts;
  const int u0 = t * per + (t < extra ? t : extra);
  const int u1 = u0 + per + (t < extra ? 1 : 0);
  *lo = u0 * align < total ? u0 * align : total;
  *hi = u1 * align < total ? u1 * align : total;
}

// Thread `t` of job->threads does its share: whole products when there are at least as many products as threads,
// else a band of rows or columns (whichever dimension is longer) of every product.
__attribute__((export_name("gemm_run")))
void gemm_run(const gemm_job* job, int t) {
  const int T = job->threads;
  float* work = job->work[t];
  if (job->batch >= T) {
    int p0, p1;
    share(job->batch, T, t, 1, &p0, &p1);
    for (int p = p0; p < p1; p++)
      gemm_range(job, job->a + p * job->a_batch, job->b + p * job->b_batch, job->c + p * job->c_batch, 0, job->m, 0,
                 job->n, work);
    return;
  }
  int lo, hi;
  const int by_rows = job->m >= job->n;
  share(by_rows ? job->m : job->n, T, t, by_rows ? MR : NR, &lo, &hi);
  if (lo >= hi) return;
  for (int p = 0; p < job->batch; p++) {
    const float* a = job->a + p * job->a_batch;
    const float* b = job->b + p * job->b_batch;
    float* c = job->c + p * job->c_batch;
    if (by_rows) gemm_range(job, a, b, c, lo, hi, 0, job->n, work);
    else gemm_range(job, a, b, c, 0, job->m, lo, hi, work);
  }
}
