const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && Object.getPrototypeOf(v) === Object.prototype;

/**
 * Merge user options over a plugin's defaults: nested plain objects merge key by key, everything else (arrays
 * included) is replaced. Neither input is modified.
 */
export function mergeOptions(defaults: Record<string, unknown> | undefined, given: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(defaults ?? {})) out[key] = isPlainObject(value) ? mergeOptions(value, {}) : Array.isArray(value) ? [...value] : value;
  for (const [key, value] of Object.entries(given)) {
    const base = out[key];
    out[key] = isPlainObject(value) && isPlainObject(base) ? mergeOptions(base, value) : value;
  }
  return out;
}
