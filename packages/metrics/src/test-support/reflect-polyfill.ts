// Test-only: load reflect-metadata before @ifsq/core, whose barrel evaluates tsyringe before its own
// `import 'reflect-metadata'` (core/di/index.ts export order). Remove once core imports the polyfill first.
import { createRequire } from 'node:module';

createRequire(new URL('../../../core/package.json', import.meta.url))('reflect-metadata');
