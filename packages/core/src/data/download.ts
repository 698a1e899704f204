import { createHash } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { writeFileAtomic } from '../io/atomic.js';
import type { FashionMnistFile } from './fashion-mnist-files.js';
import { isGzip } from './idx.js';

/** The part of a fetch `Response` the downloader uses. */
export interface FetchResponseLike {
  /** Whether the status is 2xx. */
  ok: boolean;
  /** HTTP status. */
  status: number;
  /** HTTP status text. */
  statusText?: string;
  /** The body. */
  arrayBuffer(): Promise<ArrayBuffer>;
}

/** A fetch function; the global `fetch` fits. Injectable so downloads can be tested without network. */
export type FetchLike = (url: string, init?: { signal?: AbortSignal }) => Promise<FetchResponseLike>;

/** Which digests a downloaded file may match (any one suffices). */
export interface ExpectedDigests {
  /** MD5 of the file bytes. */
  md5?: string;
  /** SHA-256 of the file bytes. */
  sha256?: string;
  /** SHA-256 of the decompressed contents, for gzip files. */
  payloadSha256?: string;
}

/** Hex digest of bytes. */
export function digest(algorithm: 'md5' | 'sha256', bytes: Uint8Array): string {
  return createHash(algorithm).update(bytes).digest('hex');
}

/**
 * Check bytes against expected digests: they pass when their MD5 or SHA-256 matches, or (for gzip) when their
 * decompressed contents match `payloadSha256`.
 *
 * @param name - File name used in the error.
 * @throws Error naming the file, the digests found and the digests expected.
 */
export function verifyDigests(bytes: Uint8Array, name: string, expected: ExpectedDigests): void {
  const md5 = digest('md5', bytes);
  const sha256 = digest('sha256', bytes);
  if (expected.md5 === md5 || expected.sha256 === sha256) return;
  let payload: string | undefined;
  if (expected.payloadSha256 !== undefined && isGzip(bytes)) {
    try {
      payload = digest('sha256', gunzipSync(bytes));
    } catch {
      payload = 'unreadable gzip';
    }
    if (payload === expected.payloadSha256) return;
  }
  const wanted = [
    expected.md5 && `MD5 ${expected.md5}`,
    expected.sha256 && `SHA-256 ${expected.sha256}`,
    expected.payloadSha256 && `decompressed SHA-256 ${expected.payloadSha256}`,
  ].filter(Boolean);
  throw new Error(
    `${name}: checksum mismatch (got MD5 ${md5}, SHA-256 ${sha256}${payload ? `, decompressed ${payload}` : ''}; ` +
      `expected ${wanted.join(' or ')}). The download is corrupt or not the official file.`,
  );
}

/** Options of {@link downloadVerified}. */
export interface DownloadOptions {
  /** Address to fetch. */
  url: string;
  /** Destination path; written atomically only after the checksum passed. */
  dest: string;
  /** File name used in messages. */
  name: string;
  /** Digests the file may match. */
  expected: ExpectedDigests;
  /** Fetch function. @default globalThis.fetch */
  fetch?: FetchLike;
  /** Abort signal. @default a timeout of `timeoutMs` */
  signal?: AbortSignal;
  /** Give up after this many milliseconds when no `signal` is given. @default 600000 */
  timeoutMs?: number;
}

/** Download a file, verify its checksum, then move it into place atomically. Returns the number of bytes. */
export async function downloadVerified(options: DownloadOptions): Promise<number> {
  const fetchFn: FetchLike = options.fetch ?? (globalThis.fetch as unknown as FetchLike);
  let response: FetchResponseLike;
  try {
    const signal = options.signal ?? AbortSignal.timeout(options.timeoutMs ?? 600_000);
    response = await fetchFn(options.url, { signal });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`${options.name}: download from ${options.url} failed (${reason})`);
  }
  if (!response.ok) {
    throw new Error(
      `${options.name}: download from ${options.url} failed with HTTP ${response.status} ${response.statusText ?? ''}`.trim(),
    );
  }
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await response.arrayBuffer());
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`${options.name}: download from ${options.url} broke off (${reason})`);
  }
  verifyDigests(bytes, options.name, options.expected);
  await writeFileAtomic(options.dest, bytes);
  return bytes.length;
}

/** Expected digests of a Fashion-MNIST file. */
export function fashionMnistDigests(file: FashionMnistFile): ExpectedDigests {
  return { md5: file.md5, sha256: file.sha256, payloadSha256: file.payloadSha256 };
}
