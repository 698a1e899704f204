/**
 * Kernel lists a run needs from a tfjs backend. A backend is only chosen automatically when it registers every
 * kernel of the list that matches the run (training or inference).
 */

/**
 * Kernels every inference path of our models uses: convolutions (including the transposed convolution of
 * up-sampling), matrix products of attention and linear layers, gathers of embeddings, normalisation and the
 * element-wise maths of the quantizers.
 */
export const INFERENCE_KERNELS: readonly string[] = Object.freeze([
  'Conv2D',
  'Conv2DBackpropInput',
  'BatchMatMul',
  'GatherV2',
  'Reshape',
  'Transpose',
  'Concat',
  'Slice',
  'PadV2',
  'Add',
  'AddN',
  'Sub',
  'Multiply',
  'RealDiv',
  'Maximum',
  'Minimum',
  'Sum',
  'Mean',
  'Max',
  'Exp',
  'Log',
  'Sqrt',
  'Rsqrt',
  'Square',
  'Sigmoid',
  'Tanh',
  'Round',
  'Floor',
  'ClipByValue',
  'Softmax',
  'ResizeNearestNeighbor',
  'Cast',
]);

/**
 * Kernels a training run needs on top of {@link INFERENCE_KERNELS}: the backward passes of convolution
 * (`Conv2DBackpropFilter`), of embedding/codebook gathers (`UnsortedSegmentSum`), of up-sampling and of the
 * element-wise non-linearities.
 */
export const TRAINING_KERNELS: readonly string[] = Object.freeze([
  ...INFERENCE_KERNELS,
  'Conv2DBackpropFilter',
  'UnsortedSegmentSum',
  'ResizeNearestNeighborGrad',
  'Tile',
  'Select',
  'Greater',
  'Less',
  'Equal',
  'Neg',
  'Abs',
  'Sign',
  'StridedSlice',
]);
