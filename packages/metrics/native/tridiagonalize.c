// Householder reduction of a symmetric row-major n x n matrix to tridiagonal form (values only), reading and
// updating the upper triangle. Same algorithm as tridiagonalize() in src/linalg/symmetric-eigenvalues.ts.
// d: diagonal (n), e: sub-diagonal (n, e[n-1] = 0), v, w: scratch (n). Loops are written for auto-vectorisation.
#define sqrt __builtin_sqrt

void tridiagonalize(double* restrict A, int n, double* restrict d, double* restrict e, double* restrict v,
                    double* restrict w) {
  for (int k = 0; k < n - 2; k++) {
    const int m0 = k + 1;
    double* restrict rowK = A + (long)k * n;
    d[k] = rowK[k];
    double norm2 = 0;
    for (int j = m0; j < n; j++) norm2 += rowK[j] * rowK[j];
    double norm = sqrt(norm2);
    if (norm == 0) { e[k] = 0; continue; }
    double alpha = rowK[m0] > 0 ? -norm : norm;
    e[k] = alpha;
    double vn2 = 0;
    for (int j = m0; j < n; j++) { v[j] = rowK[j]; w[j] = 0; }
    v[m0] -= alpha;
    for (int j = m0; j < n; j++) vn2 += v[j] * v[j];
    double inv = 1 / sqrt(vn2);
    for (int j = m0; j < n; j++) v[j] *= inv;
    for (int i = m0; i < n; i++) {
      double* restrict row = A + (long)i * n;
      const double vi = v[i];
      double s = row[i] * vi;
      for (int j = i + 1; j < n; j++) { s += row[j] * v[j]; w[j] += row[j] * vi; }
      w[i] += s;
    }
    double K = 0;
    for (int i = m0; i < n; i++) K += v[i] * w[i];
    for (int i = m0; i < n; i++) w[i] -= K * v[i];
    for (int i = m0; i < n; i++) {
      double* restrict row = A + (long)i * n;
      const double vi2 = 2 * v[i], wi2 = 2 * w[i];
      for (int j = i; j < n; j++) row[j] -= vi2 * w[j] + wi2 * v[j];
    }
  }
  if (n >= 2) { d[n - 2] = A[(long)(n - 2) * n + (n - 2)]; e[n - 2] = A[(long)(n - 2) * n + (n - 1)]; }
  if (n >= 1) { d[n - 1] = A[(long)(n - 1) * n + (n - 1)]; e[n - 1] = 0; }
}
