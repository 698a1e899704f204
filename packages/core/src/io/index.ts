export * from './atomic.js';
export * from './jsonl.js';
export * from './checkpoint-store.js';
export * from './safetensors.js';
