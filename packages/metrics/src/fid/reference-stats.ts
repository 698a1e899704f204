import { createHash } from 'node:crypto';
import { readFile, rename, writeFile } from 'node:fs/promises';
import type { GaussianStats } from './gaussian-stats.js';

/** Reference statistics of a feature set, as saved on disk, with how they were produced. */
export interface ReferenceStats extends GaussianStats {
  /** Extractor name, weights hash, resize method, dataset, ... */
  provenance: Record<string, unknown>;
  /** SHA-256 (hex) of the float64 little-endian bytes of `mu` followed by `sigma`; see {@link hashStats}. */
  sha256: string;
}

/** On-disk JSON layout of {@link ReferenceStats}. */
interface ReferenceStatsFile {
  format: 'ifsq-fid-stats';
  version: 1;
  n: number;
  dim: number;
  mu: number[];
  sigma: number[];
  provenance: Record<string, unknown>;
  sha256: string;
}

/** SHA-256 (hex) of the float64 little-endian bytes of `mu` then `sigma`: identifies statistics independent of file format. */
export function hashStats(stats: Pick<GaussianStats, 'mu' | 'sigma'>): string {
  const h = createHash('sha256');
  const le = (a: Float64Array): Uint8Array => {
    const buf = new Uint8Array(a.length * 8);
    const view = new DataView(buf.buffer);
    for (let i = 0; i < a.length; i++) view.setFloat64(i * 8, a[i], true);
    return buf;
  };
  h.update(le(Float64Array.from(stats.mu)));
  h.update(le(Float64Array.from(stats.sigma)));
  return h.digest('hex');
}

/** Attach provenance and hash to statistics. */
export function toReferenceStats(stats: GaussianStats, provenance: Record<string, unknown> = {}): ReferenceStats {
  return { ...stats, provenance, sha256: hashStats(stats) };
}

/** Write reference statistics as JSON atomically (temp file + rename). Numbers round-trip exactly. */
export async function saveReferenceStats(path: string, stats: GaussianStats & { provenance?: Record<string, unknown> }): Promise<ReferenceStats> {
  const ref = toReferenceStats(stats, stats.provenance ?? {});
  const file: ReferenceStatsFile = {
    format: 'ifsq-fid-stats',
    version: 1,
    n: ref.n,
    dim: ref.dim,
    mu: Array.from(ref.mu),
    sigma: Array.from(ref.sigma),
    provenance: ref.provenance,
    sha256: ref.sha256,
  };
  const tmp = `${path}.tmp-${process.pid}-${Date.now()}`;
  await writeFile(tmp, JSON.stringify(file));
  await rename(tmp, path);
  return ref;
}

/**
 * Load reference statistics written by {@link saveReferenceStats}; verifies shapes and the stored hash.
 * @throws Error naming the file and the field that is wrong.
 */
export async function loadReferenceStats(path: string): Promise<ReferenceStats> {
  let parsed: Partial<ReferenceStatsFile>;
  try {
    parsed = JSON.parse(await readFile(path, 'utf8')) as Partial<ReferenceStatsFile>;
  } catch (err) {
    throw new Error(`${path}: cannot read FID reference statistics (${(err as Error).message})`);
  }
  if (parsed.format !== 'ifsq-fid-stats') throw new Error(`${path}: field "format" must be "ifsq-fid-stats"`);
  const { dim, n, mu, sigma } = parsed;
  if (typeof dim !== 'number' || typeof n !== 'number') throw new Error(`${path}: fields "n" and "dim" must be numbers`);
  if (!Array.isArray(mu) || mu.length !== dim) throw new Error(`${path}: field "mu" must hold dim = ${dim} numbers`);
  if (!Array.isArray(sigma) || sigma.length !== dim * dim) {
    throw new Error(`${path}: field "sigma" must hold dim² = ${dim * dim} numbers (row-major)`);
  }
  const stats: GaussianStats = { mu: Float64Array.from(mu), sigma: Float64Array.from(sigma), n, dim };
  const sha256 = hashStats(stats);
  if (parsed.sha256 !== undefined && parsed.sha256 !== sha256) {
    throw new Error(`${path}: field "sha256" (${parsed.sha256}) does not match the statistics (${sha256}); file corrupted?`);
  }
  return { ...stats, provenance: parsed.provenance ?? {}, sha256 };
}
