import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { installFakePackage, makeProject, removeProject, writeFile } from '../plugin/fake-packages.test.util.js';
import type { CliIO } from './io.js';
import { runCli } from './main.js';
import { setRunModuleLoader, type RunModule, type RunOptions } from './run-command.js';

const BIN = fileURLToPath(new URL('../../dist/cli/bin.js', import.meta.url));
const CORE_DIR = fileURLToPath(new URL('../..', import.meta.url));

let root: string;

function capture(cwd: string): CliIO & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { cwd, stdout, stderr, out: (l) => stdout.push(l), err: (l) => stderr.push(l) };
}

const THREE_ERRORS = `
tokenizer:
  backbone: acme-backbone
  quantizer:
    use: acme-quant
    options: { levels: [5, 5, 1] }
metrics:
  - use: acme-metric
    options: { size: 0 }
stages:
  - use: acme-stage
    options: { steps: many }
`;

beforeEach(() => {
  root = makeProject();
  const levels = { type: 'object', properties: { levels: { type: 'array', items: { type: 'integer', minimum: 2 } } }, additionalProperties: false };
  const steps = { type: 'object', properties: { steps: { type: 'integer', minimum: 1 } }, additionalProperties: false };
  installFakePackage(root, { name: 'acme-backbone', plugins: [{ name: 'tiny', kind: 'backbone' }] });
  installFakePackage(root, { name: 'acme-quant', plugins: [{ name: 'grid', kind: 'quantizer', options: levels }] });
  installFakePackage(root, { name: 'acme-metric', plugins: [{ name: 'sharp', kind: 'metric' }] });
  installFakePackage(root, { name: 'acme-stage', plugins: [{ name: 'fit', kind: 'stage', options: steps }] });
});
afterEach(() => {
  removeProject(root);
  setRunModuleLoader(undefined);
});

describe('ifsq validate', () => {
  it('prints every problem with its path and exits 2', async () => {
    writeFile(join(root, 'ifsq.config.yaml'), THREE_ERRORS);
    const io = capture(root);
    expect(await runCli(['validate'], io)).toBe(2);
    expect(io.stderr[0]).toBe(`3 problems in ${join(root, 'ifsq.config.yaml')}:`);
    expect(io.stderr[1].split('\n')).toEqual([
      'tokenizer.quantizer.options.levels[2]: must be >= 2',
      'metrics[0].options.size: must be >= 1',
      'stages[0].options.steps: must be integer',
    ]);
  });

  it('prints one OK line and exits 0 for a valid pipeline given with --config', async () => {
    writeFile(join(root, 'p', 'good.yaml'), 'tokenizer: { backbone: acme-backbone, quantizer: acme-quant }\nstages: [acme-stage]\n');
    const io = capture(root);
    expect(await runCli(['validate', '--config', 'p/good.yaml'], io)).toBe(0);
    expect(io.stdout).toEqual([`OK ${join(root, 'p', 'good.yaml')}: 3 plugins, stages: fit`]);
  });

  it('gives a did-you-mean for a misspelled plugin', async () => {
    writeFile(join(root, 'ifsq.config.yaml'), 'tokenizer: { backbone: acme-backbone, quantizer: acme-qant }\nstages: [acme-stage]\n');
    const io = capture(root);
    expect(await runCli(['validate'], io)).toBe(2);
    expect(io.stderr.join('\n')).toContain('tokenizer.quantizer: unknown quantizer `acme-qant`');
    expect(io.stderr.join('\n')).toContain('did you mean `acme-quant`?');
  });
});

describe('ifsq command line', () => {
  it('exits 2 on unknown commands and unknown options, 0 on --help', async () => {
    const io = capture(root);
    expect(await runCli(['frobnicate'], io)).toBe(2);
    expect(await runCli(['validate', '--bogus'], io)).toBe(2);
    expect(io.stderr.join('\n')).toContain('Run "ifsq validate --help" for usage.');
    const help = capture(root);
    expect(await runCli(['run', '--help'], help)).toBe(0);
    expect(help.stdout[0]).toContain('Usage: ifsq run [--config PATH] [--stages a,b] [--resume] [--force]');
  });

  it('lists plugins as JSON', async () => {
    const io = capture(root);
    expect(await runCli(['plugins', '--json'], io)).toBe(0);
    const listed = JSON.parse(io.stdout.join('\n')) as { specifier: string; kind: string }[];
    expect(listed).toContainEqual(expect.objectContaining({ specifier: 'acme-quant', kind: 'quantizer' }));
    expect(listed).toContainEqual(expect.objectContaining({ specifier: 'ifsq', kind: 'quantizer' }));
  });

  it('prints a composed schema with a branch for an installed plugin', async () => {
    const io = capture(root);
    expect(await runCli(['schema'], io)).toBe(0);
    const text = io.stdout.join('\n');
    expect(JSON.parse(text).title).toBe('ifsq pipeline file');
    expect(text).toContain('"const": "acme-quant"');
  });
});

describe('ifsq run', () => {
  function fakeRunner(status: string, calls: RunOptions[]): () => Promise<RunModule> {
    return async () => ({
      runPipeline: async (pipeline, options) => {
        calls.push(options);
        return { runDir: join(pipeline.configDir, 'runs', 'x'), stages: [{ name: 'fit', status, summary: { loss: 0.5 } }] };
      },
    });
  }

  beforeEach(() => {
    writeFile(join(root, 'ifsq.config.yaml'), 'tokenizer: { backbone: acme-backbone, quantizer: acme-quant }\nstages: [acme-stage]\n');
  });

  it('passes --stages, --resume and --force to the runner and prints the outcome', async () => {
    const calls: RunOptions[] = [];
    setRunModuleLoader(fakeRunner('completed', calls));
    const io = capture(root);
    expect(await runCli(['run', '--stages', 'fit', '--resume'], io)).toBe(0);
    expect(calls).toEqual([{ stages: ['fit'], resume: true, force: false }]);
    expect(io.stdout).toEqual(['fit: completed  loss=0.5', `run directory: ${join(root, 'runs', 'x')}`]);
  });

  it('passes --threads to the runner as a number or auto, and rejects other values with exit 2', async () => {
    const calls: RunOptions[] = [];
    setRunModuleLoader(fakeRunner('completed', calls));
    expect(await runCli(['run', '--threads', '2'], capture(root))).toBe(0);
    expect(await runCli(['run', '-t', 'auto'], capture(root))).toBe(0);
    expect(calls.map((c) => c.threads)).toEqual([2, 'auto']);
    const io = capture(root);
    expect(await runCli(['run', '--threads', '9'], io)).toBe(2);
    expect(io.stderr.join('\n')).toContain('--threads: expected a whole number from 1 to 8 or "auto", got "9"');
    expect(calls).toHaveLength(2);
  });

  it('exits 130 when a stage was interrupted and 1 when the runner throws', async () => {
    setRunModuleLoader(fakeRunner('interrupted', []));
    expect(await runCli(['run'], capture(root))).toBe(130);
    setRunModuleLoader(async () => ({
      runPipeline: async () => {
        throw new Error('disk full');
      },
    }));
    const io = capture(root);
    expect(await runCli(['run'], io)).toBe(1);
    expect(io.stderr.join('\n')).toContain('disk full');
  });

  it('exits 2 for an unknown stage name, an invalid pipeline, or --resume with --force, without loading the runner', async () => {
    let loads = 0;
    setRunModuleLoader(async () => {
      loads += 1;
      throw new Error('should not load');
    });
    const io = capture(root);
    expect(await runCli(['run', '--stages', 'fitt'], io)).toBe(2);
    expect(io.stderr.join('\n')).toContain('--stages: no stage `fitt` in this pipeline (stages: fit)');
    expect(await runCli(['run', '--resume', '--force'], io)).toBe(2);
    writeFile(join(root, 'ifsq.config.yaml'), 'stages: [nothing-here]\n');
    expect(await runCli(['run'], io)).toBe(2);
    expect(loads).toBe(0);
  });
});

/** A Node `--import` module whose resolve hook fails the process if anything resolves a TensorFlow.js package. */
function writeTfjsTrap(dir: string): string {
  const hook = `export async function resolve(specifier, context, next) {
  if (specifier.startsWith('@tensorflow/')) throw new Error('TFJS_IMPORTED ' + specifier);
  return next(specifier, context);
}`;
  const file = join(dir, 'trap-tfjs.mjs');
  writeFile(file, `import { register } from 'node:module';\nregister(${JSON.stringify(`data:text/javascript,${encodeURIComponent(hook)}`)});\n`);
  return pathToFileURL(file).href;
}

describe.skipIf(!existsSync(BIN))('the built ifsq executable (after tsc -b)', () => {
  it('exits 2 and prints all three errors for a pipeline with errors in three plugins', () => {
    writeFile(join(root, 'ifsq.config.yaml'), THREE_ERRORS);
    const run = spawnSync(process.execPath, [BIN, 'validate'], { cwd: root, encoding: 'utf8' });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('tokenizer.quantizer.options.levels[2]: must be >= 2\nmetrics[0].options.size: must be >= 1\nstages[0].options.steps: must be integer');
  });

  it('lists plugins without ever resolving TensorFlow.js', () => {
    const trap = writeTfjsTrap(root);
    const control = spawnSync(process.execPath, ['--import', trap, '--input-type=module', '-e', "await import('@tensorflow/tfjs')"], {
      cwd: CORE_DIR,
      encoding: 'utf8',
    });
    expect(control.status).not.toBe(0);
    expect(control.stderr).toContain('TFJS_IMPORTED @tensorflow/tfjs');

    const run = spawnSync(process.execPath, ['--import', trap, BIN, 'plugins', '--json'], { cwd: root, encoding: 'utf8' });
    expect(run.stderr).not.toContain('TFJS_IMPORTED');
    expect(run.status).toBe(0);
    const listed = JSON.parse(run.stdout) as { specifier: string }[];
    expect(listed.map((p) => p.specifier)).toEqual(expect.arrayContaining(['acme-quant', 'acme-stage', 'ifsq', 'encode']));
  });

  it('validates without resolving TensorFlow.js', () => {
    const trap = writeTfjsTrap(root);
    writeFile(join(root, 'ifsq.config.yaml'), 'tokenizer: { backbone: acme-backbone, quantizer: acme-quant }\nstages: [acme-stage]\n');
    const run = spawnSync(process.execPath, ['--import', trap, BIN, 'validate'], { cwd: root, encoding: 'utf8' });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
  });
});
