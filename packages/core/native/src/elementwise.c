// Element-wise float32 arithmetic with the broadcasts of a network's adds and products, in wasm SIMD128:
//   out[i] = a[i] op b(i),   b(i) = b[i]          (same shape)
//                            b(i) = b[i mod len]  (b broadcast over leading axes: biases, masks, scalars)
//                            b(i) = b[i / rep]    (b broadcast over trailing axes: per-row scales)
// The host swaps the operands when a is the broadcast one (with REVERSE_SUB for b − a, REVERSE_DIV for b / a).
// These replace tfjs-wasm's XNNPACK element-wise operators, which wake the backend's thread pool for every call;
// its threads then spin for a while and take the core from the GEMM's threads.
// Build: packages/core/native/build.sh.
#include <wasm_simd128.h>

#include "simd_math.h"

enum { OP_ADD = 0, OP_SUB = 1, OP_MUL = 2, OP_REVERSE_SUB = 3, OP_DIV = 4, OP_REVERSE_DIV = 5 };
enum { B_FULL = 0, B_CYCLE = 1, B_REPEAT = 2 };

static inline v128_t apply4(int op, v128_t a, v128_t b) {
  switch (op) {
    case OP_ADD: return wasm_f32x4_add(a, b);
    case OP_SUB: return wasm_f32x4_sub(a, b);
    case OP_MUL: return wasm_f32x4_mul(a, b);
    case OP_REVERSE_SUB: return wasm_f32x4_sub(b, a);
    case OP_DIV: return wasm_f32x4_div(a, b);
    default: return wasm_f32x4_div(b, a);
  }
}

static inline float apply1(int op, float a, float b) {
  switch (op) {
    case OP_ADD: return a + b;
    case OP_SUB: return a - b;
    case OP_MUL: return a * b;
    case OP_REVERSE_SUB: return b - a;
    case OP_DIV: return a / b;
    default: return b / a;
  }
}

// out[j] = a[j] op b[j] for j < n.
static inline __attribute__((always_inline)) void run_full(int op, const float* a, const float* b, float* out, int n) {
  int j = 0;
  for (; j + 4 <= n; j += 4) wasm_v128_store(out + j, apply4(op, wasm_v128_load(a + j), wasm_v128_load(b + j)));
  for (; j < n; j++) out[j] = apply1(op, a[j], b[j]);
}

// out[j] = a[j] op s for j < n.
static inline __attribute__((always_inline)) void run_scalar(int op, const float* a, float s, float* out, int n) {
  const v128_t vs = wasm_f32x4_splat(s);
  int j = 0;
  for (; j + 4 <= n; j += 4) wasm_v128_store(out + j, apply4(op, wasm_v128_load(a + j), vs));
  for (; j < n; j++) out[j] = apply1(op, a[j], s);
}

static inline __attribute__((always_inline)) void binary(int op, const float* a, const float* b, float* out, int n, int mode, int len) {
  if (mode == B_FULL) {
    run_full(op, a, b, out, n);
  } else if (mode == B_CYCLE && len == 1) {
    run_scalar(op, a, b[0], out, n);
  } else if (mode == B_CYCLE) {
    for (int i = 0; i < n; i += len) run_full(op, a + i, b, out + i, len);
  } else {
    const int rep = n / len;
    for (int r = 0; r < len; r++) run_scalar(op, a + r * rep, b[r], out + r * rep, rep);
  }
}

// One specialised copy of the loops per operation (the switch in apply4 folds away).
__attribute__((export_name("binary_f32")))
void binary_f32(int op, const float* a, const float* b, float* out, int n, int mode, int len) {
  switch (op) {
    case OP_ADD: binary(OP_ADD, a, b, out, n, mode, len); break;
    case OP_SUB: binary(OP_SUB, a, b, out, n, mode, len); break;
    case OP_MUL: binary(OP_MUL, a, b, out, n, mode, len); break;
    case OP_REVERSE_SUB: binary(OP_REVERSE_SUB, a, b, out, n, mode, len); break;
    case OP_DIV: binary(OP_DIV, a, b, out, n, mode, len); break;
    default: binary(OP_REVERSE_DIV, a, b, out, n, mode, len); break;
  }
}

// Softmax over the last axis of a rows×cols matrix: out = e^(x − max) / Σ e^(x − max), per row; exp within ~1 ulp
// (simd_math.h). `out` may be `x`.
__attribute__((export_name("softmax_f32")))
void softmax_f32(const float* x, float* out, int rows, int cols) {
  for (int r = 0; r < rows; r++) {
    const float* xr = x + r * cols;
    float* o = out + r * cols;
    v128_t vmax = wasm_f32x4_splat(-__builtin_inff());
    int j = 0;
    for (; j + 4 <= cols; j += 4) vmax = wasm_f32x4_pmax(vmax, wasm_v128_load(xr + j));
    float m = wasm_f32x4_extract_lane(vmax, 0);
    for (int l = 1; l < 4; l++) {
      const float v = l == 1 ? wasm_f32x4_extract_lane(vmax, 1) : l == 2 ? wasm_f32x4_extract_lane(vmax, 2) : wasm_f32x4_extract_lane(vmax, 3);
      m = v > m ? v : m;
    }
    for (; j < cols; j++) m = xr[j] > m ? xr[j] : m;
    // A row of −∞ (everything masked) has no maximum to subtract; tfjs gives NaN there too.
    const v128_t vm = wasm_f32x4_splat(m);
    v128_t vsum = wasm_f32x4_splat(0);
    float tail = 0;
    j = 0;
    // exp_f32x4 saturates below e^−87.3 instead of reaching 0; masked logits (−1e9) must give exactly 0.
    const v128_t floor = wasm_f32x4_splat(-87.33f);
    for (; j + 4 <= cols; j += 4) {
      const v128_t d = wasm_f32x4_sub(wasm_v128_load(xr + j), vm);
      const v128_t e = wasm_v128_andnot(exp_f32x4(d), wasm_f32x4_lt(d, floor));
      wasm_v128_store(o + j, e);
      vsum = wasm_f32x4_add(vsum, e);
    }
    for (; j < cols; j++) {
      const float d = xr[j] - m;
      const float e = d < -87.33f ? 0.0f : wasm_f32x4_extract_lane(exp_f32x4(wasm_f32x4_splat(d)), 0);
      o[j] = e;
      tail += e;
    }
    const float sum = wasm_f32x4_extract_lane(vsum, 0) + wasm_f32x4_extract_lane(vsum, 1) +
                      wasm_f32x4_extract_lane(vsum, 2) + wasm_f32x4_extract_lane(vsum, 3) + tail;
    const v128_t inv = wasm_f32x4_splat(1.0f / sum);
    j = 0;
    for (; j + 4 <= cols; j += 4) wasm_v128_store(o + j, wasm_f32x4_mul(wasm_v128_load(o + j), inv));
    for (; j < cols; j++) o[j] = o[j] * (1.0f / sum);
  }
}
