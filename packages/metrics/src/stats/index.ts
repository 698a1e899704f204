/**
 * Pure tokenizer statistics on typed arrays: histograms, utilization, entropy, perplexity, KS against a uniform,
 * bits per value, compression ratio and running moments.
 * @packageDocumentation
 */
export * from './histogram.js';
export * from './entropy.js';
export * from './ks.js';
export * from './compression.js';
export * from './running-moments.js';
