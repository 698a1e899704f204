// Element-wise float32 arithmetic with the broadcasts of a network's adds and products, in wasm SIMD128:
//   out[i] = a[i] op b(i),   b(i) = b[i]          (same shape)
//                            b(i) = b[i mod len]  (b broadcast over leading axes: biases, masks, scalars)
//                            b(i) = b[i / rep]    (b broadcast over trailing axes: per-row scales)
// The host swaps the operands when a is the broadcast one (with op REVERSE_SUB for b − a).
// These replace tfjs-wasm's XNNPACK element-wise operators, which wake the backend's thread pool for every call;
// its threads then spin for a while and take the core from the GEMM's threads.
// Build: packages/core/native/build.sh.
#include <wasm_simd128.h>

enum { OP_ADD = 0, OP_SUB = 1, OP_MUL = 2, OP_REVERSE_SUB = 3 };
enum { B_FULL = 0, B_CYCLE = 1, B_REPEAT = 2 };

static inline v128_t apply4(int op, v128_t a, v128_t b) {
  switch (op) {
    case OP_ADD: return wasm_f32x4_add(a, b);
    case OP_SUB: return wasm_f32x4_sub(a, b);
    case OP_MUL: return wasm_f32x4_mul(a, b);
    default: return wasm_f32x4_sub(b, a);
  }
}

static inline float apply1(int op, float a, float b) {
  switch (op) {
    case OP_ADD: return a + b;
    case OP_SUB: return a - b;
    case OP_MUL: return a * b;
    default: return b - a;
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
    default: binary(OP_REVERSE_SUB, a, b, out, n, mode, len); break;
  }
}
