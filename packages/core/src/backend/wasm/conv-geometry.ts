import * as tf from '@tensorflow/tfjs';

/** Padding as tfjs conv ops accept it: a mode, one number for all sides, or explicit NHWC pairs. */
export type ConvPadding = 'valid' | 'same' | number | number[][];

/** Everything the composite conv gradients need about one NHWC 2-D convolution, in plain numbers. */
export interface ConvGeometry {
  /** Batch size. */
  readonly batch: number;
  /** Input height and width. */
  readonly inHeight: number;
  readonly inWidth: number;
  /** Input channels (the filter's third dimension). */
  readonly inChannels: number;
  /** Output height and width. */
  readonly outHeight: number;
  readonly outWidth: number;
  /** Output channels (the filter's fourth dimension). */
  readonly outChannels: number;
  /** Filter height and width. */
  readonly filterHeight: number;
  readonly filterWidth: number;
  /** Strides along height and width. */
  readonly strideHeight: number;
  readonly strideWidth: number;
  /** Zero padding added on each side of the input. */
  readonly padTop: number;
  readonly padBottom: number;
  readonly padLeft: number;
  readonly padRight: number;
}

/** Attributes shared by the Conv2D family of kernels. */
export interface ConvAttrs {
  /** Strides, one number or `[height, width]`. */
  strides: number | [number, number];
  /** Padding mode or explicit pads. */
  pad: ConvPadding;
  /** Only `'NHWC'` is supported by the composites. @default 'NHWC' */
  dataFormat?: string;
  /** Dilations; the composites need 1. @default 1 */
  dilations?: number | [number, number];
  /** Rounding of the output size for numeric pads. */
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

function pair(v: number | [number, number] | undefined, fallback: number): [number, number] {
  if (v == null) return [fallback, fallback];
  return typeof v === 'number' ? [v, v] : [v[0], v[1]];
}

/**
 * Whether the composite gradients handle this convolution: NHWC layout and dilation 1 (strides and every padding
 * form are supported).
 */
export function compositeSupports(attrs: Pick<ConvAttrs, 'dataFormat' | 'dilations'>): boolean {
  const [dh, dw] = pair(attrs.dilations, 1);
  return (attrs.dataFormat == null || attrs.dataFormat === 'NHWC') && dh === 1 && dw === 1;
}

/**
 * Resolves the output size and the per-side zero padding of an NHWC convolution from the kernel attributes,
 * using tfjs' own shape rules so the composites agree with the stock kernels.
 *
 * @param inShape `[batch, height, width, inChannels]`.
 * @param filterShape `[filterHeight, filterWidth, inChannels, outChannels]`.
 */
export function convGeometry(
  inShape: readonly number[],
  filterShape: readonly number[],
  attrs: ConvAttrs,
): ConvGeometry {
  if (!compositeSupports(attrs)) {
    throw new Error(
      `wasm training path: conv gradients support NHWC with dilation 1 only (got dataFormat=${String(
        attrs.dataFormat,
      )}, dilations=${JSON.stringify(attrs.dilations)})`,
    );
  }
  if (inShape.length !== 4 || filterShape.length !== 4) {
    throw new Error(
      `wasm training path: conv expects a rank-4 input and filter (got input [${inShape.join(',')}], filter [${filterShape.join(',')}])`,
    );
  }
  const info = tf.backend_util.computeConv2DInfo(
    inShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    attrs.strides,
    1,
    attrs.pad as 'same' | 'valid' | number,
    attrs.dimRoundingMode,
  );
  return {
    batch: info.batchSize,
    inHeight: info.inHeight,
    inWidth: info.inWidth,
    inChannels: info.inChannels,
    outHeight: info.outHeight,
    outWidth: info.outWidth,
    outChannels: info.outChannels,
    filterHeight: info.filterHeight,
    filterWidth: info.filterWidth,
    strideHeight: info.strideHeight,
    strideWidth: info.strideWidth,
    padTop: info.padInfo.top,
    padBottom: info.padInfo.bottom,
    padLeft: info.padInfo.left,
    padRight: info.padInfo.right,
  };
}
