import * as tf from '@tensorflow/tfjs';
import { convFilterGradient, convInputGradient } from './conv-composites.js';
import { convGeometry, type ConvAttrs, type ConvGeometry } from './conv-geometry.js';
import { publicOps } from './tensor-ops.js';

/**
 * The filter gradient: on wasm, its `Conv2DBackpropFilter` kernel (one GEMM product that reads the padded input in
 * place, or the composite when the GEMM is not running); elsewhere the composite of {@link convFilterGradient}.
 */
function filterGradient(x: tf.Tensor, dy: tf.Tensor, filterShape: number[], attrs: ConvAttrs, g: ConvGeometry): tf.Tensor {
  if (tf.getBackend() === 'wasm' && tf.getKernel('Conv2DBackpropFilter', 'wasm')) {
    const kernelAttrs = { ...attrs, filterShape, dataFormat: 'NHWC' };
    return tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, kernelAttrs as unknown as tf.NamedAttrMap) as tf.Tensor;
  }
  return convFilterGradient(publicOps, x, dy, g);
}

/**
 * Replaces the tfjs gradients of `Conv2D` and `Conv2DBackpropInput` (the op behind `conv2dTranspose`) with the
 * composites of {@link convFilterGradient} / {@link convInputGradient}, written with public ops. They are
 * correct on every backend (the registry is global) and fast on wasm, where the stock filter gradient kernel is
 * missing and the stock input gradient kernel is scalar code.
 */
export function registerConvGradients(): void {
  tf.registerGradient({
    kernelName: 'Conv2D',
    inputsToSave: ['x', 'filter'],
    gradFunc: (dy, saved, attrs) => {
      const [x, filter] = saved;
      const g = convGeometry(x.shape, filter.shape, attrs as unknown as ConvAttrs);
      const dy4 = dy as tf.Tensor;
      return {
        x: () => convInputGradient(publicOps, dy4, filter, g),
        filter: () => filterGradient(x, dy4, filter.shape, attrs as unknown as ConvAttrs, g),
      };
    },
  });
  tf.registerGradient({
    kernelName: 'Conv2DBackpropInput',
    inputsToSave: ['dy', 'filter'],
    gradFunc: (ddx, saved, attrs) => {
      // Forward: out = convInputGradient(dy, filter) for a conv whose input has out's shape.
      const [dy, filter] = saved;
      const a = attrs as unknown as ConvAttrs;
      const grad = ddx as tf.Tensor;
      const g = convGeometry(grad.shape, filter.shape, a);
      return {
        dy: () =>
          tf.conv2d(grad as tf.Tensor4D, filter as tf.Tensor4D, a.strides, a.pad as 'same', 'NHWC', 1, a.dimRoundingMode),
        filter: () => filterGradient(grad, dy, filter.shape, a, g),
      };
    },
  });
}
