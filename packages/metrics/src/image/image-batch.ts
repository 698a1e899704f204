/** Anything shaped `[N,H,W,C]` whose values can be read synchronously (a tfjs `Tensor4D` qualifies). */
export interface ImageBatchLike {
  /** `[N,H,W,C]`. */
  readonly shape: readonly number[];
  /** All values, row-major NHWC. */
  dataSync(): ArrayLike<number>;
}

/** An image batch copied to the host as float64. */
export interface HostImages {
  /** NHWC values. */
  data: Float64Array;
  n: number;
  h: number;
  w: number;
  c: number;
}

/** Copy an `[N,H,W,C]` batch to float64. @throws Error when the rank is not 4. */
export function toHostImages(x: ImageBatchLike, what: string): HostImages {
  if (x.shape.length !== 4) throw new Error(`${what}: expected an image batch [N,H,W,C], got shape [${x.shape.join(',')}]`);
  const [n, h, w, c] = x.shape;
  return { data: Float64Array.from(x.dataSync()), n, h, w, c };
}

/** Copy two batches and check they have the same shape. */
export function toHostPair(x: ImageBatchLike, y: ImageBatchLike, fn: string): [HostImages, HostImages] {
  const a = toHostImages(x, `${fn} x`);
  const b = toHostImages(y, `${fn} y`);
  if (a.n !== b.n || a.h !== b.h || a.w !== b.w || a.c !== b.c) {
    throw new Error(`${fn}: x has shape [${x.shape.join(',')}] but y has shape [${y.shape.join(',')}]`);
  }
  return [a, b];
}

/** One channel of one image as a row-major `H×W` plane. */
export function channelPlane(img: HostImages, index: number, channel: number): Float64Array {
  const { h, w, c } = img;
  const plane = new Float64Array(h * w);
  const base = index * h * w * c;
  for (let p = 0; p < h * w; p++) plane[p] = img.data[base + p * c + channel];
  return plane;
}
