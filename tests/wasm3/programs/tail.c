/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tail.c - tail calls (Wasm 3.0): built by clang-19 with -mtail-call, every `return f(...)` marked
 * musttail becomes return_call / return_call_indirect.  Mutual recursion 30 million deep and a
 * threaded-code interpreter whose handlers tail-call each other through a table run in constant stack
 * space (the engine's call-depth limit is 10,000 frames).  Prints the same natively (clang -O2).
 */
#include <stdint.h>
#include <stdio.h>

#define MUSTTAIL __attribute__((musttail))

static int is_odd(uint32_t n);
__attribute__((noinline)) static int is_even(uint32_t n) {
  if (n == 0) return 1;
  MUSTTAIL return is_odd(n - 1);
}
__attribute__((noinline)) static int is_odd(uint32_t n) {
  if (n == 0) return 0;
  MUSTTAIL return is_even(n - 1);
}

/* threaded code: each handler does its work and tail-calls the next one through the table */
typedef uint64_t (*op_fn)(const uint8_t *pc, uint64_t acc, uint64_t steps);
static uint64_t op_add(const uint8_t *pc, uint64_t acc, uint64_t steps);
static uint64_t op_mul(const uint8_t *pc, uint64_t acc, uint64_t steps);
static uint64_t op_xor(const uint8_t *pc, uint64_t acc, uint64_t steps);
static uint64_t op_end(const uint8_t *pc, uint64_t acc, uint64_t steps);
static op_fn ops[4] = {op_add, op_mul, op_xor, op_end};
static const uint8_t prog[8] = {0, 1, 2, 0, 1, 2, 0, 3};
#define NEXT(pc, acc, steps) MUSTTAIL return ops[*(pc)]((pc), (acc), (steps))
static uint64_t op_add(const uint8_t *pc, uint64_t acc, uint64_t steps) {
  acc += pc[1] + 7u;
  NEXT(pc + 1, acc, steps + 1);
}
static uint64_t op_mul(const uint8_t *pc, uint64_t acc, uint64_t steps) {
  acc *= 0x9E3779B1u;
  NEXT(pc + 1, acc, steps + 1);
}
static uint64_t op_xor(const uint8_t *pc, uint64_t acc, uint64_t steps) {
  acc ^= acc >> 13;
  NEXT(pc + 1, acc, steps + 1);
}
static uint64_t op_end(const uint8_t *pc, uint64_t acc, uint64_t steps) {
  (void)pc;
  if (steps >= 20000000) return acc ^ steps;
  NEXT(prog, acc, steps + 1);
}

int main(void) {
  printf("even(10000001) = %d\n", is_even(10000001));
  printf("even(30000000) = %d\n", is_even(30000000));
  printf("threaded = %llu\n", (unsigned long long)ops[prog[0]](prog, 1, 0));
  return 0;
}
