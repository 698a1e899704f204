export * from './latent-spec.js';
export type * from './disposable.js';
export type * from './parametrized.js';
export type * from './quantizer.js';
export type * from './generator.js';
export type * from './aligner.js';
export type * from './metric.js';
export type * from './dataset.js';
export type * from './services.js';
