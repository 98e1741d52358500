/* SPDX-License-Identifier: Apache-2.0 */
/*
 * heavy_init: a waPC guest shaped like a TinyGo program, for the
 * pre-initialisation benchmark.  It is a WASI command (wasi-libc's crt1):
 * its exported `_start` runs main(), which builds its data the way a Go
 * program's runtime start-up and package initialisers do (a 4 MiB table
 * computed element by element, then 60,000 small heap objects in a hash
 * map: about 6 MB of linear memory) and only then registers its handlers.
 * Every call before that fails with "not initialised".
 *
 * Operations: "get" answers the value stored under the decimal key in the
 * payload (a check that the data is there); "echo" answers the payload;
 * "trap" traps (a reset follows).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define WAPC_IMPORT(name) __attribute__((import_module("wapc"), import_name(#name)))
WAPC_IMPORT(__guest_request) void guest_request(uint8_t *op, uint8_t *payload);
WAPC_IMPORT(__guest_response) void guest_response(const void *p, size_t len);
WAPC_IMPORT(__guest_error) void guest_error(const void *p, size_t len);

#define TABLE_SIZE (1u << 20) /* 4 MiB of uint32_t */
#define NKEYS 60000u
#define NBUCKETS 65536u

typedef struct entry {
  struct entry *next;
  uint32_t key;
  uint32_t value;
  char name[16];
} entry;

static uint32_t *table;
static entry *buckets[NBUCKETS];
static int initialised;

static uint32_t mix(uint32_t x) {
  x ^= x >> 16;
  x *= 0x7feb352du;
  x ^= x >> 15;
  x *= 0x846ca68bu;
  x ^= x >> 16;
  return x;
}

static void put(uint32_t key, uint32_t value) {
  entry *e = malloc(sizeof *e);
  if (!e) __builtin_trap();
  e->key = key;
  e->value = value;
  uint32_t b = mix(key) % NBUCKETS;
  /* a name, as a Go map of strings would hold: the key in decimal */
  char digits[12];
  int d = 0, n = 0;
  do {
    digits[d++] = (char)('0' + key % 10);
    key /= 10;
  } while (key);
  while (d)
    e->name[n++] = digits[--d];
  e->name[n] = 0;
  e->next = buckets[b];
  buckets[b] = e;
}

static const entry *get(uint32_t key) {
  for (const entry *e = buckets[mix(key) % NBUCKETS]; e; e = e->next)
    if (e->key == key) return e;
  return NULL;
}

int main(void) {
  table = malloc(TABLE_SIZE * sizeof *table);
  if (!table) return 1;
  uint32_t acc = 1;
  for (uint32_t i = 0; i < TABLE_SIZE; i++) {
    acc = mix(acc + i);
    table[i] = acc;
  }
  for (uint32_t k = 0; k < NKEYS; k++)
    put(k, table[mix(k) % TABLE_SIZE]);
  initialised = 1;
  return 0;
}

static int fail(const char *msg) {
  guest_error(msg, strlen(msg));
  return 0;
}

__attribute__((export_name("__guest_call"))) int guest_call(size_t op_len, size_t msg_len) {
  static uint8_t op[64];
  uint8_t *payload = malloc(msg_len + 1);
  if (!payload || op_len >= sizeof op) return fail("request too large");
  guest_request(op, payload);
  op[op_len] = 0;
  int ok = 1;
  if (!initialised) {
    ok = fail("not initialised");
  } else if (strcmp((char *)op, "echo") == 0) {
    guest_response(payload, msg_len);
  } else if (strcmp((char *)op, "get") == 0) {
    uint32_t key = 0;
    for (size_t i = 0; i < msg_len; i++)
      key = key * 10 + (uint32_t)(payload[i] - '0');
    const entry *e = get(key);
    if (e) {
      char out[40];
      size_t n = strlen(e->name);
      memcpy(out, e->name, n);
      out[n++] = '=';
      uint32_t v = e->value;
      char digits[12];
      int d = 0;
      do {
        digits[d++] = (char)('0' + v % 10);
        v /= 10;
      } while (v);
      while (d)
        out[n++] = digits[--d];
      guest_response(out, n);
    } else {
      ok = fail("no such key");
    }
  } else if (strcmp((char *)op, "trap") == 0) {
    __builtin_trap();
  } else {
    ok = fail("unknown operation");
  }
  free(payload);
  return ok;
}
