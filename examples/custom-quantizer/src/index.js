/**
 * `@ifsq/example-custom-quantizer`: a hard-clamp scalar quantizer packaged as a third-party ifsq plugin.
 * @packageDocumentation
 */
export { ClampQuantizer } from './clamp-quantizer.js';
export { clampOptionsSchema, default as clampQuantizerPlugin } from './plugin.js';
