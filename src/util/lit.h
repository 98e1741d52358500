/* SPDX-License-Identifier: Apache-2.0 */
/*
 * lit.h - a string literal and its length, for functions that take (bytes,
 * length): LIT("abc") is `"abc", 3`, so no length is ever counted by hand.
 * Only literals compile ("" s "" rejects anything else).
 */
#ifndef WAPC_UTIL_LIT_H
#define WAPC_UTIL_LIT_H

#define LIT(s) ("" s ""), (sizeof("" s "") - 1)

#endif
