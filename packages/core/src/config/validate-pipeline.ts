import { dirname } from 'node:path';
import type { PipelineConfig, PluginSource, ResolvedPipeline, ResolvedPlugin } from '../pipeline/types.js';
import type { PluginDefinition, PluginKind, PluginTraits } from '../plugin/define-plugin.js';
import { PluginResolutionError } from '../plugin/errors.js';
import { checkDefinition, resolvePlugin } from '../plugin/resolve-plugin.js';
import { compileSchema } from './ajv.js';
import { envelopeSchema } from './envelope-schema.js';
import { ajvIssues, joinPath, type ConfigIssue } from './issues.js';
import { mergeOptions } from './merge-options.js';

/** Outcome of {@link validatePipeline}: the resolved pipeline, or every issue found. */
export type PipelineValidation =
  | { ok: true; pipeline: ResolvedPipeline; issues: [] }
  | { ok: false; pipeline?: undefined; issues: ConfigIssue[] };

/** Default backbone used when a `tokenizer` section names none. */
export const DEFAULT_BACKBONE = 'conv-resnet';

const SLOT_SHAPE_MESSAGE = 'must be a plugin name, { use, options } or { plugin, options }';

/** The message of a failed `anyOf` in the envelope: every `anyOf` there is a plugin slot, except `threads`. */
const envelopeAnyOfMessage = (path: string): string =>
  path === 'threads' ? 'must be a whole number from 1 to 8 or "auto"' : SLOT_SHAPE_MESSAGE;

interface SlotRef {
  path: string;
  kind: PluginKind;
  value: unknown;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Every plugin slot of a config that passed the envelope check, in pipeline order. */
function collectSlots(config: PipelineConfig): SlotRef[] {
  const slots: SlotRef[] = [];
  if (config.data !== undefined) slots.push({ path: 'data', kind: 'dataset', value: config.data });
  if (config.tokenizer) {
    slots.push({ path: 'tokenizer.backbone', kind: 'backbone', value: config.tokenizer.backbone ?? DEFAULT_BACKBONE });
    slots.push({ path: 'tokenizer.quantizer', kind: 'quantizer', value: config.tokenizer.quantizer });
    if (config.tokenizer.perceptual !== undefined) {
      slots.push({ path: 'tokenizer.perceptual', kind: 'feature-extractor', value: config.tokenizer.perceptual });
    }
  }
  if (config.generator) {
    slots.push({ path: 'generator.model', kind: 'generator', value: config.generator.model });
    if (config.generator.aligner !== undefined) {
      slots.push({ path: 'generator.aligner', kind: 'aligner', value: config.generator.aligner });
    }
  }
  (config.metrics ?? []).forEach((value, i) => slots.push({ path: `metrics[${i}]`, kind: 'metric', value }));
  config.stages.forEach((value, i) => slots.push({ path: `stages[${i}]`, kind: 'stage', value }));
  return slots;
}

async function loadSlot(slot: SlotRef, fromDir: string): Promise<{ definition: PluginDefinition; source: PluginSource }> {
  const value = slot.value;
  if (typeof value === 'string') return resolvePlugin({ specifier: value, kind: slot.kind, slot: slot.path, fromDir });
  const ref = value as { use?: string; plugin?: unknown };
  if (ref.use !== undefined) return resolvePlugin({ specifier: ref.use, kind: slot.kind, slot: slot.path, fromDir });
  const definition = checkDefinition(ref.plugin, slot.kind, slot.path, `inline plugin at ${slot.path}`);
  return { definition, source: { specifier: definition.name, builtin: false } };
}

function validateOptions(slot: SlotRef, definition: PluginDefinition, options: Record<string, unknown>): ConfigIssue[] {
  const base = joinPath(slot.path, 'options');
  let validate;
  try {
    validate = compileSchema(definition.options);
  } catch (error) {
    return [
      {
        path: slot.path,
        message: `plugin \`${definition.name}\` has an invalid options schema: ${(error as Error).message}`,
        phase: 'options',
      },
    ];
  }
  if (validate(options)) return [];
  return ajvIssues(validate.errors, base, 'options', 'does not match any allowed form');
}

function traitsOf(plugin: ResolvedPlugin, issues: ConfigIssue[]): PluginTraits {
  if (!plugin.definition.traits) return {};
  try {
    return plugin.definition.traits(plugin.options);
  } catch (error) {
    issues.push({ path: plugin.path, message: `traits() of \`${plugin.definition.name}\` failed: ${(error as Error).message}`, phase: 'compatibility' });
    return {};
  }
}

const TOKENIZER_WORD = { discrete: 'a discrete', continuous: 'a continuous' } as const;

/** Cross-slot checks: latent kinds between quantizer and generator/stages, sections stages need, unique stages. */
function checkCompatibility(config: PipelineConfig, plugins: Map<string, ResolvedPlugin>, stages: ResolvedPlugin[]): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const quantizer = plugins.get('tokenizer.quantizer');
  const produces = quantizer ? traitsOf(quantizer, issues).produces : undefined;
  const consumers = [plugins.get('generator.model'), ...stages].filter((p): p is ResolvedPlugin => p !== undefined);
  for (const consumer of consumers) {
    const traits = traitsOf(consumer, issues);
    const role = consumer.kind === 'stage' ? 'stage' : 'generator';
    const who = `${role} \`${consumer.definition.name}\` (${consumer.path})`;
    if (quantizer && produces && traits.accepts && !traits.accepts.includes(produces)) {
      const wanted = traits.accepts.map((k) => TOKENIZER_WORD[k]).join(' or ');
      issues.push({
        path: consumer.path,
        message: `${who} needs ${wanted} tokenizer, but tokenizer.quantizer is \`${quantizer.definition.name}\` (${produces})`,
        phase: 'compatibility',
      });
    }
    for (const section of consumer.kind === 'stage' ? (traits.needs ?? []) : []) {
      if (config[section] === undefined) {
        issues.push({ path: consumer.path, message: `${who} needs a \`${section}\` section, but the pipeline has none`, phase: 'compatibility' });
      }
    }
  }
  const seen = new Map<string, string>();
  for (const stage of stages) {
    const earlier = seen.get(stage.definition.name);
    if (earlier) {
      issues.push({ path: stage.path, message: `stage \`${stage.definition.name}\` appears twice (also at ${earlier})`, phase: 'compatibility' });
    } else {
      seen.set(stage.definition.name, stage.path);
    }
  }
  return issues;
}

/**
 * Validate a parsed pipeline file and resolve every plugin slot. Collects every problem before returning:
 * envelope errors (phase one), plugin resolution errors, each slot's options against its plugin's schema after
 * merging the plugin's defaults (phase two), and cross-slot compatibility via the plugins' `traits`.
 *
 * @param raw - The parsed file content.
 * @param configPath - Absolute path of the pipeline file; plugin names resolve from its folder.
 */
export async function validatePipeline(raw: unknown, configPath: string): Promise<PipelineValidation> {
  const validateEnvelope = compileSchema(envelopeSchema());
  const issues: ConfigIssue[] = [];
  if (!validateEnvelope(raw)) issues.push(...ajvIssues(validateEnvelope.errors, '', 'envelope', envelopeAnyOfMessage));
  if (!isObject(raw)) return { ok: false, issues };
  const config = raw as unknown as PipelineConfig;
  const broken = (path: string): boolean =>
    issues.some((i) => i.phase === 'envelope' && (i.path === path || i.path.startsWith(`${path}.`) || i.path.startsWith(`${path}[`)));
  const slotOk = (slot: SlotRef): boolean =>
    !broken(slot.path) && (typeof slot.value === 'string' || (isObject(slot.value) && ('use' in slot.value || 'plugin' in slot.value)));

  const configDir = dirname(configPath);
  const safeConfig: PipelineConfig = {
    ...config,
    stages: Array.isArray(config.stages) ? config.stages : [],
    metrics: Array.isArray(config.metrics) ? config.metrics : [],
    tokenizer: isObject(config.tokenizer) ? config.tokenizer : undefined,
    generator: isObject(config.generator) ? config.generator : undefined,
  } as PipelineConfig;
  const slots = collectSlots(safeConfig).filter(slotOk);
  const loaded = await Promise.all(
    slots.map(async (slot) => {
      try {
        return await loadSlot(slot, configDir);
      } catch (error) {
        if (error instanceof PluginResolutionError) {
          issues.push({ path: error.slot, message: error.message, phase: 'resolve' });
          return undefined;
        }
        throw error;
      }
    }),
  );
  const plugins = new Map<string, ResolvedPlugin>();
  const invalidOptions = new Set<string>();
  slots.forEach((slot, i) => {
    const found = loaded[i];
    if (!found) return;
    const given = isObject(slot.value) && isObject(slot.value.options) ? slot.value.options : {};
    const options = mergeOptions(found.definition.defaults as Record<string, unknown>, given);
    const optionIssues = validateOptions(slot, found.definition, options);
    if (optionIssues.length > 0) invalidOptions.add(slot.path);
    issues.push(...optionIssues);
    plugins.set(slot.path, { path: slot.path, kind: slot.kind, definition: found.definition, options, source: found.source });
  });
  const stages = [...plugins.values()].filter((p) => p.kind === 'stage');
  const metrics = [...plugins.values()].filter((p) => p.kind === 'metric');
  // Cross-slot checks run on every slot whose options are valid (traits() may rely on valid options), so a pipeline
  // with both kinds of problem reports all of them at once.
  const checkable = new Map([...plugins].filter(([path]) => !invalidOptions.has(path)));
  issues.push(...checkCompatibility(safeConfig, checkable, stages.filter((s) => !invalidOptions.has(s.path))));
  const order = (i: { path: string }): number => {
    const index = slots.findIndex((s) => s.path === i.path || i.path.startsWith(`${s.path}.`));
    return index < 0 ? -1 : index;
  };
  if (issues.length > 0) {
    return { ok: false, issues: issues.map((i, n) => ({ i, n })).sort((a, b) => order(a.i) - order(b.i) || a.n - b.n).map(({ i }) => i) };
  }
  return { ok: true, issues: [], pipeline: { configPath, configDir, config, plugins, stages, metrics } };
}
