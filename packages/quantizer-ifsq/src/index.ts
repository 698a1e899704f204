/**
 * `@ifsq/quantizer-ifsq`: iFSQ and FSQ quantizers — bounded scalar quantization with straight-through rounding,
 * an exact threshold fast path, index codecs and bin diagnostics.
 * @packageDocumentation
 */
export * from './config.js';
export * from './codec.js';
export { roundHalfEven, scalarReference, exactBinEdges, type ScalarReference } from './reference.js';
export * from './fast-encode.js';
export * from './kernel.js';
export { roundSTE, boundedOp, scaledOp, codesOp, indicesFromRoundedOp, referenceIndicesOp } from './ops.js';
export * from './diagnostics.js';
export * from './quantizer.js';
export * from './create-fsq.js';
export * from './options-schema.js';
export { ifsq } from './plugin.js';
