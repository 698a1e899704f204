export * from './tokens.js';
export * from './plugin-context-factory.js';
export * from './run-scope.js';
