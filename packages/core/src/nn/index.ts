// nn layers (Module itself is exported by the core index from './module.js').
export * from './init.js';
export * from './activations.js';
export { Linear, type LinearOptions } from './linear.js';
export * from './conv2d.js';
export * from './norm.js';
export * from './embedding.js';
export * from './module-list.js';
export * from './resnet-block.js';
export * from './resample.js';
