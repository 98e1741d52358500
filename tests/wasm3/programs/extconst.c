/* SPDX-License-Identifier: Apache-2.0 */
/*
 * extconst.c - extended constant expressions (Wasm 3.0).  Built by clang-19 as a position-independent
 * wasm32 executable with -mextended-const, the address of a weak (so preemptible) symbol is a global
 * whose initialiser is (global.get __memory_base) (i32.const off) (i32.add).  run() reads through such
 * addresses; natively (extconst_main.c) it prints the same number.
 */
__attribute__((weak)) int wtable[8] = {1, 2, 3, 4, 5, 6, 7, 8};
__attribute__((weak)) long long wide[3] = {100000000000LL, -7, 9};
extern int other[4];
int *p = &wtable[5];

__attribute__((noinline)) int *get(int i) {
  return &wtable[i];
}

int run(void) {
  return *p * 1000 + *get(3) * 100 + other[1] + (int)(wide[0] / 1000000000LL) + (int)wide[1];
}
