/* SPDX-License-Identifier: Apache-2.0 */
/* extconst_main.c - the native build of extconst.c prints run() */
#include <stdio.h>

int run(void);

int main(void) {
  printf("%d\n", run());
  return 0;
}
