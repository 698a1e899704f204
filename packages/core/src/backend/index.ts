export * from './kernels.js';
export * from './choose.js';
export * from './select.js';
