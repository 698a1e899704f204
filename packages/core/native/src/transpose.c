// Transpose of a 4-byte element tensor (float32 or int32: the bits are moved, never interpreted) with wasm SIMD128.
// tfjs-wasm's Transpose moves one element at a time across the whole tensor (~5 ns per element on our machines, the
// write stream misses the cache on every element once a row is larger than a page); this version walks the
// output in 32×32 tiles and moves 4×4 blocks with shuffles.
// Build: packages/core/native/build.sh.
#include <wasm_simd128.h>

#define MAX_RANK 8
#define TILE 32

// y[j*ldy + i] = x[i*ldx + j] for i < rows, j < cols (a rows×cols block, transposed).
static void transpose_block(const float* x, int ldx, float* y, int ldy, int rows, int cols) {
  int i = 0;
  for (; i + 4 <= rows; i += 4) {
    const float* x0 = x + i * ldx;
    int j = 0;
    for (; j + 4 <= cols; j += 4) {
      v128_t r0 = wasm_v128_load(x0 + j);
      v128_t r1 = wasm_v128_load(x0 + ldx + j);
      v128_t r2 = wasm_v128_load(x0 + 2 * ldx + j);
      v128_t r3 = wasm_v128_load(x0 + 3 * ldx + j);
      // Interleave pairs of rows, then pairs of pairs: column c of the block ends up in vector c.
      v128_t t0 = wasm_i32x4_shuffle(r0, r1, 0, 4, 1, 5);
      v128_t t1 = wasm_i32x4_shuffle(r0, r1, 2, 6, 3, 7);
      v128_t t2 = wasm_i32x4_shuffle(r2, r3, 0, 4, 1, 5);
      v128_t t3 = wasm_i32x4_shuffle(r2, r3, 2, 6, 3, 7);
      float* yj = y + j * ldy + i;
      wasm_v128_store(yj, wasm_i64x2_shuffle(t0, t2, 0, 2));
      wasm_v128_store(yj + ldy, wasm_i64x2_shuffle(t0, t2, 1, 3));
      wasm_v128_store(yj + 2 * ldy, wasm_i64x2_shuffle(t1, t3, 0, 2));
      wasm_v128_store(yj + 3 * ldy, wasm_i64x2_shuffle(t1, t3, 1, 3));
    }
    for (; j < cols; j++)
      for (int r = 0; r < 4; r++) y[j * ldy + i + r] = x0[r * ldx + j];
  }
  for (; i < rows; i++)
    for (int j = 0; j < cols; j++) y[j * ldy + i] = x[i * ldx + j];
}

// A rows×cols matrix at x (row stride ldx) into y as cols×rows (row stride ldy), tile by tile.
static void transpose_2d(const float* x, int ldx, float* y, int ldy, int rows, int cols) {
  for (int j0 = 0; j0 < cols; j0 += TILE) {
    int cn = cols - j0 < TILE ? cols - j0 : TILE;
    for (int i0 = 0; i0 < rows; i0 += TILE) {
      int rn = rows - i0 < TILE ? rows - i0 : TILE;
      transpose_block(x + i0 * ldx + j0, ldx, y + j0 * ldy + i0, ldy, rn, cn);
    }
  }
}

static void copy_run(const float* x, float* y, int n) {
  int i = 0;
  for (; i + 4 <= n; i += 4) wasm_v128_store(y + i, wasm_v128_load(x + i));
  for (; i < n; i++) y[i] = x[i];
}

// y = transpose(x, perm) for x of the given shape (row-major). The caller has dropped size-1 axes and merged axes
// that stay adjacent, so perm moves every axis (rank ≥ 2) — but any valid perm of rank ≤ MAX_RANK is handled.
// Returns 0, or -1 when the rank is out of range.
__attribute__((export_name("transpose_f32")))
int transpose_f32(const float* x, float* y, const int* shape, const int* perm, int rank) {
  if (rank < 1 || rank > MAX_RANK) return -1;
  int in_stride[MAX_RANK], out_dim[MAX_RANK], out_in_stride[MAX_RANK], out_stride[MAX_RANK];
  int s = 1;
  for (int d = rank - 1; d >= 0; d--) {
    in_stride[d] = s;
    s *= shape[d];
  }
  for (int d = 0; d < rank; d++) {
    out_dim[d] = shape[perm[d]];
    out_in_stride[d] = in_stride[perm[d]];
  }
  s = 1;
  for (int d = rank - 1; d >= 0; d--) {
    out_stride[d] = s;
    s *= out_dim[d];
  }
  const int total = s;
  if (total == 0) return 0;
  const int last = rank - 1;
  if (perm[last] == last) {
    // The innermost axis stays innermost: copy contiguous runs, odometer over the other output axes.
    const int run = out_dim[last];
    int idx[MAX_RANK] = {0};
    int src = 0;
    for (int dst = 0; dst < total; dst += run) {
      copy_run(x + src, y + dst, run);
      for (int d = last - 1; d >= 0; d--) {
        src += out_in_stride[d];
        if (++idx[d] < out_dim[d]) break;
        src -= out_in_stride[d] * out_dim[d];
        idx[d] = 0;
      }
    }
    return 0;
  }
  // Output axis `a` (innermost) reads with a large input stride; output axis `b` is the input's innermost axis.
  // Each (b, a) plane is a 2-D transpose; the odometer runs over the remaining output axes.
  const int a = last;
  int b = 0;
  while (perm[b] != last) b++;
  const int rows = out_dim[b], cols = out_dim[a];
  const int ldx = out_in_stride[a], ldy = out_stride[b];
  int idx[MAX_RANK] = {0};
  int src = 0, dst = 0;
  for (int done = 0; done < total; done += rows * cols) {
    // In the plane: input (i along b, j along a) at src + i + j*ldx  → view it as cols×rows with row stride ldx.
    transpose_2d(x + src, ldx, y + dst, ldy, cols, rows);
    for (int d = last - 1; d >= 0; d--) {
      if (d == b) continue;
      src += out_in_stride[d];
      dst += out_stride[d];
      if (++idx[d] < out_dim[d]) break;
      src -= out_in_stride[d] * out_dim[d];
      dst -= out_stride[d] * out_dim[d];
      idx[d] = 0;
    }
  }
  return 0;
}
