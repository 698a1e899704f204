import type { GroupNormDims } from './group-norm-math.js';
import type {
  BatchMatMulDims,
  BinaryBroadcast,
  BinaryOp,
  GroupNormBackwardInputs,
  GroupNormBackwardOutputs,
  GroupNormForwardOutputs,
  LayerNormBackwardInputs,
  LayerNormBackwardOutputs,
  LayerNormDims,
  LayerNormForwardOutputs,
  NativeExports,
  SumMiddleDims,
} from './native-kernel-types.js';
import type { SharedHeap, SharedMemory } from './native-gemm.js';
import { NATIVE_KERNELS_WASM_BASE64 } from './native-kernels.generated.js';


/** The slice of the WebAssembly JS API used here (the project's `lib` has no DOM/WebAssembly typings). */
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
  Memory: new (descriptor: { initial: number; maximum: number; shared: boolean }) => SharedMemory;
}
const WebAssemblyApi = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;

/** Pages the module's imported memory may grow to (`--max-memory` in build.sh: 4 GiB, as tfjs' threaded memory). */
const MAX_PAGES = 65536;
const PAGE = 65536;
/** Stack of an instance inside a foreign heap (the kernels keep only small arrays on it). */
const STACK_BYTES = 64 * 1024;


const BINARY_OPS: Record<BinaryOp, number> = { add: 0, sub: 1, mul: 2, reverseSub: 3, div: 4, reverseDiv: 5 };
const BROADCASTS: Record<BinaryBroadcast, number> = { full: 0, cycle: 1, repeat: 2 };

const align = (bytes: number) => (bytes + 15) & ~15;

/** The first `length` elements of `a` as int32 (bits kept: copies never canonicalise float NaNs). */
function asInts(a: Words, length: number): Int32Array {
  return new Int32Array(a.buffer, a.byteOffset, length);
}

/** A new instance of the kernels module on `memory`. */
function instantiate(memory: SharedMemory): NativeExports {
  const bytes = Uint8Array.from(atob(NATIVE_KERNELS_WASM_BASE64), (ch) => ch.charCodeAt(0));
  return new WebAssemblyApi!.Instance(new WebAssemblyApi!.Module(bytes), { env: { memory } }).exports as NativeExports;
}

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

/** A typed array of 4-byte elements (the kernels move float32 and, for transposes, int32 bits). */
type Words = Float32Array | Int32Array;

/** One operand of a kernel call for {@link NativeKernels} `#bind`. */
type Operand =
  | { readonly input: Words; readonly length: number }
  | { readonly output: Words; readonly length: number }
  | { readonly scratch: number };

/**
 * The WASM SIMD kernels of `packages/core/native` (built by `native/build.sh`, embedded as base64). An instance
 * runs either in a memory of its own, where operands are copied in and results out, or inside tfjs' threaded wasm
 * memory ({@link NativeKernels.inHeap}), where operands that are views of that memory are used where they lie and
 * only others are copied.
 */
export class NativeKernels {
  readonly #x: NativeExports;
  readonly #memory: SharedMemory;
  readonly #heap: SharedHeap | undefined;
  /** Own memory: scratch starts here. Foreign heap: the malloc'd scratch block and its size. */
  readonly #base: number;
  #scratch: { at: number; bytes: number } | undefined;

  private constructor(x: NativeExports, memory: SharedMemory, heap: SharedHeap | undefined) {
    this.#x = x;
    this.#memory = memory;
    this.#heap = heap;
    this.#base = align(Number(x.__heap_base.value));
  }

  /** Compiles the kernels into a memory of their own; `undefined` when this runtime has no WebAssembly SIMD. */
  static load(): NativeKernels | undefined {
    try {
      if (!WebAssemblyApi) return undefined;
      const memory = new WebAssemblyApi.Memory({ initial: 4, maximum: MAX_PAGES, shared: true });
      return new NativeKernels(instantiate(memory), memory, undefined);
    } catch {
      return undefined;
    }
  }

  /**
   * Compiles the kernels into another module's shared memory (tfjs' threaded wasm backend), on a stack taken from
   * its allocator; `undefined` when that fails.
   */
  static inHeap(heap: SharedHeap): NativeKernels | undefined {
    try {
      if (!WebAssemblyApi) return undefined;
      const x = instantiate(heap.memory);
      x.__stack_pointer.value = align(heap.malloc(STACK_BYTES + 16)) + STACK_BYTES;
      return new NativeKernels(x, heap.memory, heap);
    } catch {
      return undefined;
    }
  }

  /** Whether this instance runs inside `memory`, so that views of it are used in place. */
  runsIn(memory: unknown): boolean {
    return memory != null && memory === this.#memory;
  }

  /** At least `bytes` bytes of scratch: after the module's stack in its own memory, else a block from the heap. */
  #reserve(bytes: number): number {
    if (this.#heap) {
      if (this.#scratch === undefined || this.#scratch.bytes < bytes) {
        const grown = Math.max(bytes, 2 * (this.#scratch?.bytes ?? 0), 1 << 16);
        this.#scratch = { at: align(this.#heap.malloc(grown + 16)), bytes: grown };
      }
      return this.#scratch.at;
    }
    const need = this.#base + bytes;
    const have = this.#memory.buffer.byteLength;
    if (need > have) this.#memory.grow(Math.ceil((need - have) / PAGE));
    return this.#base;
  }

  /**
   * Addresses for one kernel call, in order: an input or output that is a view of this instance's memory is used
   * where it lies; other inputs are copied into scratch, other outputs get scratch that `finish` copies back;
   * `scratch` entries get scratch of that many bytes.
   */
  #bind(operands: readonly Operand[]): { at: number[]; finish(): void } {
    const buffer = this.#memory.buffer;
    const inPlace = (a: Words) => a.buffer === buffer;
    let bytes = 0;
    for (const o of operands) {
      if ('scratch' in o) bytes += align(o.scratch);
      else if (!inPlace('input' in o ? o.input : o.output)) bytes += align(o.length * 4);
    }
    let next = bytes > 0 ? this.#reserve(bytes) : 0;
    const heap = this.#memory.buffer;
    const back: Array<[number, Words, number]> = [];
    const at = operands.map((o) => {
      const words = 'scratch' in o ? undefined : 'input' in o ? o.input : o.output;
      if (words && inPlace(words)) return words.byteOffset;
      const address = next;
      next += align('scratch' in o ? o.scratch : o.length * 4);
      if ('input' in o) new Int32Array(heap, address, o.length).set(asInts(o.input, o.length));
      else if ('output' in o) back.push([address, o.output, o.length]);
      return address;
    });
    return {
      at,
      finish: () => {
        for (const [address, out, length] of back) asInts(out, length).set(new Int32Array(this.#memory.buffer, address, length));
      },
    };
  }

  /**
   * `out[i] = e^x[i]` with the vectorised float32 exp the GroupNorm kernels use for σ: within 1 ulp of the correctly
   * rounded value on [−87.3, 88.3]; outside, it saturates to finite values (NaN stays NaN).
   */
  exp(x: Float32Array, out: Float32Array): void {
    const n = x.length;
    checkLengths('exp', n, { out });
    const { at: [px, po], finish } = this.#bind([{ input: x, length: n }, { output: out, length: n }]);
    this.#x.exp_f32(px, po, n);
    finish();
  }

  /**
   * `out[i] = a[i] op b(i)` for `i < out.length`, with `b(i)` read as `broadcast` says; float32 arithmetic, the
   * same values as tfjs' element-wise kernels. `out` may be `a` or `b`.
   */
  binary(op: BinaryOp, a: Float32Array, b: Float32Array, out: Float32Array, broadcast: BinaryBroadcast): void {
    const n = out.length;
    const len = b.length;
    if (a.length < n) throw new Error(`binary: 'a' has ${a.length} floats, expected ${n}`);
    if (broadcast === 'full' ? len < n : len === 0 || n % len !== 0) {
      throw new Error(`binary: 'b' has ${len} floats, which a ${broadcast} broadcast cannot spread over ${n}`);
    }
    const bLength = broadcast === 'full' ? n : len;
    const { at: [pa, pb, po], finish } = this.#bind([
      { input: a, length: n },
      { input: b, length: bLength },
      { output: out, length: n },
    ]);
    this.#x.binary_f32(BINARY_OPS[op], pa, pb, po, n, BROADCASTS[broadcast], bLength);
    finish();
  }

  /**
   * One AdamW update (the scalars as `FusedAdamWAttrs` of `optim/adamw-kernel.ts` defines them) of `state` into
   * `out`, float64 intermediates rounded once to float32: bit-identical to that module's JS loop.
   */
  adamW(
    state: { p: Float32Array; m: Float32Array; v: Float32Array; g: Float32Array },
    out: { p: Float32Array; m: Float32Array; v: Float32Array },
    a: { decay: number; beta1: number; beta2: number; stepSize: number; bias2Sqrt: number; eps: number },
  ): void {
    const n = state.p.length;
    checkLengths('adamW', n, { ...state, pOut: out.p, mOut: out.m, vOut: out.v });
    const { at: [pp, pm, pv, pg, ppo, pmo, pvo], finish } = this.#bind([
      { input: state.p, length: n },
      { input: state.m, length: n },
      { input: state.v, length: n },
      { input: state.g, length: n },
      { output: out.p, length: n },
      { output: out.m, length: n },
      { output: out.v, length: n },
    ]);
    this.#x.adamw_f32(pp, pm, pv, pg, ppo, pmo, pvo, n, a.decay, a.beta1, a.beta2, a.stepSize, a.bias2Sqrt, a.eps);
    finish();
  }

  /**
   * Softmax over each row of the `rows × cols` matrix `x` into `out`: `e^(x − max) / Σ e^(x − max)`, with the
   * vectorised exp (within ~1 ulp). `out` may be `x`.
   */
  softmax(x: Float32Array, out: Float32Array, rows: number, cols: number): void {
    checkLengths('softmax', rows * cols, { x, out });
    const { at: [px, po], finish } = this.#bind([
      { input: x, length: rows * cols },
      { output: out, length: rows * cols },
    ]);
    this.#x.softmax_f32(px, po, rows, cols);
    finish();
  }

  /**
   * `out[i] = GELU(x[i])`, `variant` 0 the erf form `x·Φ(x)`, 1 the tanh form `x·σ(2√(2/π)(x + 0.044715x³))`:
   * within 1e-6 relative of the exact values, also for x ≪ 0, and GELU' within 2e-6 of |Φ| + |xφ| (see
   * `native/src/gelu.c`). `out` may be `x`.
   * With `derivative`, also `derivative[i] = GELU'(x[i])` (for a backward that is then one multiply), sharing most
   * of the work.
   */
  geluForward(x: Float32Array, out: Float32Array, variant: 0 | 1, derivative?: Float32Array): void {
    const n = x.length;
    checkLengths('geluForward', n, { out, derivative });
    const { at: [px, py, pg], finish } = this.#bind([
      { input: x, length: n },
      { output: out, length: n },
      derivative ? { output: derivative, length: n } : { scratch: 0 },
    ]);
    if (derivative) this.#x.gelu_forward_grad(px, py, pg, n, variant);
    else this.#x.gelu_forward(px, py, n, variant);
    finish();
  }

  /** `dx[i] = dy[i]·GELU'(x[i])` for the {@link NativeKernels.geluForward} variant. `dx` may be `dy`. */
  geluBackward(dy: Float32Array, x: Float32Array, dx: Float32Array, variant: 0 | 1): void {
    checkLengths('geluBackward', x.length, { dy, dx });
    const n = x.length;
    const { at: [pdy, px, pdx], finish } = this.#bind([
      { input: dy, length: n },
      { input: x, length: n },
      { output: dx, length: n },
    ]);
    this.#x.gelu_backward(pdy, px, pdx, n, variant);
    finish();
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
    const { at: [px, pgamma, pbeta, py, psig, pmean, prstd, pscratch], finish } = this.#bind([
      { input: x, length: size },
      { input: gamma, length: c },
      { input: beta, length: c },
      { output: out.y, length: size },
      out.sig ? { output: out.sig, length: size } : { scratch: 0 },
      { output: out.mean, length: n * g },
      { output: out.rstd, length: n * g },
      { scratch: this.#x.group_norm_scratch_bytes(c) },
    ]);
    this.#x.group_norm_forward(px, pgamma, pbeta, py, psig, pmean, prstd, pscratch, n, s, c, g, eps, silu ? 1 : 0);
    finish();
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
    const { at: [pdy, px, psig, pgamma, pbeta, pmean, prstd, pdx, pdgamma, pdbeta, pscratch], finish } = this.#bind([
      { input: inputs.dy, length: size },
      { input: inputs.x, length: size },
      sig ? { input: sig, length: size } : { scratch: 0 },
      { input: inputs.gamma, length: c },
      { input: inputs.beta, length: c },
      { input: inputs.mean, length: n * g },
      { input: inputs.rstd, length: n * g },
      { output: out.dx, length: size },
      { output: out.dgamma, length: c },
      { output: out.dbeta, length: c },
      { scratch: this.#x.group_norm_scratch_bytes(c) },
    ]);
    this.#x.group_norm_backward(
      pdy, px, pgamma, pbeta, pmean, prstd, psig, pdx, pdgamma, pdbeta, pscratch, n, s, c, g, sig ? 1 : 0,
    );
    finish();
  }

  /** `out[p] = op(a[p]) · op(b[p])` for every product `p`, row-major float32. */
  batchMatMul(a: Float32Array, b: Float32Array, out: Float32Array, d: BatchMatMulDims): void {
    checkLengths('batchMatMul', d.batchA * d.m * d.k, { a });
    checkLengths('batchMatMul', d.batchB * d.k * d.n, { b });
    checkLengths('batchMatMul', d.batch * d.m * d.n, { out });
    const { at: [pa, pb, pc, ps], finish } = this.#bind([
      { input: a, length: d.batchA * d.m * d.k },
      { input: b, length: d.batchB * d.k * d.n },
      { output: out, length: d.batch * d.m * d.n },
      { scratch: d.k * d.n * 4 },
    ]);
    this.#x.batch_matmul(pa, pb, pc, ps, d.batch, d.batchA, d.batchB, d.m, d.k, d.n, d.transposeA ? 1 : 0, d.transposeB ? 1 : 0);
    finish();
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
    const dims = Int32Array.from([...shape, ...perm]);
    const { at: [px, py, pdims], finish } = this.#bind([
      { input: x, length: size },
      { output: out, length: size },
      { input: dims, length: 2 * rank },
    ]);
    if (this.#x.transpose_f32(px, py, pdims, pdims + rank * 4, rank) !== 0) throw new Error(`transpose: rank ${rank} out of range`);
    finish();
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
    const { at: [px, po, ps], finish } = this.#bind([
      { input: x, length: size },
      { output: out, length: outer * inner },
      { scratch: inner * 8 },
    ]);
    this.#x.sum_middle(px, po, ps, outer, mid, inner, divisor);
    finish();
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
    const { at: [px, pgamma, pbeta, py, pmean, prstd], finish } = this.#bind([
      { input: x, length: size },
      { input: gamma, length: d },
      { input: beta, length: d },
      { output: out.y, length: size },
      { output: out.mean, length: rows },
      { output: out.rstd, length: rows },
    ]);
    this.#x.layer_norm_forward(px, pgamma, pbeta, py, pmean, prstd, rows, d, eps);
    finish();
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
    const { at: [pdy, px, pgamma, pmean, prstd, pdx, pdgamma, pdbeta, pscratch], finish } = this.#bind([
      { input: inputs.dy, length: size },
      { input: inputs.x, length: size },
      { input: inputs.gamma, length: d },
      { input: inputs.mean, length: rows },
      { input: inputs.rstd, length: rows },
      { output: out.dx, length: size },
      { output: out.dgamma, length: d },
      { output: out.dbeta, length: d },
      { scratch: 2 * d * 8 },
    ]);
    this.#x.layer_norm_backward(pdy, px, pgamma, pmean, prstd, pdx, pdgamma, pdbeta, pscratch, rows, d);
    finish();
  }
}

const KERNELS_KEY = Symbol.for('@ifsq/core.wasm.nativeKernels');

function slot(): Record<symbol, NativeKernels | null | undefined> {
  return globalThis as unknown as Record<symbol, NativeKernels | null | undefined>;
}

/** The process-wide {@link NativeKernels}, compiled on first use; `undefined` if unavailable. */
export function nativeKernels(): NativeKernels | undefined {
  const g = slot();
  if (g[KERNELS_KEY] === undefined) g[KERNELS_KEY] = NativeKernels.load() ?? null;
  return g[KERNELS_KEY] ?? undefined;
}

/**
 * Makes the process-wide {@link NativeKernels} an instance inside `heap` (tfjs' threaded wasm memory), so tensors of
 * that backend are used where they lie; keeps the current one if that fails. Returns whether it moved.
 */
export function moveNativeKernelsInto(heap: SharedHeap): boolean {
  const g = slot();
  if (g[KERNELS_KEY]?.runsIn(heap.memory)) return true;
  const inHeap = NativeKernels.inHeap(heap);
  if (inHeap) g[KERNELS_KEY] = inHeap;
  return inHeap !== undefined;
}
