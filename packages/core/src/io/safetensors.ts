import * as tf from '@tensorflow/tfjs';

/**
 * The safetensors format (the format of Hugging Face and of the reference PyTorch code): an 8-byte little-endian
 * header length, a JSON header `{ name: { dtype, shape, data_offsets: [begin, end] }, __metadata__?: {...} }`,
 * then the raw little-endian tensor bytes. Only this module knows the layout.
 */

/** Element types we read; everything is converted to a tfjs dtype on load. */
type SafetensorsDtype = 'F64' | 'F32' | 'F16' | 'BF16' | 'I64' | 'I32' | 'I16' | 'I8' | 'U8' | 'BOOL';

const BYTES: Record<SafetensorsDtype, number> = { F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1 };

interface HeaderEntry {
  dtype: SafetensorsDtype;
  shape: number[];
  data_offsets: [number, number];
}

/** A decoded safetensors file. */
export interface DecodedSafetensors {
  /** Tensors by name (float types become float32, integer types int32, BOOL bool). The caller disposes them. */
  tensors: Map<string, tf.Tensor>;
  /** The `__metadata__` string map (empty when absent). */
  metadata: Record<string, string>;
}

/**
 * Serialise tensors (float32, int32 or bool) into safetensors bytes, names sorted, header padded to 8 bytes.
 * @param metadata - string key/values stored under `__metadata__`.
 */
export async function encodeSafetensors(
  tensors: Map<string, tf.Tensor>,
  metadata: Record<string, string> = {},
): Promise<Uint8Array> {
  const names = [...tensors.keys()].sort();
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  const chunks: Uint8Array[] = [];
  let offset = 0;
  for (const name of names) {
    const t = tensors.get(name)!;
    const dtype = DTYPE_OF[t.dtype];
    if (!dtype) throw new Error(`Cannot store tensor "${name}" of dtype ${t.dtype} in safetensors`);
    const values = await t.data();
    const bytes =
      t.dtype === 'bool'
        ? Uint8Array.from(values as Uint8Array)
        : new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
    header[name] = { dtype, shape: t.shape, data_offsets: [offset, offset + bytes.byteLength] };
    chunks.push(bytes);
    offset += bytes.byteLength;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - ((8 + Buffer.byteLength(json)) % 8)) % 8);
  const headerBytes = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + headerBytes.byteLength + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.byteLength), true);
  out.set(headerBytes, 8);
  let p = 8 + headerBytes.byteLength;
  for (const c of chunks) {
    out.set(c, p);
    p += c.byteLength;
  }
  return out;
}

const DTYPE_OF: Partial<Record<tf.DataType, SafetensorsDtype>> = { float32: 'F32', int32: 'I32', bool: 'BOOL' };

/**
 * Parse safetensors bytes into tensors. Every structural problem (short file, bad header, unknown dtype, offsets
 * that overlap, leave gaps or run past the end, sizes that do not match shapes) throws an error naming `source`.
 * @param source - file name used in error messages.
 */
export function decodeSafetensors(bytes: Uint8Array, source = 'safetensors data'): DecodedSafetensors {
  const fail = (why: string): never => {
    throw new Error(`${source}: not a valid safetensors file: ${why}`);
  };
  if (bytes.byteLength < 8) fail(`only ${bytes.byteLength} bytes, expected at least 8`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = Number(view.getBigUint64(0, true));
  if (headerLength > bytes.byteLength - 8) fail(`header length ${headerLength} exceeds the file size ${bytes.byteLength}`);
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength)));
  } catch (e) {
    return fail(`header is not JSON (${(e as Error).message})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) fail('header is not a JSON object');
  const dataStart = 8 + headerLength;
  const dataLength = bytes.byteLength - dataStart;
  const metadata = (header.__metadata__ ?? {}) as Record<string, string>;
  const entries = Object.entries(header)
    .filter(([k]) => k !== '__metadata__')
    .map(([name, e]) => [name, checkEntry(name, e, fail)] as const)
    .sort((a, b) => a[1].data_offsets[0] - b[1].data_offsets[0]);
  let expectedBegin = 0;
  for (const [name, e] of entries) {
    const [begin, end] = e.data_offsets;
    if (begin !== expectedBegin) fail(`tensor "${name}" starts at byte ${begin}, expected ${expectedBegin} (gap or overlap)`);
    const size = e.shape.reduce((a, b) => a * b, 1) * BYTES[e.dtype];
    if (end - begin !== size) fail(`tensor "${name}" has ${end - begin} bytes, its shape [${e.shape}] ${e.dtype} needs ${size}`);
    if (end > dataLength) fail(`tensor "${name}" ends at byte ${end}, past the end of the data (${dataLength} bytes)`);
    expectedBegin = end;
  }
  if (expectedBegin !== dataLength) fail(`${dataLength - expectedBegin} trailing bytes after the last tensor`);
  const tensors = new Map<string, tf.Tensor>();
  for (const [name, e] of entries) {
    // A copy with its own buffer: `bytes` may be a Node Buffer, whose slice() is a view into a shared pool.
    const raw = new Uint8Array(bytes.buffer, bytes.byteOffset + dataStart + e.data_offsets[0], e.data_offsets[1] - e.data_offsets[0]).slice();
    const { values, dtype } = convert(raw, e.dtype, name, fail);
    tensors.set(name, tf.tensor(values, e.shape, dtype));
  }
  return { tensors, metadata };
}

function checkEntry(name: string, e: unknown, fail: (why: string) => never): HeaderEntry {
  const x = e as Partial<HeaderEntry>;
  if (typeof x !== 'object' || x === null) fail(`entry "${name}" is not an object`);
  if (!x.dtype || !(x.dtype in BYTES)) fail(`tensor "${name}" has unsupported dtype ${JSON.stringify(x.dtype)}`);
  if (!Array.isArray(x.shape) || !x.shape.every((d) => Number.isInteger(d) && d >= 0)) {
    fail(`tensor "${name}" has an invalid shape ${JSON.stringify(x.shape)}`);
  }
  const o = x.data_offsets;
  if (!Array.isArray(o) || o.length !== 2 || !o.every((v) => Number.isInteger(v) && v >= 0) || o[1] < o[0]) {
    fail(`tensor "${name}" has invalid data_offsets ${JSON.stringify(o)}`);
  }
  return x as HeaderEntry;
}

function convert(
  raw: Uint8Array,
  dtype: SafetensorsDtype,
  name: string,
  fail: (why: string) => never,
): { values: Float32Array | Int32Array | Uint8Array; dtype: tf.DataType } {
  const buf = raw.buffer;
  switch (dtype) {
    case 'F32':
      return { values: new Float32Array(buf), dtype: 'float32' };
    case 'F64':
      return { values: Float32Array.from(new Float64Array(buf)), dtype: 'float32' };
    case 'F16':
      return { values: Float32Array.from(new Uint16Array(buf), halfToFloat), dtype: 'float32' };
    case 'BF16': {
      const src = new Uint16Array(buf);
      const bits = new Uint32Array(src.length);
      for (let i = 0; i < src.length; i++) bits[i] = src[i] << 16;
      return { values: new Float32Array(bits.buffer), dtype: 'float32' };
    }
    case 'I32':
      return { values: new Int32Array(buf), dtype: 'int32' };
    case 'I16':
      return { values: Int32Array.from(new Int16Array(buf)), dtype: 'int32' };
    case 'I8':
      return { values: Int32Array.from(new Int8Array(buf)), dtype: 'int32' };
    case 'U8':
      return { values: Int32Array.from(raw), dtype: 'int32' };
    case 'BOOL':
      return { values: Uint8Array.from(raw), dtype: 'bool' };
    case 'I64': {
      const src = new BigInt64Array(buf);
      const out = new Int32Array(src.length);
      for (let i = 0; i < src.length; i++) {
        const v = src[i];
        if (v > 2147483647n || v < -2147483648n) fail(`tensor "${name}" holds int64 value ${v} outside the int32 range`);
        out[i] = Number(v);
      }
      return { values: out, dtype: 'int32' };
    }
  }
}

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * 2 ** -14 * (frac / 1024);
  if (exp === 31) return frac ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * 2 ** (exp - 15) * (1 + frac / 1024);
}
