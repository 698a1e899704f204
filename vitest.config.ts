import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const here = fileURLToPath(new URL('.', import.meta.url));

/** Workspace packages resolve to their TypeScript sources in tests, so tests never run stale builds. */
const workspaceAlias = [
  { find: /^@ifsq\/core\/plugin-api$/, replacement: `${here}packages/core/src/plugin-api.ts` },
  { find: /^@ifsq\/([a-z0-9-]+)$/, replacement: `${here}packages/$1/src/index.ts` },
];

export default defineConfig({
  resolve: { alias: workspaceAlias },
  test: {
    include: ['packages/*/src/**/*.test.ts', 'packages/*/test/**/*.test.ts', 'examples/**/*.test.ts'],
    exclude: ['**/node_modules/**', '**/dist/**'],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
