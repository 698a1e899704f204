import * as tf from '@tensorflow/tfjs';
import type { BackendInfo, Logger } from '../contracts/services.js';
import type { BackendChoice } from '../pipeline/types.js';
import { prepareWasmBackend, type PreparedWasmInfo } from './wasm/index.js';
import { chooseCpuBackend } from './choose.js';
import { INFERENCE_KERNELS, TRAINING_KERNELS } from './kernels.js';

/** The two native TensorFlow bindings, in the order `auto` tries them. */
const NATIVE_PACKAGES = {
  'tensorflow-gpu': '@tensorflow/tfjs-node-gpu',
  tensorflow: '@tensorflow/tfjs-node',
} as const;

/** The tfjs version the native bindings must match. */
const TFJS_VERSION = '4.22.0';

/** Options of {@link selectBackend}. */
export interface SelectBackendOptions {
  /** Whether the run trains (needs {@link TRAINING_KERNELS}) or only infers ({@link INFERENCE_KERNELS}). */
  training: boolean;
  /** Where the choice, the reason and failed native imports are logged. @default no logging */
  logger?: Logger;
  /**
   * Imports a module by name; replaceable in tests to simulate installed or broken native packages.
   * @default the native dynamic `import()`
   */
  importModule?: (specifier: string) => Promise<unknown>;
  /**
   * Threads of the wasm backend (its XNNPACK convolutions and matrix products); results do not depend on it.
   * Ignored by the other backends. @default 1
   */
  wasmThreads?: number;
}

/** Error thrown when a backend that was asked for explicitly is not installed. */
export class BackendNotInstalledError extends Error {
  override readonly name = 'BackendNotInstalledError';
}

const defaultImport = (specifier: string): Promise<unknown> => import(specifier);

/** How to install a native package, and what the install does. */
export function installHint(pkg: string): string {
  return (
    `Install it with \`pnpm add ${pkg}@${TFJS_VERSION}\` (or \`npm install ${pkg}@${TFJS_VERSION}\`); its install ` +
    `script downloads libtensorflow (a native build of TensorFlow) from storage.googleapis.com, so it needs network ` +
    `access, and pnpm must be allowed to run that script (\`pnpm approve-builds\`). ` +
    `Or set \`backend: auto\` to fall back to the wasm/cpu backends.`
  );
}

function describeError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0];
}

async function tryNative(
  pkg: string,
  importModule: (s: string) => Promise<unknown>,
): Promise<{ ok: true } | { ok: false; why: string }> {
  try {
    await importModule(pkg);
    if (!tf.findBackend('tensorflow')) return { ok: false, why: `${pkg} loaded but registered no 'tensorflow' backend` };
    return { ok: true };
  } catch (error) {
    return { ok: false, why: describeError(error) };
  }
}

async function activate(name: string): Promise<void> {
  const ok = await tf.setBackend(name);
  if (!ok) throw new Error(`tfjs could not initialise the '${name}' backend`);
  await tf.ready();
}

function kernelNames(backend: string): string[] {
  return tf.getKernelsForBackend(backend).map((k) => k.kernelName);
}

/**
 * Select, initialise and activate the tfjs backend of a run.
 *
 * - `auto`: `@tensorflow/tfjs-node-gpu`, then `@tensorflow/tfjs-node` (optional peers; any import failure counts as
 *   absent and is logged), else the fastest CPU backend with every kernel the run needs ({@link chooseCpuBackend}).
 * - `tensorflow-gpu` / `tensorflow`: the native binding, or a {@link BackendNotInstalledError} saying how to install it.
 * - `wasm` / `cpu`: that backend; an explicit `wasm` for a training run warns about missing kernels.
 *
 * @returns the active backend, the choice and the reason (also logged at info level).
 */
export async function selectBackend(choice: BackendChoice, options: SelectBackendOptions): Promise<BackendInfo> {
  const { training, logger } = options;
  const importModule = options.importModule ?? defaultImport;
  const required = training ? TRAINING_KERNELS : INFERENCE_KERNELS;
  const purpose = training ? 'training' : 'inference';
  let info: BackendInfo;
  let threads: PreparedWasmInfo | undefined;

  if (choice === 'tensorflow-gpu' || choice === 'tensorflow') {
    const pkg = NATIVE_PACKAGES[choice];
    const result = await tryNative(pkg, importModule);
    if (!result.ok) {
      throw new BackendNotInstalledError(
        `backend '${choice}' needs ${pkg}, which is not installed or failed to load (${result.why}). ${installHint(pkg)}`,
      );
    }
    await activate('tensorflow');
    info = { name: 'tensorflow', requested: choice, reason: `${pkg} was requested and is installed` };
  } else if (choice === 'auto') {
    let chosen: BackendInfo | undefined;
    for (const key of ['tensorflow-gpu', 'tensorflow'] as const) {
      const pkg = NATIVE_PACKAGES[key];
      const result = await tryNative(pkg, importModule);
      if (result.ok) {
        await activate('tensorflow');
        chosen = { name: 'tensorflow', requested: choice, reason: `${pkg} is installed` };
        break;
      }
      logger?.debug(`${pkg} is not usable`, { package: pkg, why: result.why });
    }
    if (!chosen) {
      let wasm: string[];
      ({ kernels: wasm, threads } = await loadWasmKernels(logger, options.wasmThreads));
      const decision = chooseCpuBackend(required, { wasm, cpu: kernelNames('cpu') });
      await activate(decision.name);
      chosen = {
        name: decision.name,
        requested: choice,
        reason: `no native TensorFlow binding is installed; for ${purpose} ${decision.reason}`,
      };
    }
    info = chosen;
  } else if (choice === 'wasm') {
    let wasm: string[];
    ({ kernels: wasm, threads } = await loadWasmKernels(logger, options.wasmThreads));
    if (wasm.length === 0) throw new Error("backend 'wasm' was requested but @tensorflow/tfjs-backend-wasm failed to load");
    await activate('wasm');
    const have = new Set(wasm);
    const missing = required.filter((k) => !have.has(k));
    if (missing.length > 0) {
      logger?.warn(`the wasm backend lacks kernels ${purpose} needs; expect "kernel not registered" errors`, { missing });
    }
    info = { name: 'wasm', requested: choice, reason: 'wasm was requested explicitly' };
  } else if (choice === 'cpu') {
    await activate('cpu');
    info = { name: 'cpu', requested: choice, reason: 'cpu was requested explicitly' };
  } else {
    throw new Error(
      `backend: expected one of auto, tensorflow-gpu, tensorflow, wasm, cpu, got ${JSON.stringify(choice)}`,
    );
  }
  if (info.name === 'wasm' && threads) {
    info = { ...info, reason: `${info.reason}; ${threads.reason}; ${threads.products}`, threads: threads.threads };
  }
  logger?.info(`backend ${info.name} (${info.reason})`, {
    backend: info.name,
    requested: info.requested,
    ...(info.threads ? { threads: info.threads } : {}),
  });
  return info;
}

/** The wasm path's kernel names (empty when it cannot load) and the threads it starts with. */
async function loadWasmKernels(
  logger: Logger | undefined,
  threads: number | undefined,
): Promise<{ kernels: string[]; threads?: PreparedWasmInfo }> {
  try {
    const info = await prepareWasmBackend({ threads: threads ?? 1 });
    return { kernels: tf.findBackendFactory('wasm') ? kernelNames('wasm') : [], threads: info };
  } catch (error) {
    logger?.debug('the wasm backend is not usable', { why: describeError(error) });
    return { kernels: [] };
  }
}
