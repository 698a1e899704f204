// Batched float32 matmul with wasm SIMD128, for the small per-head products of attention where tfjs-wasm's
// batched BatchMatMul falls back to scalar code. Row-major, C[b] = op(A[b]) · op(B[b]), op = optional transpose.
// Build: packages/core/native/build.sh (clang --target=wasm32 -msimd128 -O3, no libc).
#include <wasm_simd128.h>


// Scratch for one transposed B panel; callers pass it (memory is managed by the JS side).
static void transpose_into(const float* src, float* dst, int rows, int cols) {
  // src is rows×cols, dst becomes cols×rows.
  for (int r = 0; r < rows; r++)
    for (int c = 0; c < cols; c++) dst[c * rows + r] = src[r * cols + c];
}

// C (M×N) = A' (M×K) · B (K×N), where A' element (i,k) is a[i*ars + k*aks]; B is dense K×N row-major.
static void gemm_block(const float* a, int ars, int aks, const float* b, float* c, int M, int K, int N) {
  int i = 0;
  for (; i + 4 <= M; i += 4) {
    int j = 0;
    for (; j + 8 <= N; j += 8) {
      v128_t c00 = wasm_f32x4_splat(0), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00;
      for (int k = 0; k < K; k++) {
        const float* bk = b + k * N + j;
        v128_t b0 = wasm_v128_load(bk), b1 = wasm_v128_load(bk + 4);
        v128_t a0 = wasm_f32x4_splat(a[(i + 0) * ars + k * aks]);
        v128_t a1 = wasm_f32x4_splat(a[(i + 1) * ars + k * aks]);
        v128_t a2 = wasm_f32x4_splat(a[(i + 2) * ars + k * aks]);
        v128_t a3 = wasm_f32x4_splat(a[(i + 3) * ars + k * aks]);
        c00 = wasm_f32x4_add(c00, wasm_f32x4_mul(a0, b0)); c01 = wasm_f32x4_add(c01, wasm_f32x4_mul(a0, b1));
        c10 = wasm_f32x4_add(c10, wasm_f32x4_mul(a1, b0)); c11 = wasm_f32x4_add(c11, wasm_f32x4_mul(a1, b1));
        c20 = wasm_f32x4_add(c20, wasm_f32x4_mul(a2, b0)); c21 = wasm_f32x4_add(c21, wasm_f32x4_mul(a2, b1));
        c30 = wasm_f32x4_add(c30, wasm_f32x4_mul(a3, b0)); c31 = wasm_f32x4_add(c31, wasm_f32x4_mul(a3, b1));
      }
      float* cr = c + i * N + j;
      wasm_v128_store(cr, c00); wasm_v128_store(cr + 4, c01);
      wasm_v128_store(cr + N, c10); wasm_v128_store(cr + N + 4, c11);
      wasm_v128_store(cr + 2 * N, c20); wasm_v128_store(cr + 2 * N + 4, c21);
      wasm_v128_store(cr + 3 * N, c30); wasm_v128_store(cr + 3 * N + 4, c31);
    }
    for (; j < N; j++)
      for (int r = 0; r < 4; r++) {
        float s = 0;
        for (int k = 0; k < K; k++) s += a[(i + r) * ars + k * aks] * b[k * N + j];
        c[(i + r) * N + j] = s;
      }
  }
  for (; i < M; i++)
    for (int j = 0; j < N; j++) {
      float s = 0;
      for (int k = 0; k < K; k++) s += a[i * ars + k * aks] * b[k * N + j];
      c[i * N + j] = s;
    }
}

// batch products; A is batchA×(M×K or K×M), B is batchB×(K×N or N×K); batchA/batchB are 1 or batch.
// scratch must hold K*N floats (used when transB).
__attribute__((export_name("batch_matmul")))
void batch_matmul(const float* a, const float* b, float* c, float* scratch, int batch, int batchA, int batchB,
                  int M, int K, int N, int transA, int transB) {
  const int ars = transA ? 1 : K, aks = transA ? M : 1;
  for (int p = 0; p < batch; p++) {
    const float* ap = a + (batchA == 1 ? 0 : p) * M * K;
    const float* bp = b + (batchB == 1 ? 0 : p) * K * N;
    if (transB) {
      if (p == 0 || batchB != 1) transpose_into(bp, scratch, N, K);
      bp = scratch;
    }
    gemm_block(ap, ars, aks, bp, c + p * M * N, M, K, N);
  }
}
