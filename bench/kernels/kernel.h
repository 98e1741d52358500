/* SPDX-License-Identifier: Apache-2.0 */
/*
 * kernel.h - the contract between a compute kernel and its three harnesses.
 *
 * Every kernel file defines bench_kernel(n), a deterministic computation that
 * returns a 32-bit checksum, and bench_default_n(), the size that runs for
 * roughly 0.1-0.3 s natively.  Kernels use no libc (the plain-export build has
 * none): harness_native.c / harness_wasi.c add a main() that prints the
 * checksum, harness_export.c exports run(n) and default_n() with no imports.
 */
#ifndef BENCH_KERNEL_H
#define BENCH_KERNEL_H

#include <stddef.h>
#include <stdint.h>

uint32_t bench_kernel(uint32_t n);
uint32_t bench_default_n(void);

#endif
