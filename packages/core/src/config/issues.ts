import type { ErrorObject } from 'ajv';

/** Which validation phase found a problem. */
export type IssuePhase = 'load' | 'envelope' | 'resolve' | 'options' | 'compatibility';

/** One problem in a pipeline file. */
export interface ConfigIssue {
  /** Dotted/bracket path of the offending value (`tokenizer.quantizer.options.levels[2]`), or `(root)`. */
  path: string;
  /** What is wrong and what was expected. */
  message: string;
  /** Phase that found it. */
  phase: IssuePhase;
}

/** Format issues one per line as `path: message`. */
export function formatIssues(issues: readonly ConfigIssue[]): string {
  return issues.map((i) => `${i.path}: ${i.message}`).join('\n');
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$-]*$/;

/** Join a dotted base path and one more segment (`a.b` + 2 → `a.b[2]`, + `x` → `a.b.x`). */
export function joinPath(base: string, segment: string | number): string {
  if (typeof segment === 'number' || /^\d+$/.test(segment)) return `${base}[${segment}]`;
  if (!IDENTIFIER.test(segment)) return `${base}[${JSON.stringify(segment)}]`;
  return base === '' ? segment : `${base}.${segment}`;
}

/** Turn an ajv JSON pointer (`/levels/2`) into dotted form under `base` (`tokenizer.quantizer.options.levels[2]`). */
export function pointerToPath(base: string, pointer: string): string {
  if (pointer === '') return base;
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce<string>((path, segment) => joinPath(path, segment), base);
}

function describe(error: ErrorObject): string {
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'additionalProperties':
      return `unknown property \`${String(params.additionalProperty)}\``;
    case 'enum':
      return `must be one of ${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
    case 'const':
      return `must be ${JSON.stringify(params.allowedValue)}`;
    default:
      return error.message ?? `fails ${error.keyword}`;
  }
}

/**
 * Convert ajv errors to issues under `base`. Failures of a whole `anyOf` (a plugin slot of the wrong shape) are
 * reported once with `anyOfMessage` instead of once per branch.
 */
export function ajvIssues(
  errors: readonly ErrorObject[] | null | undefined,
  base: string,
  phase: IssuePhase,
  anyOfMessage: string | ((path: string) => string) = 'does not match any allowed shape',
): ConfigIssue[] {
  if (!errors) return [];
  const anyOfs = errors.filter((e) => e.keyword === 'anyOf');
  const insideFailedAnyOf = (e: ErrorObject): boolean =>
    anyOfs.some((a) => a !== e && e.schemaPath.startsWith(a.schemaPath.replace(/\/anyOf$/, '/anyOf/')) && e.instancePath.startsWith(a.instancePath));
  const issues: ConfigIssue[] = [];
  for (const error of errors) {
    if (insideFailedAnyOf(error)) continue;
    const path = pointerToPath(base, error.instancePath) || '(root)';
    const message =
      error.keyword !== 'anyOf' ? describe(error) : typeof anyOfMessage === 'string' ? anyOfMessage : anyOfMessage(path);
    issues.push({ path, message, phase });
  }
  return issues;
}
