/** A matrix of feature rows `[n,d]` in one of the shapes users naturally have. */
export type FeatureMatrix =
  | ReadonlyArray<ArrayLike<number>>
  | { readonly data: ArrayLike<number>; readonly rows: number; readonly cols: number }
  | { readonly shape: readonly number[]; dataSync(): ArrayLike<number> };

/** Flatten a {@link FeatureMatrix} to row-major float64 with its size. */
export function toRowMajor(x: FeatureMatrix, what = 'features'): { data: Float64Array; rows: number; cols: number } {
  if ('dataSync' in x && typeof x.dataSync === 'function') {
    if (x.shape.length !== 2) throw new Error(`${what}: expected a rank-2 tensor [n,d], got shape [${x.shape.join(',')}]`);
    return { data: Float64Array.from(x.dataSync()), rows: x.shape[0], cols: x.shape[1] };
  }
  if ('rows' in x && 'cols' in x) {
    if (x.data.length !== x.rows * x.cols) {
      throw new Error(`${what}: data has ${x.data.length} values, expected rows·cols = ${x.rows * x.cols}`);
    }
    return { data: Float64Array.from(x.data), rows: x.rows, cols: x.cols };
  }
  const rowsArr = x as ReadonlyArray<ArrayLike<number>>;
  const rows = rowsArr.length;
  const cols = rows > 0 ? rowsArr[0].length : 0;
  const data = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    const row = rowsArr[r];
    if (row.length !== cols) throw new Error(`${what}: row ${r} has ${row.length} values, expected ${cols}`);
    for (let c = 0; c < cols; c++) data[r * cols + c] = row[c];
  }
  return { data, rows, cols };
}
