/* SPDX-License-Identifier: Apache-2.0 */
/* extconst_other.c - data of another translation unit for extconst.c */
int other[4] = {10, 20, 30, 40};
