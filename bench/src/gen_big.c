/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gen_big.c - writes a large C program for the load benchmark: `gen_big N`
 * prints N functions of varied shape (loops, switches, integer and float
 * arithmetic, memory traffic, calls to earlier functions, an indirect-call
 * table) to stdout.  Compiled to wasm32 it gives a multi-megabyte module of
 * compiler-generated code, closer to real guests than random modules.
 */
#include <stdio.h>
#include <stdlib.h>

static unsigned long long state = 0x9E3779B97F4A7C15ull;

static unsigned rnd(unsigned n) {
  state ^= state << 13, state ^= state >> 7, state ^= state << 17;
  return (unsigned)(state % n);
}

int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 6000;
  if (n < 1) n = 1;
  printf("typedef unsigned int u32;\ntypedef unsigned long long u64;\n");
  printf("static u32 mem[4096];\nstatic double fmem[512];\n");
  for (int f = 0; f < n; f++) {
    printf("__attribute__((noinline)) u32 f%d(u32 a, u32 b) {\n  u32 x = a ^ %uu, y = b + %uu;\n  double d = "
           "(double)a;\n",
           f, rnd(1u << 30), rnd(1000));
    int parts = 3 + (int)rnd(6);
    for (int p = 0; p < parts; p++) {
      switch (rnd(6)) {
      case 0:
        printf("  for (u32 i = 0; i < (a & %u); i++) { x = x * %uu + mem[(i + y) & 4095]; y ^= x >> %u; }\n",
               1 + rnd(63), 3 + 2 * rnd(1000), 1 + rnd(30));
        break;
      case 1:
        printf("  switch ((x + y) & 7) {\n");
        for (int c = 0; c < 8; c++)
          printf("  case %d: x += %uu; y = (y << %u) | (y >> %u); break;\n", c, rnd(100000), 1 + rnd(15),
                 17 + rnd(14));
        printf("  }\n");
        break;
      case 2:
        printf("  d = d * %u.5 + (double)y / (1.0 + (double)(x & 255)); fmem[x & 511] += d;\n  x += "
               "(u32)(long long)d;\n",
               rnd(50));
        break;
      case 3:
        if (f > 0) {
          printf("  x ^= f%u(x, y + %uu);\n", rnd((unsigned)f), rnd(77));
          break;
        }
        /* fall through */
      case 4:
        printf("  mem[(x ^ %uu) & 4095] = y; if (x > y) { y = x - y; } else { x = y - x + %uu; }\n",
               rnd(4096), rnd(999));
        break;
      default:
        printf("  while (y > %uu) { y = (y >> 1) ^ (x & %uu); x += y; }\n", 1 + rnd(1000), rnd(1u << 20));
        break;
      }
    }
    printf("  return x ^ y ^ (u32)(long long)fmem[(x + y) & 511];\n}\n");
  }
  printf("typedef u32 (*fn)(u32, u32);\nstatic const fn table[] = {");
  for (int f = 0; f < n; f++)
    printf("%sf%d", f ? ", " : "", f);
  printf("};\n__attribute__((export_name(\"run\"))) u32 run(u32 i, u32 a) { return table[i %% %d](a, i); }\n",
         n);
  return 0;
}
