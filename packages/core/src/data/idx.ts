import { readFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';

/** Element types an IDX file can declare (third byte of its magic number). */
export type IdxDtype = 'uint8' | 'int8' | 'int16' | 'int32' | 'float32' | 'float64';

/** Typed array matching an {@link IdxDtype}. */
export type IdxData = Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;

/** A decoded IDX array. */
export interface IdxArray {
  /** Element type declared by the file. */
  dtype: IdxDtype;
  /** Dimensions, outermost first (`[10000, 28, 28]` for Fashion-MNIST images). */
  dims: number[];
  /** Elements in row-major order, converted to the platform's byte order. */
  data: IdxData;
}

/** What the caller expects of an IDX file; every mismatch is an error naming the file. */
export interface IdxExpectation {
  /** Required element type. */
  dtype?: IdxDtype;
  /** Required number of dimensions. */
  rank?: number;
  /** Required sizes of the inner dimensions (everything after the first), e.g. `[28, 28]`. */
  innerDims?: number[];
  /** Word used for the payload in error messages (`pixels`, `labels`). @default "data" */
  what?: string;
}

const DTYPE_BY_CODE: Record<number, { dtype: IdxDtype; bytes: number }> = {
  0x08: { dtype: 'uint8', bytes: 1 },
  0x09: { dtype: 'int8', bytes: 1 },
  0x0b: { dtype: 'int16', bytes: 2 },
  0x0c: { dtype: 'int32', bytes: 4 },
  0x0d: { dtype: 'float32', bytes: 4 },
  0x0e: { dtype: 'float64', bytes: 8 },
};

/** Whether bytes start with the gzip magic number `1f 8b`. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/**
 * Decompress `bytes` when they are gzip, else return them unchanged.
 *
 * @param source - File name used in the error when the gzip stream is truncated or corrupt.
 */
export function maybeGunzip(bytes: Uint8Array, source: string): Uint8Array {
  if (!isGzip(bytes)) return bytes;
  try {
    return gunzipSync(bytes);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`${source}: gzip stream is truncated or corrupt (${reason})`);
  }
}

/**
 * Decode an IDX array (the format of the MNIST family: a big-endian magic `00 00 <dtype> <rank>`, `rank` big-endian
 * uint32 sizes, then the elements in big-endian row-major order). Gzip input is decompressed first.
 *
 * @param bytes - File contents, raw or gzip.
 * @param source - File name used in every error message.
 * @param expect - Checks on dtype and shape.
 * @throws Error naming `source` and what was wrong (bad magic, unknown dtype, wrong shape, too few or too many bytes).
 */
export function parseIdx(bytes: Uint8Array, source: string, expect: IdxExpectation = {}): IdxArray {
  const raw = maybeGunzip(bytes, source);
  if (raw.length < 4) throw new Error(`${source}: expected an IDX header of at least 4 bytes, found ${raw.length}`);
  if (raw[0] !== 0 || raw[1] !== 0) {
    throw new Error(
      `${source}: not an IDX file (magic number must start with 00 00, found ${hex(raw[0])} ${hex(raw[1])})`,
    );
  }
  const type = DTYPE_BY_CODE[raw[2]];
  if (!type) throw new Error(`${source}: unknown IDX element type 0x${hex(raw[2])}`);
  const rank = raw[3];
  if (rank === 0) throw new Error(`${source}: IDX rank must be at least 1, found 0`);
  const headerBytes = 4 + 4 * rank;
  if (raw.length < headerBytes) {
    throw new Error(`${source}: expected an IDX header of ${headerBytes} bytes for rank ${rank}, found ${raw.length}`);
  }
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const dims: number[] = [];
  for (let i = 0; i < rank; i++) dims.push(view.getUint32(4 + 4 * i, false));
  checkExpectation(source, type.dtype, dims, expect);

  const count = dims.reduce((a, b) => a * b, 1);
  const expectedBytes = count * type.bytes;
  const found = raw.length - headerBytes;
  const what = expect.what ?? 'data';
  if (found !== expectedBytes) {
    const detail = found < expectedBytes ? 'the file is truncated' : 'the file has trailing bytes';
    throw new Error(
      `${source}: expected ${expectedBytes} bytes of ${what} for ${type.dtype} [${dims.join(',')}], ` +
        `found ${found} (${detail})`,
    );
  }
  return { dtype: type.dtype, dims, data: decodeElements(view, headerBytes, count, type.dtype) };
}

/**
 * Read and decode an IDX file (raw or gzip).
 *
 * @param path - File path; it names the file in every error.
 * @param expect - Checks on dtype and shape.
 */
export async function readIdxFile(path: string, expect: IdxExpectation = {}): Promise<IdxArray> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`${path}: cannot read IDX file (${reason})`);
  }
  return parseIdx(bytes, path, expect);
}

function checkExpectation(source: string, dtype: IdxDtype, dims: number[], expect: IdxExpectation): void {
  if (expect.dtype !== undefined && dtype !== expect.dtype) {
    throw new Error(`${source}: expected IDX element type ${expect.dtype}, found ${dtype}`);
  }
  if (expect.rank !== undefined && dims.length !== expect.rank) {
    throw new Error(`${source}: expected an IDX array of rank ${expect.rank}, found rank ${dims.length} [${dims}]`);
  }
  if (expect.innerDims !== undefined) {
    const inner = dims.slice(1);
    if (inner.length !== expect.innerDims.length || inner.some((d, i) => d !== expect.innerDims?.[i])) {
      throw new Error(
        `${source}: expected items of shape [${expect.innerDims.join(',')}], found [${inner.join(',')}]`,
      );
    }
  }
}

function decodeElements(view: DataView, offset: number, count: number, dtype: IdxDtype): IdxData {
  switch (dtype) {
    case 'uint8':
      return new Uint8Array(view.buffer.slice(view.byteOffset + offset, view.byteOffset + offset + count));
    case 'int8':
      return new Int8Array(view.buffer.slice(view.byteOffset + offset, view.byteOffset + offset + count));
    case 'int16': {
      const out = new Int16Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getInt16(offset + 2 * i, false);
      return out;
    }
    case 'int32': {
      const out = new Int32Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getInt32(offset + 4 * i, false);
      return out;
    }
    case 'float32': {
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getFloat32(offset + 4 * i, false);
      return out;
    }
    case 'float64': {
      const out = new Float64Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getFloat64(offset + 8 * i, false);
      return out;
    }
  }
}

function hex(byte: number): string {
  return byte.toString(16).padStart(2, '0');
}

/**
 * Encode an array as IDX bytes (big-endian), the inverse of {@link parseIdx}. Used to build test fixtures and to
 * write small IDX files.
 */
export function encodeIdx(array: IdxArray): Uint8Array {
  const code = Number(Object.keys(DTYPE_BY_CODE).find((k) => DTYPE_BY_CODE[Number(k)].dtype === array.dtype));
  const { bytes } = DTYPE_BY_CODE[code];
  const count = array.dims.reduce((a, b) => a * b, 1);
  if (array.data.length !== count) {
    throw new Error(`encodeIdx: data has ${array.data.length} elements, dims [${array.dims}] need ${count}`);
  }
  const header = 4 + 4 * array.dims.length;
  const out = new Uint8Array(header + count * bytes);
  const view = new DataView(out.buffer);
  out[2] = code;
  out[3] = array.dims.length;
  array.dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  for (let i = 0; i < count; i++) {
    const v = array.data[i];
    const at = header + i * bytes;
    if (array.dtype === 'uint8') view.setUint8(at, v);
    else if (array.dtype === 'int8') view.setInt8(at, v);
    else if (array.dtype === 'int16') view.setInt16(at, v, false);
    else if (array.dtype === 'int32') view.setInt32(at, v, false);
    else if (array.dtype === 'float32') view.setFloat32(at, v, false);
    else view.setFloat64(at, v, false);
  }
  return out;
}
