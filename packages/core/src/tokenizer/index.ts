export * from './tokenizer.js';
export * from './backbone.js';
export * from './plugins.js';
export * from './stage-support.js';
export * from './latent-scale-meter.js';
export { TrainTokenizerStage, type TrainTokenizerStageOptions } from './train-stage.js';
export { EvaluateTokenizerStage, formatSummary, type EvaluateTokenizerStageOptions } from './evaluate-stage.js';
export { EncodeStage, type EncodeStageOptions } from './encode-stage.js';
