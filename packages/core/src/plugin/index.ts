export { BUILTIN_PLUGINS, builtinKindsOf, findBuiltin, isCoreBuiltin } from './builtins.js';
export type { BuiltinTarget, CoreBuiltin, PackageBuiltin } from './builtins.js';
export { PluginResolutionError, type PluginResolutionErrorCode } from './errors.js';
export { findPluginPackages, listInstalledPlugins, type InstalledPlugin, type PluginListing } from './list-installed.js';
export { ancestorDirs, findPackageDir, splitPackageSpecifier } from './locate-package.js';
export { hasPluginManifest, ManifestError, readPackageJson, readPluginPackage, type PluginPackage } from './manifest.js';
export { checkDefinition, resolvePlugin, setCoreModuleLoader } from './resolve-plugin.js';
export type { CoreModuleLoader, LoadedPlugin, PluginRequest } from './resolve-plugin.js';
export { closestMatch } from './suggest.js';
