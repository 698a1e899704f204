/** One Fashion-MNIST file and the digests that identify a good copy of it. */
export interface FashionMnistFile {
  /** File name, as published upstream (`t10k-images-idx3-ubyte.gz`). */
  name: string;
  /** MD5 of the gzip file published in the upstream README (matches a fresh download). */
  md5: string;
  /** SHA-256 of the gzip file as shipped by the Debian package `dataset-fashion-mnist` (re-compressed by Debian). */
  sha256: string;
  /** SHA-256 of the decompressed IDX contents (matches any gzip of the same data). */
  payloadSha256: string;
  /** Number of items in the file. */
  count: number;
}

/** The files of one Fashion-MNIST split. */
export interface FashionMnistSplitFiles {
  /** Image file (`idx3`, uint8 `[N,28,28]`). */
  images: FashionMnistFile;
  /** Label file (`idx1`, uint8 `[N]`). */
  labels: FashionMnistFile;
}

/** The official base address of the Fashion-MNIST files (from the upstream README). */
export const FASHION_MNIST_BASE_URL = 'http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/';

/** Default system folder where Debian's `dataset-fashion-mnist` installs the files. */
export const FASHION_MNIST_SYSTEM_DIR = '/usr/share/datasets/fashion-mnist';

/** The ten class names of Fashion-MNIST, by label id. */
export const FASHION_MNIST_CLASSES = [
  'T-shirt/top',
  'Trouser',
  'Pullover',
  'Dress',
  'Coat',
  'Sandal',
  'Shirt',
  'Sneaker',
  'Bag',
  'Ankle boot',
] as const;

/**
 * Files and digests of both splits. MD5s are the upstream README's; SHA-256s were computed here with `sha256sum` on
 * the Debian package's files (`/usr/share/datasets/fashion-mnist/*`) and on their decompressed contents
 * (`zcat FILE | sha256sum`).
 */
export const FASHION_MNIST_FILES: Record<'train' | 'test', FashionMnistSplitFiles> = {
  train: {
    images: {
      name: 'train-images-idx3-ubyte.gz',
      md5: '8d4fb7e6c68d591d4c3dfef9ec88bf0d',
      sha256: 'b0564c3eedabfbf835052cff8503ea422014ce006caf5b757f851416ee8300c7',
      payloadSha256: 'c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888',
      count: 60000,
    },
    labels: {
      name: 'train-labels-idx1-ubyte.gz',
      md5: '25c81989df183df01b3e8a0aad5dffbe',
      sha256: '0ae29f65d86684f32d1b9c85147786c547b9c6aebcaf235f0400a0cce308b056',
      payloadSha256: 'bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9',
      count: 60000,
    },
  },
  test: {
    images: {
      name: 't10k-images-idx3-ubyte.gz',
      md5: 'bef4ecab320f06d8554ea6380940ec79',
      sha256: 'cc1d090a38ace84dfa1aa66e3ada7c336ef481a96936906477e6dd344da56eaa',
      payloadSha256: '5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b',
      count: 10000,
    },
    labels: {
      name: 't10k-labels-idx1-ubyte.gz',
      md5: 'bb300cfdad3c16e7a12a480ee83cd310',
      sha256: '8d3605d196f4be44669e46906da9733c8131fef761fdbfec72c424d5222f1a05',
      payloadSha256: '0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34',
      count: 10000,
    },
  },
};
