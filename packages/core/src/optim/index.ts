export * from './named-tensors.js';
export * from './adamw.js';
export * from './schedule.js';
export * from './clip.js';
export * from './ema.js';
