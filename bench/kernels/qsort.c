/* SPDX-License-Identifier: Apache-2.0 */
/*
 * qsort: a libc-style generic quicksort (element size, comparator through a
 * function pointer, insertion sort for short runs) on 200,000 pseudo-random
 * ints, n times; indirect calls, byte swaps and unpredictable branches.
 */
#include "kernel.h"

typedef int (*cmp_fn)(const void *, const void *);

static void swap_bytes(uint8_t *a, uint8_t *b, size_t size) {
  for (size_t i = 0; i < size; i++) {
    uint8_t t = a[i];
    a[i] = b[i];
    b[i] = t;
  }
}

static void gsort(uint8_t *base, size_t n, size_t size, cmp_fn cmp) {
  while (n > 12) {
    uint8_t *lo = base, *hi = base + (n - 1) * size, *mid = base + (n / 2) * size;
    if (cmp(mid, lo) < 0) swap_bytes(mid, lo, size);
    if (cmp(hi, mid) < 0) swap_bytes(hi, mid, size);
    if (cmp(mid, lo) < 0) swap_bytes(mid, lo, size);
    swap_bytes(mid, hi - size, size);
    uint8_t *pivot = hi - size, *i = lo, *j = pivot;
    for (;;) {
      do
        i += size;
      while (cmp(i, pivot) < 0);
      do
        j -= size;
      while (cmp(pivot, j) < 0);
      if (i >= j) break;
      swap_bytes(i, j, size);
    }
    swap_bytes(i, pivot, size);
    size_t left = (size_t)(i - base) / size, right = n - left - 1;
    /* recurse into the smaller side, loop on the larger: bounded stack */
    if (left < right) {
      gsort(base, left, size, cmp);
      base = i + size;
      n = right;
    } else {
      gsort(i + size, right, size, cmp);
      n = left;
    }
  }
  for (size_t k = 1; k < n; k++)
    for (uint8_t *p = base + k * size; p > base && cmp(p - size, p) > 0; p -= size)
      swap_bytes(p - size, p, size);
}

static int cmp_int(const void *a, const void *b) {
  int x = *(const int *)a, y = *(const int *)b;
  return (x > y) - (x < y);
}

#define COUNT 200000
static int data[COUNT];

uint32_t bench_default_n(void) {
  return 15;
}

uint32_t bench_kernel(uint32_t n) {
  uint32_t x = 42, acc = 0;
  for (uint32_t r = 0; r < n; r++) {
    for (int i = 0; i < COUNT; i++) {
      x ^= x << 13, x ^= x >> 17, x ^= x << 5;
      data[i] = (int)(x % 1000000u) - 500000;
    }
    gsort((uint8_t *)data, COUNT, sizeof data[0], cmp_int);
    for (int i = 1; i < COUNT; i++)
      if (data[i - 1] > data[i]) return 0; /* not sorted: a wrong checksum on purpose */
    acc = acc * 31 + (uint32_t)data[COUNT / 2] + (uint32_t)data[r];
  }
  return acc;
}
