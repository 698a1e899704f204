/**
 * `@ifsq/quantizer-vq`: vector-quantization (VQ-VAE) bottleneck for ifsq tokenizers.
 * @packageDocumentation
 */
export { VectorQuantizer, type VectorQuantizerInit } from './vq-quantizer.js';
export { VQ_DEFAULTS, VqOptionsSchema, resolveVqOptions, type VqOptions, type VqPluginOptions } from './options.js';
export { nearestCodeIndices, DEFAULT_SEARCH_CHUNK_ELEMENTS, type NearestSearchOptions } from './nearest.js';
export { kmeans, type KMeansOptions } from './kmeans.js';
export { lookupRows, stopGradient, straightThrough, untaped, l2NormalizeRows } from './graph.js';
export { UsageWindow } from './usage-window.js';
export { vq } from './plugin.js';
