/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bytevm: a small stack-based bytecode interpreter (switch dispatch) running a
 * program that sums i*i mod 7 plus a collatz-style branch over a counter, n
 * iterations; the kind of dispatch loop that guest scripting engines run.
 */
#include "kernel.h"

enum { PUSH, LOAD, STORE, ADD, SUB, MUL, MOD, DUP, JZ, JMP, LT, AND, SHR, HALT };

/* locals: 0 = i, 1 = acc, 2 = limit */
static const int32_t program[] = {
    /* 0 */ LOAD,  0, LOAD, 2,   LT,   JZ,    42,
    /* 7 */ LOAD,  0, DUP,  MUL, PUSH, 7,     MOD, LOAD, 1, ADD, STORE, 1,
    /* 19 */ LOAD, 0, PUSH, 1,   AND,  JZ,    33,
    /* 26 */ LOAD, 1, PUSH, 3,   ADD,  STORE, 1,
    /* 33 */ LOAD, 0, PUSH, 1,   ADD,  STORE, 0,   JMP,  0,
    /* 42 */ LOAD, 1, HALT};

static int32_t run_vm(const int32_t *code, int32_t limit) {
  int32_t stack[64], locals[4] = {0, 0, limit, 0};
  int sp = 0, pc = 0;
  for (;;) {
    int32_t op = code[pc++];
    switch (op) {
    case PUSH: stack[sp++] = code[pc++]; break;
    case LOAD: stack[sp++] = locals[code[pc++]]; break;
    case STORE: locals[code[pc++]] = stack[--sp]; break;
    case ADD: sp--, stack[sp - 1] = (int32_t)((uint32_t)stack[sp - 1] + (uint32_t)stack[sp]); break;
    case SUB: sp--, stack[sp - 1] = (int32_t)((uint32_t)stack[sp - 1] - (uint32_t)stack[sp]); break;
    case MUL: sp--, stack[sp - 1] = (int32_t)((uint32_t)stack[sp - 1] * (uint32_t)stack[sp]); break;
    case MOD:
      sp--, stack[sp - 1] = stack[sp] ? (int32_t)((uint32_t)stack[sp - 1] % (uint32_t)stack[sp]) : 0;
      break;
    case DUP: stack[sp] = stack[sp - 1], sp++; break;
    case JZ: {
      int32_t t = code[pc++];
      if (stack[--sp] == 0) pc = t;
      break;
    }
    case JMP: pc = code[pc]; break;
    case LT: sp--, stack[sp - 1] = stack[sp - 1] < stack[sp]; break;
    case AND: sp--, stack[sp - 1] &= stack[sp]; break;
    case SHR: sp--, stack[sp - 1] = (int32_t)((uint32_t)stack[sp - 1] >> (stack[sp] & 31)); break;
    case HALT: return stack[sp - 1];
    default: return -1;
    }
  }
}

uint32_t bench_default_n(void) {
  return 6000000;
}

uint32_t bench_kernel(uint32_t n) {
  return (uint32_t)run_vm(program, (int32_t)n);
}
