import type { ConvGeometry } from './conv-geometry.js';
import type { TensorOps } from './tensor-ops.js';

/**
 * Gradient of an NHWC convolution with respect to its filter, as im2col followed by ONE plain 2-D matmul:
 *
 * `dW[kh,kw,ci,co] = Σ_{b,oy,ox} xpad[b, oy·sh+kh, ox·sw+kw, ci] · dy[b,oy,ox,co]`.
 *
 * The patch matrix `[B·OH·OW, fh·fw·ci]` is built from `fh·fw` shifted (strided) slices of the padded input, and
 * `dy` is transposed explicitly so the product runs on the fast un-transposed path.
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
  const { batch: B, outHeight: OH, outWidth: OW, strideHeight: sh, strideWidth: sw } = g;
  const ci = g.inChannels;
  const co = g.outChannels;
  const padded =
    g.padTop || g.padBottom || g.padLeft || g.padRight
      ? ops.pad(x, [
          [0, 0],
          [g.padTop, g.padBottom],
          [g.padLeft, g.padRight],
          [0, 0],
        ])
      : x;
  const patches: T[] = [];
  for (let kh = 0; kh < g.filterHeight; kh++) {
    for (let kw = 0; kw < g.filterWidth; kw++) {
      patches.push(
        sh === 1 && sw === 1
          ? ops.slice(padded, [0, kh, kw, 0], [B, OH, OW, ci])
          : ops.stridedSlice(
              padded,
              [0, kh, kw, 0],
              [B, kh + (OH - 1) * sh + 1, kw + (OW - 1) * sw + 1, ci],
              [1, sh, sw, 1],
            ),
      );
    }
  }
  const rows = B * OH * OW;
  const k = g.filterHeight * g.filterWidth * ci;
  const cols = ops.reshape(ops.concat(patches, 3), [rows, k]);
  const dyT = ops.transpose(ops.reshape(dy, [rows, co]), [1, 0]);
  const dwT = ops.matMul(dyT, cols); // [co, fh·fw·ci]
  return ops.reshape(ops.transpose(dwT, [1, 0]), [g.filterHeight, g.filterWidth, ci, co]);
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
  return ops.conv2dValid(padOrCrop(ops, spread, top, bottom, left, right), flipped);
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
