export { psnr, type PsnrOptions } from './psnr.js';
export { gaussianWindow, ssim, ssimPlane, type SsimOptions, type SsimVariant } from './ssim.js';
export type { ImageBatchLike } from './image-batch.js';
