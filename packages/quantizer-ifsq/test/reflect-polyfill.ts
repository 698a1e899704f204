// Test-only: load reflect-metadata before anything reaches @ifsq/core (through @ifsq/metrics), because the core
// barrel currently evaluates tsyringe before its own `import 'reflect-metadata'` (core/di/index.ts export order).
// Remove once core loads the polyfill first.
import { createRequire } from 'node:module';

createRequire(new URL('../../core/package.json', import.meta.url))('reflect-metadata');
