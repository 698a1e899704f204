import type { ConvGeometry } from './conv-geometry.js';
import type { TensorOps } from './tensor-ops.js';

/**
 * Gradient of an NHWC convolution with respect to its filter, as ONE convolution on the fast conv path:
 *
 * `dW[kh,kw,ci,co] = Σ_{b,oy,ox} xpad[b, oy·sh+kh, ox·sw+kw, ci] · dy[b,oy,ox,co]`
 *
 * is a valid convolution of `xpad` seen as `[ci, H, W, B]` (input channels become the batch, the batch becomes the
 * channels) with `dy` seen as a `[OH, OW, B, co]` filter dilated by the stride; its `[ci, fh, fw, co]` output is
 * permuted to `[fh, fw, ci, co]`. This avoids materialising the `fh·fw`-times larger im2col matrix.
 *
 * @param x Convolution input `[B, H, W, ci]`.
 * @param dy Gradient of the convolution output `[B, OH, OW, co]`.
 * @returns `[fh, fw, ci, co]`.
 */
export function convFilterGradient<T extends { readonly shape: number[] }>(
  ops: TensorOps<T>,
  x: T,
  dy: T,
  g: ConvGeometry,
): T {
  const { strideHeight: sh, strideWidth: sw } = g;
  const used = reachedInput(ops, x, g);
  const xT = ops.transpose(used, [3, 1, 2, 0]);
  const dyAsFilter = ops.transpose(dy, [1, 2, 0, 3]);
  const dwT = ops.conv2dValid(xT, dyAsFilter, [sh, sw]); // [ci, fh, fw, co]
  return ops.transpose(dwT, [1, 2, 0, 3]);
}

/**
 * Gradient of an NHWC convolution with respect to its input, as one stride-1 valid convolution of the
 * zero-dilated, re-padded `dy` with the spatially flipped, channel-swapped filter. For stride 1 this is the classic
 * flipped-filter convolution; for stride s, `dy` is first spread out with s−1 zeros between rows and columns.
 *
 * @param dy Gradient of the convolution output `[B, OH, OW, co]`.
 * @param filter `[fh, fw, ci, co]`.
 * @returns `[B, H, W, ci]`.
 */
export function convInputGradient<T extends { readonly shape: number[] }>(
  ops: TensorOps<T>,
  dy: T,
  filter: T,
  g: ConvGeometry,
): T {
  const { batch: B, outHeight: OH, outWidth: OW, strideHeight: sh, strideWidth: sw } = g;
  const co = g.outChannels;
  const flipped = ops.transpose(ops.reverse(filter, [0, 1]), [0, 1, 3, 2]); // [fh, fw, co, ci]
  let spread = dy;
  if (sh > 1 || sw > 1) {
    const six = ops.reshape(dy, [B, OH, 1, OW, 1, co]);
    const zeros = ops.pad(six, [
      [0, 0],
      [0, 0],
      [0, sh - 1],
      [0, 0],
      [0, sw - 1],
      [0, 0],
    ]);
    spread = ops.reshape(zeros, [B, OH * sh, OW * sw, co]);
  }
  // spread has OH·sh rows: the dilated dy ((OH−1)·sh+1 rows) plus sh−1 trailing zero rows.
  const top = g.filterHeight - 1 - g.padTop;
  const bottom = g.inHeight + g.padTop - OH * sh;
  const left = g.filterWidth - 1 - g.padLeft;
  const right = g.inWidth + g.padLeft - OW * sw;
  // Padding only: the convolution pads as it reads (no padded copy of dy); any crop needs the explicit slice.
  if (top >= 0 && bottom >= 0 && left >= 0 && right >= 0) return ops.conv2dPadded(spread, flipped, [[top, bottom], [left, right]]);
  return ops.conv2dValid(padOrCrop(ops, spread, top, bottom, left, right), flipped);
}

/**
 * `x` padded or cropped to exactly the rows and columns a convolution's filter reaches: `(O−1)·s + f` of them,
 * starting at the first padded row/column.
 */
export function reachedInput<T extends { readonly shape: number[] }>(ops: TensorOps<T>, x: T, g: ConvGeometry): T {
  const bottom = (g.outHeight - 1) * g.strideHeight + g.filterHeight - g.inHeight - g.padTop;
  const right = (g.outWidth - 1) * g.strideWidth + g.filterWidth - g.inWidth - g.padLeft;
  return padOrCrop(ops, x, g.padTop, bottom, g.padLeft, right);
}

/** Pads (positive amounts) or crops (negative amounts) the two spatial axes of an NHWC tensor. */
function padOrCrop<T extends { readonly shape: number[] }>(
  ops: TensorOps<T>,
  x: T,
  top: number,
  bottom: number,
  left: number,
  right: number,
): T {
  let y = x;
  if (top < 0 || bottom < 0 || left < 0 || right < 0) {
    const [b, h, w, c] = y.shape;
    const t = Math.max(-top, 0);
    const l = Math.max(-left, 0);
    y = ops.slice(y, [0, t, l, 0], [b, h - t - Math.max(-bottom, 0), w - l - Math.max(-right, 0), c]);
  }
  const pt = Math.max(top, 0);
  const pb = Math.max(bottom, 0);
  const pl = Math.max(left, 0);
  const pr = Math.max(right, 0);
  if (pt || pb || pl || pr) {
    y = ops.pad(y, [
      [0, 0],
      [pt, pb],
      [pl, pr],
      [0, 0],
    ]);
  }
  return y;
}
