/** Why a plugin reference could not be resolved. */
export type PluginResolutionErrorCode =
  /** No built-in, package or plugin of that name. */
  | 'unknown'
  /** The plugin exists but is of another kind than the slot needs. */
  | 'kind-mismatch'
  /** The plugin targets another plugin-API version. */
  | 'api-version'
  /** A built-in whose package is not installed, or a core module that is not available. */
  | 'not-installed'
  /** The package, manifest or module does not hold a usable plugin definition. */
  | 'invalid-plugin';

/** A plugin reference in a pipeline slot that could not be resolved. The message names the slot. */
export class PluginResolutionError extends Error {
  override readonly name = 'PluginResolutionError';

  /**
   * @param slot - Slot path in the pipeline (`tokenizer.quantizer`).
   * @param code - Category of the failure.
   * @param message - Human-readable explanation (without the slot prefix).
   * @param suggestion - Closest known specifier for a misspelled name.
   */
  constructor(
    readonly slot: string,
    readonly code: PluginResolutionErrorCode,
    message: string,
    readonly suggestion?: string,
  ) {
    super(message);
  }
}
