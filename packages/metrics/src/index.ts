/**
 * `@ifsq/metrics`: PSNR, SSIM, LPIPS, FID, tokenizer statistics and representation metrics with reference parity
 * and provenance.
 * @packageDocumentation
 */
export * from './fid/index.js';
export * from './stats/index.js';
