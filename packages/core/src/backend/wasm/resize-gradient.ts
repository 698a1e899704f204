import * as tf from '@tensorflow/tfjs';

/**
 * Replaces the gradient of `ResizeNearestNeighbor` for integer up-scaling (the nearest ×k upsample of decoders)
 * with a block sum, `dx = Σ_{k×k block} dy`, done as reshape + sum. tfjs-cpu 4.22's `ResizeNearestNeighborGrad`
 * kernel returns wrong values when the batch is larger than 1, so cpu and wasm disagreed; other geometries keep
 * the stock kernel.
 */
export function registerResizeNearestGradient(): void {
  tf.registerGradient({
    kernelName: 'ResizeNearestNeighbor',
    inputsToSave: ['images'],
    gradFunc: (dy, saved, attrs) => {
      const [images] = saved;
      const grad = dy as tf.Tensor4D;
      const { alignCorners } = attrs as unknown as { alignCorners: boolean; halfPixelCenters: boolean };
      const [b, h, w, c] = images.shape;
      const [, oh, ow] = grad.shape;
      const sh = oh / h;
      const sw = ow / w;
      if (!alignCorners && Number.isInteger(sh) && Number.isInteger(sw) && sh >= 1 && sw >= 1) {
        return { images: () => tf.sum(tf.reshape(grad, [b, h, sh, w, sw, c]), [2, 4]) };
      }
      return {
        images: () =>
          tf.engine().runKernel('ResizeNearestNeighborGrad', { images, dy: grad }, attrs as tf.NamedAttrMap) as tf.Tensor,
      };
    },
  });
}
