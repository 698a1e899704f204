/**
 * Layer table of the FID InceptionV3 (pytorch-fid's `FIDInceptionA/C/E_1/E_2` patches of torchvision's
 * InceptionV3): every BasicConv2d (conv without bias + BatchNorm eps 1e-3 + ReLU) with its kernel, stride,
 * padding and channels. The weight names are those of the pytorch-fid state dict (`<name>.conv.weight`,
 * `<name>.bn.{weight,bias,running_mean,running_var}`).
 */

/** One BasicConv2d. */
export interface InceptionConv {
  /** State-dict prefix (`Mixed_5b.branch1x1`). */
  name: string;
  /** Kernel height, width. */
  kernel: [number, number];
  /** Stride (1 or 2). */
  stride: number;
  /** `same` for the symmetric-padding convs, `valid` for padding 0. */
  padding: 'same' | 'valid';
  /** Input channels. */
  inChannels: number;
  /** Output channels. */
  outChannels: number;
}

const convs: InceptionConv[] = [];
function conv(name: string, kernel: [number, number], inChannels: number, outChannels: number, stride = 1, padding: 'same' | 'valid' = 'same'): void {
  convs.push({ name, kernel, stride, padding, inChannels, outChannels });
}

conv('Conv2d_1a_3x3', [3, 3], 3, 32, 2, 'valid');
conv('Conv2d_2a_3x3', [3, 3], 32, 32, 1, 'valid');
conv('Conv2d_2b_3x3', [3, 3], 32, 64);
conv('Conv2d_3b_1x1', [1, 1], 64, 80, 1, 'valid');
conv('Conv2d_4a_3x3', [3, 3], 80, 192, 1, 'valid');

function blockA(name: string, inC: number, poolFeatures: number): void {
  conv(`${name}.branch1x1`, [1, 1], inC, 64);
  conv(`${name}.branch5x5_1`, [1, 1], inC, 48);
  conv(`${name}.branch5x5_2`, [5, 5], 48, 64);
  conv(`${name}.branch3x3dbl_1`, [1, 1], inC, 64);
  conv(`${name}.branch3x3dbl_2`, [3, 3], 64, 96);
  conv(`${name}.branch3x3dbl_3`, [3, 3], 96, 96);
  conv(`${name}.branch_pool`, [1, 1], inC, poolFeatures);
}
blockA('Mixed_5b', 192, 32);
blockA('Mixed_5c', 256, 64);
blockA('Mixed_5d', 288, 64);

conv('Mixed_6a.branch3x3', [3, 3], 288, 384, 2, 'valid');
conv('Mixed_6a.branch3x3dbl_1', [1, 1], 288, 64);
conv('Mixed_6a.branch3x3dbl_2', [3, 3], 64, 96);
conv('Mixed_6a.branch3x3dbl_3', [3, 3], 96, 96, 2, 'valid');

function blockC(name: string, c7: number): void {
  conv(`${name}.branch1x1`, [1, 1], 768, 192);
  conv(`${name}.branch7x7_1`, [1, 1], 768, c7);
  conv(`${name}.branch7x7_2`, [1, 7], c7, c7);
  conv(`${name}.branch7x7_3`, [7, 1], c7, 192);
  conv(`${name}.branch7x7dbl_1`, [1, 1], 768, c7);
  conv(`${name}.branch7x7dbl_2`, [7, 1], c7, c7);
  conv(`${name}.branch7x7dbl_3`, [1, 7], c7, c7);
  conv(`${name}.branch7x7dbl_4`, [7, 1], c7, c7);
  conv(`${name}.branch7x7dbl_5`, [1, 7], c7, 192);
  conv(`${name}.branch_pool`, [1, 1], 768, 192);
}
blockC('Mixed_6b', 128);
blockC('Mixed_6c', 160);
blockC('Mixed_6d', 160);
blockC('Mixed_6e', 192);

conv('Mixed_7a.branch3x3_1', [1, 1], 768, 192);
conv('Mixed_7a.branch3x3_2', [3, 3], 192, 320, 2, 'valid');
conv('Mixed_7a.branch7x7x3_1', [1, 1], 768, 192);
conv('Mixed_7a.branch7x7x3_2', [1, 7], 192, 192);
conv('Mixed_7a.branch7x7x3_3', [7, 1], 192, 192);
conv('Mixed_7a.branch7x7x3_4', [3, 3], 192, 192, 2, 'valid');

function blockE(name: string, inC: number): void {
  conv(`${name}.branch1x1`, [1, 1], inC, 320);
  conv(`${name}.branch3x3_1`, [1, 1], inC, 384);
  conv(`${name}.branch3x3_2a`, [1, 3], 384, 384);
  conv(`${name}.branch3x3_2b`, [3, 1], 384, 384);
  conv(`${name}.branch3x3dbl_1`, [1, 1], inC, 448);
  conv(`${name}.branch3x3dbl_2`, [3, 3], 448, 384);
  conv(`${name}.branch3x3dbl_3a`, [1, 3], 384, 384);
  conv(`${name}.branch3x3dbl_3b`, [3, 1], 384, 384);
  conv(`${name}.branch_pool`, [1, 1], inC, 192);
}
blockE('Mixed_7b', 1280);
blockE('Mixed_7c', 2048);

/** Every BasicConv2d of the FID InceptionV3, in forward order. */
export const INCEPTION_CONVS: readonly InceptionConv[] = convs;

/** BatchNorm epsilon of torchvision's BasicConv2d. */
export const INCEPTION_BN_EPS = 1e-3;
