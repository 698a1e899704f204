export { cknna, type CknnaOptions } from './cknna.js';
export { tokenSimilarityByLayer, type TokenSimilarity, type TokenSimilarityInput } from './token-similarity.js';
