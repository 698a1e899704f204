import type { GroupNormDims } from './group-norm-math.js';

/** The exports of the kernels module (`packages/core/native/src/*.c`): addresses and sizes are plain numbers. */
export interface NativeExports {
  __stack_pointer: { value: number };
  binary_f32(op: number, a: number, b: number, out: number, n: number, mode: number, len: number): void;
  softmax_f32(x: number, out: number, rows: number, cols: number): void;
  adamw_f32(
    p: number, m: number, v: number, g: number, pOut: number, mOut: number, vOut: number, n: number,
    decay: number, beta1: number, beta2: number, stepSize: number, bias2Sqrt: number, eps: number,
  ): void;
  __heap_base: { value: number };
  batch_matmul(
    a: number,
    b: number,
    c: number,
    scratch: number,
    batch: number,
    batchA: number,
    batchB: number,
    m: number,
    k: number,
    n: number,
    transA: number,
    transB: number,
  ): void;
  transpose_f32(x: number, y: number, shape: number, perm: number, rank: number): number;
  exp_f32(x: number, out: number, count: number): void;
  gelu_forward(x: number, y: number, count: number, variant: number): void;
  gelu_backward(dy: number, x: number, dx: number, count: number, variant: number): void;
  gelu_forward_grad(x: number, y: number, g: number, count: number, variant: number): void;
  group_norm_scratch_bytes(c: number): number;
  group_norm_forward(
    x: number,
    gamma: number,
    beta: number,
    y: number,
    sig: number,
    mean: number,
    rstd: number,
    scratch: number,
    n: number,
    s: number,
    c: number,
    g: number,
    eps: number,
    silu: number,
  ): void;
  group_norm_backward(
    dy: number,
    x: number,
    gamma: number,
    beta: number,
    mean: number,
    rstd: number,
    sig: number,
    dx: number,
    dgamma: number,
    dbeta: number,
    scratch: number,
    n: number,
    s: number,
    c: number,
    g: number,
    silu: number,
  ): void;
  sum_middle(x: number, out: number, scratch: number, outer: number, mid: number, inner: number, divisor: number): void;
  layer_norm_forward(x: number, gamma: number, beta: number, y: number, mean: number, rstd: number, rows: number, d: number, eps: number): void;
  layer_norm_backward(
    dy: number,
    x: number,
    gamma: number,
    mean: number,
    rstd: number,
    dx: number,
    dgamma: number,
    dbeta: number,
    scratch: number,
    rows: number,
    d: number,
  ): void;
}

/** Shape of one batched product for {@link NativeKernels.batchMatMul}. */
export interface BatchMatMulDims {
  /** Number of products. */
  batch: number;
  /** 1 (shared left operand) or `batch`. */
  batchA: number;
  /** 1 (shared right operand) or `batch`. */
  batchB: number;
  /** Rows of the product. */
  m: number;
  /** Inner dimension. */
  k: number;
  /** Columns of the product. */
  n: number;
  /** Left operand stored `K×M`. */
  transposeA: boolean;
  /** Right operand stored `N×K`. */
  transposeB: boolean;
}

/** Outputs of {@link NativeKernels.groupNormForward}, sized like the inputs of the TS reference `groupNormStats`/`groupNormAffine`. */
export interface GroupNormForwardOutputs {
  /** `[N·S·C]`: `a = γ·x̂ + β`, or `a·σ(a)` with SiLU. */
  y: Float32Array;
  /** `[N·G]` group means. */
  mean: Float32Array;
  /** `[N·G]` `1/√(σ² + eps)`. */
  rstd: Float32Array;
  /** `[N·S·C]` `σ(a)`; pass it to run the forward with SiLU, leave it out for plain GroupNorm. */
  sig?: Float32Array;
}

/** Inputs of {@link NativeKernels.groupNormBackward}: the upstream gradient and what the forward saved. */
export interface GroupNormBackwardInputs {
  /** `[N·S·C]` gradient of the output. */
  dy: Float32Array;
  /** `[N·S·C]` the forward's input. */
  x: Float32Array;
  /** `[C]` scale. */
  gamma: Float32Array;
  /** `[C]` shift. */
  beta: Float32Array;
  /** `[N·G]` from the forward. */
  mean: Float32Array;
  /** `[N·G]` from the forward. */
  rstd: Float32Array;
  /** `[N·S·C]` `σ(a)` from the forward when it applied SiLU; its presence selects the SiLU backward. */
  sig?: Float32Array;
}

/** Outputs of {@link NativeKernels.groupNormBackward}. */
export interface GroupNormBackwardOutputs {
  /** `[N·S·C]` gradient of the input. */
  dx: Float32Array;
  /** `[C]` gradient of the scale. */
  dgamma: Float32Array;
  /** `[C]` gradient of the shift. */
  dbeta: Float32Array;
}

/** Shape `[outer, mid, inner]` of a reduction over the middle axis for {@link NativeKernels.sumMiddle}. */
export interface SumMiddleDims {
  /** Product of the kept leading axes (1 when none). */
  outer: number;
  /** Product of the reduced axes. */
  mid: number;
  /** Product of the kept trailing axes. */
  inner: number;
}

/** Operations of {@link NativeKernels.binary}; `reverseSub` is `b − a`, `reverseDiv` `b / a`. */
export type BinaryOp = 'add' | 'sub' | 'mul' | 'reverseSub' | 'div' | 'reverseDiv';

/**
 * How {@link NativeKernels.binary} reads its second operand for output element `i`: `full` `b[i]`; `cycle`
 * `b[i mod b.length]` (broadcast over leading axes); `repeat` `b[⌊i / (n / b.length)⌋]` (over trailing axes).
 */
export type BinaryBroadcast = 'full' | 'cycle' | 'repeat';


/** Rows and width of a LayerNorm over the last axis, for {@link NativeKernels.layerNormForward}. */
export interface LayerNormDims {
  /** Product of the leading axes. */
  rows: number;
  /** Size of the normalised last axis. */
  d: number;
}

/** Outputs of {@link NativeKernels.layerNormForward}. */
export interface LayerNormForwardOutputs {
  /** `[rows·d]` `γ·x̂ + β`. */
  y: Float32Array;
  /** `[rows]` row means. */
  mean: Float32Array;
  /** `[rows]` `1/√(σ² + eps)`. */
  rstd: Float32Array;
}

/** Inputs of {@link NativeKernels.layerNormBackward}: the upstream gradient and what the forward saved. */
export interface LayerNormBackwardInputs {
  /** `[rows·d]` gradient of the output. */
  dy: Float32Array;
  /** `[rows·d]` the forward's input. */
  x: Float32Array;
  /** `[d]` scale. */
  gamma: Float32Array;
  /** `[rows]` from the forward. */
  mean: Float32Array;
  /** `[rows]` from the forward. */
  rstd: Float32Array;
}

/** Outputs of {@link NativeKernels.layerNormBackward}. */
export interface LayerNormBackwardOutputs {
  /** `[rows·d]` gradient of the input. */
  dx: Float32Array;
  /** `[d]` gradient of the scale. */
  dgamma: Float32Array;
  /** `[d]` gradient of the shift. */
  dbeta: Float32Array;
}
