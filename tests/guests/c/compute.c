/* SPDX-License-Identifier: Apache-2.0 */
/*
 * c_compute: CPU and memory work for the interpreter. "fib" answers fib(n) for a decimal n <= 35
 * (naive recursion, on purpose), "sha256" the hex SHA-256 of the payload, "alloc" n bytes (decimal n,
 * at most 64 MiB) of the repeating alphabet, and "sum" the decimal sum of the payload bytes.
 */
#include "guest.h"

static uint64_t fib(uint32_t n) {
  return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

static int do_fib(const uint8_t *p, size_t n) {
  uint64_t v;
  char buf[20];
  if (!guest_parse_u64(p, n, &v) || v > 35) return guest_fail("fib wants a decimal n <= 35");
  guest_respond(buf, guest_format_u64(fib((uint32_t)v), buf));
  return 1;
}

static const uint32_t K[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

static uint32_t rotr(uint32_t x, int n) {
  return (x >> n) | (x << (32 - n));
}

static void sha256_block(uint32_t h[8], const uint8_t *b) {
  uint32_t w[64];
  for (int i = 0; i < 16; i++)
    w[i] =
        (uint32_t)b[4 * i] << 24 | (uint32_t)b[4 * i + 1] << 16 | (uint32_t)b[4 * i + 2] << 8 | b[4 * i + 3];
  for (int i = 16; i < 64; i++) {
    uint32_t s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >> 3);
    uint32_t s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >> 10);
    w[i] = w[i - 16] + s0 + w[i - 7] + s1;
  }
  uint32_t a = h[0], bb = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7];
  for (int i = 0; i < 64; i++) {
    uint32_t t1 = hh + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + K[i] + w[i];
    uint32_t t2 = (rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & bb) ^ (a & c) ^ (bb & c));
    hh = g;
    g = f;
    f = e;
    e = d + t1;
    d = c;
    c = bb;
    bb = a;
    a = t1 + t2;
  }
  h[0] += a;
  h[1] += bb;
  h[2] += c;
  h[3] += d;
  h[4] += e;
  h[5] += f;
  h[6] += g;
  h[7] += hh;
}

static int do_sha256(const uint8_t *p, size_t n) {
  uint32_t h[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                   0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
  size_t i = 0;
  for (; i + 64 <= n; i += 64)
    sha256_block(h, p + i);
  uint8_t tail[128];
  size_t rest = n - i;
  memset(tail, 0, sizeof tail);
  memcpy(tail, p + i, rest);
  tail[rest] = 0x80;
  size_t tail_len = rest + 9 <= 64 ? 64 : 128;
  uint64_t bits = (uint64_t)n * 8;
  for (int k = 0; k < 8; k++)
    tail[tail_len - 1 - k] = (uint8_t)(bits >> (8 * k));
  sha256_block(h, tail);
  if (tail_len == 128) sha256_block(h, tail + 64);
  static const char hex[] = "0123456789abcdef";
  char out[64];
  for (int k = 0; k < 32; k++) {
    uint8_t byte = (uint8_t)(h[k / 4] >> (24 - 8 * (k % 4)));
    out[2 * k] = hex[byte >> 4];
    out[2 * k + 1] = hex[byte & 15];
  }
  guest_respond(out, sizeof out);
  return 1;
}

static int do_alloc(const uint8_t *p, size_t n) {
  uint64_t v;
  if (!guest_parse_u64(p, n, &v) || v > 64u << 20) return guest_fail("alloc wants a decimal n <= 67108864");
  uint8_t *out = guest_alloc((size_t)v);
  for (size_t i = 0; i < v; i++)
    out[i] = (uint8_t)('a' + i % 26);
  guest_respond(out, (size_t)v);
  return 1;
}

static int do_sum(const uint8_t *p, size_t n) {
  uint64_t s = 0;
  char buf[20];
  for (size_t i = 0; i < n; i++)
    s += p[i];
  guest_respond(buf, guest_format_u64(s, buf));
  return 1;
}

void guest_init(void) {
  guest_register("fib", do_fib);
  guest_register("sha256", do_sha256);
  guest_register("alloc", do_alloc);
  guest_register("sum", do_sum);
}
