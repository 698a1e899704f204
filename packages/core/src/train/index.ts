export * from './train-step.js';
