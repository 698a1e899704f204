/** Anything that owns tensors or other resources and frees them on `dispose()`. */
export interface Disposable {
  /** Free every tensor and resource this object owns. Calling it twice is harmless. */
  dispose(): void | Promise<void>;
}
