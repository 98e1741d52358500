/* SPDX-License-Identifier: Apache-2.0 */
/* matmul: dense 128x128 double matrix multiply, n times; f64 arithmetic and 2-D indexing. */
#include "kernel.h"

#define N 128
static double a[N][N], b[N][N], c[N][N];

uint32_t bench_default_n(void) {
  return 200;
}

uint32_t bench_kernel(uint32_t n) {
  for (int i = 0; i < N; i++)
    for (int j = 0; j < N; j++) {
      a[i][j] = (double)((i * 7 + j * 3) % 17) * 0.25;
      b[i][j] = (double)((i * 5 + j * 11) % 13) * 0.5;
    }
  double acc = 0;
  for (uint32_t r = 0; r < n; r++) {
    for (int i = 0; i < N; i++)
      for (int j = 0; j < N; j++) {
        double s = 0;
        for (int k = 0; k < N; k++)
          s += a[i][k] * b[k][j];
        c[i][j] = s;
      }
    acc += c[r % N][(r * 3) % N];
    a[r % N][r % N] += 1.0; /* keep the repetitions from being folded into one */
  }
  return (uint32_t)(int64_t)acc ^ (uint32_t)(int64_t)c[N - 1][N - 1];
}
