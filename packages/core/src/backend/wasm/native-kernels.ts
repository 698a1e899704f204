import type { GroupNormDims } from './group-norm-math.js';
import { NATIVE_KERNELS_WASM_BASE64 } from './native-kernels.generated.js';

/** The slice of the WebAssembly JS API used here (the project's `lib` has no DOM/WebAssembly typings). */
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
}
const WebAssemblyApi = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;

interface NativeExports {
  memory: WasmMemory;
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

const align = (bytes: number) => (bytes + 15) & ~15;

/** Throws unless the groups divide the channels. */
function checkGroups(kernel: string, { c, g }: GroupNormDims): void {
  if (!(g > 0 && c % g === 0)) throw new Error(`${kernel}: ${g} groups do not divide ${c} channels`);
}

/** Throws unless every named array holds at least `length` floats. */
function checkLengths(kernel: string, length: number, arrays: Record<string, Float32Array | undefined>): void {
  for (const [name, a] of Object.entries(arrays)) {
    if (a && a.length < length) throw new Error(`${kernel}: '${name}' has ${a.length} floats, expected ${length}`);
  }
}

/**
 * The WASM SIMD kernels of `packages/core/native` (built by `native/build.sh`, embedded as base64). They run in
 * their own linear memory: operands are copied in and results out, which costs far less than the arithmetic
 * they replace.
 */
export class NativeKernels {
  readonly #x: NativeExports;
  readonly #base: number;

  private constructor(x: NativeExports) {
    this.#x = x;
    this.#base = align(Number(x.__heap_base.value));
  }

  /** Compiles the kernels; `undefined` when this runtime has no WebAssembly SIMD. */
  static load(): NativeKernels | undefined {
    try {
      if (!WebAssemblyApi) return undefined;
      const bytes = Uint8Array.from(atob(NATIVE_KERNELS_WASM_BASE64), (ch) => ch.charCodeAt(0));
      const instance = new WebAssemblyApi.Instance(new WebAssemblyApi.Module(bytes), {});
      return new NativeKernels(instance.exports as unknown as NativeExports);
    } catch {
      return undefined;
    }
  }

  #reserve(bytes: number): void {
    const need = this.#base + bytes;
    const have = this.#x.memory.buffer.byteLength;
    if (need > have) this.#x.memory.grow(Math.ceil((need - have) / 65536));
  }

  /**
   * Lays out consecutive 16-byte aligned regions of the given byte sizes after the heap base, grows the memory to
   * hold them, and returns their addresses.
   */
  #regions(bytes: readonly number[]): number[] {
    const at: number[] = [];
    let end = this.#base;
    for (const b of bytes) {
      at.push(end);
      end += align(b);
    }
    this.#reserve(end - this.#base);
    return at;
  }

  #put(address: number, values: Float32Array): void {
    new Float32Array(this.#x.memory.buffer, address, values.length).set(values);
  }

  #get(address: number, out: Float32Array): void {
    out.set(new Float32Array(this.#x.memory.buffer, address, out.length));
  }

  /**
   * `out[i] = e^x[i]` with the vectorised float32 exp the GroupNorm kernels use for σ: within 1 ulp of the correctly
   * rounded value on [−87.3, 88.3]; outside, it saturates to finite values (NaN stays NaN).
   */
  exp(x: Float32Array, out: Float32Array): void {
    const [px, po] = this.#regions([x.length * 4, x.length * 4]);
    this.#put(px, x);
    this.#x.exp_f32(px, po, x.length);
    this.#get(po, out.subarray(0, x.length));
  }

  /**
   * `out[i] = GELU(x[i])`, `variant` 0 the erf form `x·Φ(x)`, 1 the tanh form `x·σ(2√(2/π)(x + 0.044715x³))`:
   * within a few float32 ulp relative of the exact values, also for x ≪ 0 (see `native/src/gelu.c`). `out` may be `x`.
   * With `derivative`, also `derivative[i] = GELU'(x[i])` (for a backward that is then one multiply), sharing most
   * of the work.
   */
  geluForward(x: Float32Array, out: Float32Array, variant: 0 | 1, derivative?: Float32Array): void {
    const n = x.length;
    checkLengths('geluForward', n, { out, derivative });
    const [p, pg] = this.#regions([n * 4, derivative ? n * 4 : 0]);
    this.#put(p, x);
    if (derivative) this.#x.gelu_forward_grad(p, p, pg, n, variant);
    else this.#x.gelu_forward(p, p, n, variant);
    this.#get(p, out.subarray(0, n));
    if (derivative) this.#get(pg, derivative.subarray(0, n));
  }

  /** `dx[i] = dy[i]·GELU'(x[i])` for the {@link NativeKernels.geluForward} variant. `dx` may be `dy`. */
  geluBackward(dy: Float32Array, x: Float32Array, dx: Float32Array, variant: 0 | 1): void {
    checkLengths('geluBackward', x.length, { dy, dx });
    const n = x.length;
    // dx overwrites dy in place (the kernel reads each element before writing it).
    const [pd, px] = this.#regions([n * 4, n * 4]);
    this.#put(pd, dy.subarray(0, n));
    this.#put(px, x);
    this.#x.gelu_backward(pd, px, pd, n, variant);
    this.#get(pd, dx.subarray(0, n));
  }

  /**
   * Fused GroupNorm (+ SiLU when `out.sig` is given) forward over NHWC `x` (`[N·S·C]`): the same results as
   * `groupNormStats` + `groupNormAffine` (+ sigmoid) of `group-norm-math.ts` to float32 rounding.
   */
  groupNormForward(
    dims: GroupNormDims,
    x: Float32Array,
    gamma: Float32Array,
    beta: Float32Array,
    eps: number,
    out: GroupNormForwardOutputs,
  ): void {
    const { n, s, c, g } = dims;
    const size = n * s * c;
    const silu = out.sig !== undefined;
    checkGroups('groupNormForward', dims);
    checkLengths('groupNormForward', size, { x, y: out.y, sig: out.sig });
    checkLengths('groupNormForward', c, { gamma, beta });
    checkLengths('groupNormForward', n * g, { mean: out.mean, rstd: out.rstd });
    // y overwrites x in place (the kernel reads each element before writing it).
    const [pxy, psig, pgamma, pbeta, pmean, prstd, pscratch] = this.#regions([
      size * 4, silu ? size * 4 : 0, c * 4, c * 4, n * g * 4, n * g * 4, this.#x.group_norm_scratch_bytes(c),
    ]);
    this.#put(pxy, x.subarray(0, size));
    this.#put(pgamma, gamma.subarray(0, c));
    this.#put(pbeta, beta.subarray(0, c));
    this.#x.group_norm_forward(pxy, pgamma, pbeta, pxy, psig, pmean, prstd, pscratch, n, s, c, g, eps, silu ? 1 : 0);
    this.#get(pxy, out.y.subarray(0, size));
    if (out.sig) this.#get(psig, out.sig.subarray(0, size));
    this.#get(pmean, out.mean.subarray(0, n * g));
    this.#get(prstd, out.rstd.subarray(0, n * g));
  }

  /**
   * Backward of {@link NativeKernels.groupNormForward}: `dx`, `dgamma`, `dbeta` as `groupNormBackward` of
   * `group-norm-math.ts` computes them, to float32 rounding.
   */
  groupNormBackward(dims: GroupNormDims, inputs: GroupNormBackwardInputs, out: GroupNormBackwardOutputs): void {
    const { n, s, c, g } = dims;
    const size = n * s * c;
    const { sig } = inputs;
    checkGroups('groupNormBackward', dims);
    checkLengths('groupNormBackward', size, { dy: inputs.dy, x: inputs.x, sig, dx: out.dx });
    checkLengths('groupNormBackward', c, { gamma: inputs.gamma, beta: inputs.beta, dgamma: out.dgamma, dbeta: out.dbeta });
    checkLengths('groupNormBackward', n * g, { mean: inputs.mean, rstd: inputs.rstd });
    // dx overwrites dy in place (the kernel reads each element before writing it).
    const [pdyx, px, psig, pgamma, pbeta, pmean, prstd, pdgamma, pdbeta, pscratch] = this.#regions([
      size * 4, size * 4, sig ? size * 4 : 0, c * 4, c * 4, n * g * 4, n * g * 4, c * 4, c * 4,
      this.#x.group_norm_scratch_bytes(c),
    ]);
    this.#put(pdyx, inputs.dy.subarray(0, size));
    this.#put(px, inputs.x.subarray(0, size));
    if (sig) this.#put(psig, sig.subarray(0, size));
    this.#put(pgamma, inputs.gamma.subarray(0, c));
    this.#put(pbeta, inputs.beta.subarray(0, c));
    this.#put(pmean, inputs.mean.subarray(0, n * g));
    this.#put(prstd, inputs.rstd.subarray(0, n * g));
    this.#x.group_norm_backward(
      pdyx, px, pgamma, pbeta, pmean, prstd, psig, pdyx, pdgamma, pdbeta, pscratch, n, s, c, g, sig ? 1 : 0,
    );
    this.#get(pdyx, out.dx.subarray(0, size));
    this.#get(pdgamma, out.dgamma.subarray(0, c));
    this.#get(pdbeta, out.dbeta.subarray(0, c));
  }

  /** `out[p] = op(a[p]) · op(b[p])` for every product `p`, row-major float32. */
  batchMatMul(a: Float32Array, b: Float32Array, out: Float32Array, d: BatchMatMulDims): void {
    const aBytes = align(a.length * 4);
    const bBytes = align(b.length * 4);
    const cBytes = align(out.length * 4);
    this.#reserve(aBytes + bBytes + cBytes + align(d.k * d.n * 4));
    const heap = this.#x.memory.buffer;
    const pa = this.#base;
    const pb = pa + aBytes;
    const pc = pb + bBytes;
    const ps = pc + cBytes;
    new Float32Array(heap, pa, a.length).set(a);
    new Float32Array(heap, pb, b.length).set(b);
    this.#x.batch_matmul(pa, pb, pc, ps, d.batch, d.batchA, d.batchB, d.m, d.k, d.n, d.transposeA ? 1 : 0, d.transposeB ? 1 : 0);
    out.set(new Float32Array(this.#x.memory.buffer, pc, out.length));
  }

  /**
   * `out = transpose(x, perm)` for a row-major tensor of 4-byte elements (float32 or int32; bits are moved as
   * they are) of the given shape, rank ≤ 8. Size-1 axes and axes that stay adjacent are best merged first (see
   * `simplifyTranspose`), but any valid permutation works.
   */
  transpose(x: Float32Array | Int32Array, shape: readonly number[], perm: readonly number[], out: Float32Array | Int32Array): void {
    const rank = shape.length;
    const size = shape.reduce((p, d) => p * d, 1);
    if (rank > 8 || perm.length !== rank) throw new Error(`transpose: rank ${rank} with perm [${perm.join(',')}] (rank ≤ 8 expected)`);
    if (x.length < size || out.length < size) {
      throw new Error(`transpose: x has ${x.length} and out ${out.length} elements, expected ${size}`);
    }
    const [px, py, pdims] = this.#regions([size * 4, size * 4, 2 * rank * 4]);
    const heap = this.#x.memory.buffer;
    new Float32Array(heap, px, size).set(new Float32Array(x.buffer, x.byteOffset, size));
    const dims = new Int32Array(heap, pdims, 2 * rank);
    dims.set(shape);
    dims.set(perm, rank);
    if (this.#x.transpose_f32(px, py, pdims, pdims + rank * 4, rank) !== 0) throw new Error(`transpose: rank ${rank} out of range`);
    new Float32Array(out.buffer, out.byteOffset, size).set(new Float32Array(this.#x.memory.buffer, py, size));
  }

  /**
   * `out[o·inner + i] = (Σ_m x[(o·mid + m)·inner + i]) / divisor` for `x` of shape `[outer, mid, inner]`: Sum
   * (`divisor` 1) or Mean over the middle axis, accumulated in float64 and rounded to float32 once.
   */
  sumMiddle(x: Float32Array, dims: SumMiddleDims, out: Float32Array, divisor = 1): void {
    const { outer, mid, inner } = dims;
    const size = outer * mid * inner;
    checkLengths('sumMiddle', size, { x });
    checkLengths('sumMiddle', outer * inner, { out });
    const [px, po, ps] = this.#regions([size * 4, outer * inner * 4, inner * 8]);
    this.#put(px, x.subarray(0, size));
    this.#x.sum_middle(px, po, ps, outer, mid, inner, divisor);
    this.#get(po, out.subarray(0, outer * inner));
  }

  /**
   * LayerNorm forward over the last axis of `x` (`rows × d`): writes `y` (`rows × d`), `mean` and `rstd` (`rows`
   * each) as `layerNormForward` of `layer-norm-math.ts` does, in float64 like it.
   */
  layerNormForward(
    dims: LayerNormDims,
    x: Float32Array,
    gamma: Float32Array,
    beta: Float32Array,
    eps: number,
    out: LayerNormForwardOutputs,
  ): void {
    const { rows, d } = dims;
    const size = rows * d;
    checkLengths('layerNormForward', size, { x, y: out.y });
    checkLengths('layerNormForward', d, { gamma, beta });
    checkLengths('layerNormForward', rows, { mean: out.mean, rstd: out.rstd });
    // y overwrites x in place (each row is read before it is written).
    const [pxy, pgamma, pbeta, pmean, prstd] = this.#regions([size * 4, d * 4, d * 4, rows * 4, rows * 4]);
    this.#put(pxy, x.subarray(0, size));
    this.#put(pgamma, gamma.subarray(0, d));
    this.#put(pbeta, beta.subarray(0, d));
    this.#x.layer_norm_forward(pxy, pgamma, pbeta, pxy, pmean, prstd, rows, d, eps);
    this.#get(pxy, out.y.subarray(0, size));
    this.#get(pmean, out.mean.subarray(0, rows));
    this.#get(prstd, out.rstd.subarray(0, rows));
  }

  /**
   * Backward of {@link NativeKernels.layerNormForward}: `dx`, `dgamma`, `dbeta` as `layerNormBackward` of
   * `layer-norm-math.ts` computes them, in float64 like it.
   */
  layerNormBackward(dims: LayerNormDims, inputs: LayerNormBackwardInputs, out: LayerNormBackwardOutputs): void {
    const { rows, d } = dims;
    const size = rows * d;
    checkLengths('layerNormBackward', size, { dy: inputs.dy, x: inputs.x, dx: out.dx });
    checkLengths('layerNormBackward', d, { gamma: inputs.gamma, dgamma: out.dgamma, dbeta: out.dbeta });
    checkLengths('layerNormBackward', rows, { mean: inputs.mean, rstd: inputs.rstd });
    // dx overwrites dy in place (the kernel reads each element of a row before writing it).
    const [pdyx, px, pgamma, pmean, prstd, pdgamma, pdbeta, pscratch] = this.#regions([
      size * 4, size * 4, d * 4, rows * 4, rows * 4, d * 4, d * 4, 2 * d * 8,
    ]);
    this.#put(pdyx, inputs.dy.subarray(0, size));
    this.#put(px, inputs.x.subarray(0, size));
    this.#put(pgamma, inputs.gamma.subarray(0, d));
    this.#put(pmean, inputs.mean.subarray(0, rows));
    this.#put(prstd, inputs.rstd.subarray(0, rows));
    this.#x.layer_norm_backward(pdyx, px, pgamma, pmean, prstd, pdyx, pdgamma, pdbeta, pscratch, rows, d);
    this.#get(pdyx, out.dx.subarray(0, size));
    this.#get(pdgamma, out.dgamma.subarray(0, d));
    this.#get(pdbeta, out.dbeta.subarray(0, d));
  }
}

let shared: NativeKernels | null | undefined;

/** The process-wide {@link NativeKernels}, compiled on first use; `undefined` if unavailable. */
export function nativeKernels(): NativeKernels | undefined {
  if (shared === undefined) shared = NativeKernels.load() ?? null;
  return shared ?? undefined;
}
