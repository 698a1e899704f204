/** Data area: IDX reader, Fashion-MNIST, image folders, in-memory datasets, splits, image grids, dataset plugins. */
export * from './idx.js';
export * from './fashion-mnist-files.js';
export * from './download.js';
export * from './fashion-mnist.js';
export * from './image-folder.js';
export * from './in-memory-dataset.js';
export * from './split.js';
export * from './select-split.js';
export * from './image-grid.js';
export * from './plugins.js';
