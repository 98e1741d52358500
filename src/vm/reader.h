/* SPDX-License-Identifier: Apache-2.0 */
/*
 * reader.h - a bounds-checked reader over module bytes: LEB128 integers, raw
 * floats, byte vectors and UTF-8 names, used by the decoder for sections and
 * by the compiler for function bodies.
 *
 * A reader covers one region [pos, end) of the module (a section, a function
 * body) and also knows where the module ends (`limit`).  Every read checks the
 * bytes it needs; on failure it returns false and records the first error
 * (`error`, worded like the spec tests, and where it happened).  Later reads
 * after a failure keep failing, so callers may check only at convenient points.
 *
 * Running off a region's end is reported the way the reference interpreter
 * reports it: at the end of the module "unexpected end of section or
 * function"; before it, "section size mismatch" (the declared size was too
 * small for the content).  A length or count larger than what is left of the
 * module is "length out of bounds".  Spec runners compare messages by prefix,
 * so "unexpected end of ..." also satisfies an expected "unexpected end".
 */
#ifndef WAPC_VM_READER_H
#define WAPC_VM_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef struct vm_reader {
  const uint8_t *base;  /* start of the module: error offsets count from here */
  const uint8_t *pos;   /* next byte */
  const uint8_t *end;   /* end of this region */
  const uint8_t *limit; /* end of the module (end <= limit) */
  const char *error;    /* first failure's message, NULL while none */
  const uint8_t *error_at;
} vm_reader;

#define VM_MSG_UNEXPECTED_END "unexpected end of section or function"
#define VM_MSG_SIZE_MISMATCH "section size mismatch"
#define VM_MSG_LENGTH_OOB "length out of bounds"
#define VM_MSG_TOO_LONG "integer representation too long"
#define VM_MSG_TOO_LARGE "integer too large"
#define VM_MSG_UTF8 "malformed UTF-8 encoding"

/* A reader over the whole module [base, base+len). */
static inline void vm_reader_init(vm_reader *r, const uint8_t *base, size_t len) {
  r->base = base;
  r->pos = base;
  r->end = base + len;
  r->limit = base + len;
  r->error = NULL;
  r->error_at = NULL;
}

/* A reader over [offset, offset+len) of a module of `module_len` bytes (e.g. a
 * function body: m->bytes, m->len, body_offset, body_len).  The region must
 * lie inside the module. */
static inline void vm_reader_init_region(vm_reader *r, const uint8_t *base, size_t module_len, size_t offset,
                                         size_t len) {
  vm_reader_init(r, base, module_len);
  r->pos = base + offset;
  r->end = base + offset + len;
}

/* Record a failure at `at` (the first one wins); always returns false. */
static inline bool vm_reader_fail(vm_reader *r, const uint8_t *at, const char *msg) {
  if (!r->error) {
    r->error = msg;
    r->error_at = at;
  }
  r->pos = r->end; /* nothing more can be read */
  return false;
}

static inline size_t vm_reader_left(const vm_reader *r) {
  return (size_t)(r->end - r->pos);
}
static inline bool vm_reader_eof(const vm_reader *r) {
  return r->pos >= r->end;
}
/* Offset of the current position, or of the recorded error, in the module. */
static inline int64_t vm_reader_offset(const vm_reader *r) {
  return (int64_t)(r->pos - r->base);
}
static inline int64_t vm_reader_error_offset(const vm_reader *r) {
  return r->error_at ? (int64_t)(r->error_at - r->base) : -1;
}

/* The message for running off the end of this region. */
static inline const char *vm_reader_end_msg(const vm_reader *r) {
  return r->end < r->limit ? VM_MSG_SIZE_MISMATCH : VM_MSG_UNEXPECTED_END;
}

/* True when `n` more bytes are available; otherwise records the error. */
static inline bool vm_reader_need(vm_reader *r, size_t n) {
  if (r->error) return false;
  if ((size_t)(r->end - r->pos) < n) return vm_reader_fail(r, r->end, vm_reader_end_msg(r));
  return true;
}

static inline bool vm_read_u8(vm_reader *r, uint8_t *out) {
  if (!vm_reader_need(r, 1)) return false;
  *out = *r->pos++;
  return true;
}

/* Look at the next byte without consuming it (false at the end, without error). */
static inline bool vm_peek_u8(const vm_reader *r, uint8_t *out) {
  if (r->error || r->pos >= r->end) return false;
  *out = *r->pos;
  return true;
}

/* Unsigned LEB128 of at most `bits` bits (1..64), with the spec's checks: no
 * more bytes than ceil(bits/7), unused bits of the last byte zero. */
static inline bool vm_read_uleb(vm_reader *r, unsigned bits, uint64_t *out) {
  uint64_t v = 0;
  unsigned shift = 0;
  for (;;) {
    if (shift >= bits) return vm_reader_fail(r, r->pos, VM_MSG_TOO_LONG);
    uint8_t b;
    if (!vm_read_u8(r, &b)) return false;
    unsigned n = bits - shift;
    if (n < 7 && (unsigned)(b & 0x7f) >= (1u << n)) return vm_reader_fail(r, r->pos - 1, VM_MSG_TOO_LARGE);
    v |= (uint64_t)(b & 0x7f) << shift;
    shift += 7;
    if (!(b & 0x80)) break;
  }
  *out = v;
  return true;
}

/* Signed LEB128 of at most `bits` bits: the unused bits of the last byte must
 * all equal the sign bit. */
static inline bool vm_read_sleb(vm_reader *r, unsigned bits, int64_t *out) {
  uint64_t v = 0;
  unsigned shift = 0;
  for (;;) {
    if (shift >= bits) return vm_reader_fail(r, r->pos, VM_MSG_TOO_LONG);
    uint8_t b;
    if (!vm_read_u8(r, &b)) return false;
    unsigned n = bits - shift;
    if (n < 7) {
      unsigned mask = (0xffu << (n - 1)) & 0x7fu;
      if ((b & mask) != 0 && (b & mask) != mask) return vm_reader_fail(r, r->pos - 1, VM_MSG_TOO_LARGE);
    }
    v |= (uint64_t)(b & 0x7f) << shift;
    shift += 7;
    if (!(b & 0x80)) {
      if (shift < 64 && (b & 0x40)) v |= ~(uint64_t)0 << shift;
      break;
    }
  }
  memcpy(out, &v, sizeof v); /* two's complement reinterpretation */
  return true;
}

static inline bool vm_read_u32(vm_reader *r, uint32_t *out) {
  uint64_t v;
  if (!vm_read_uleb(r, 32, &v)) return false;
  *out = (uint32_t)v;
  return true;
}

static inline bool vm_read_s32(vm_reader *r, int32_t *out) {
  int64_t v;
  if (!vm_read_sleb(r, 32, &v)) return false;
  *out = (int32_t)v;
  return true;
}

/* Block types are signed 33-bit (a type index, or a negative value type). */
static inline bool vm_read_s33(vm_reader *r, int64_t *out) {
  return vm_read_sleb(r, 33, out);
}

static inline bool vm_read_s64(vm_reader *r, int64_t *out) {
  return vm_read_sleb(r, 64, out);
}

/* Raw little-endian float bits. */
static inline bool vm_read_f32(vm_reader *r, uint32_t *bits) {
  if (!vm_reader_need(r, 4)) return false;
  const uint8_t *p = r->pos;
  *bits = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
  r->pos += 4;
  return true;
}

static inline bool vm_read_f64(vm_reader *r, uint64_t *bits) {
  if (!vm_reader_need(r, 8)) return false;
  uint64_t v = 0;
  for (int i = 7; i >= 0; i--)
    v = v << 8 | r->pos[i];
  *bits = v;
  r->pos += 8;
  return true;
}

/* Take the next `n` bytes. */
static inline bool vm_read_bytes(vm_reader *r, size_t n, const uint8_t **out) {
  if (!vm_reader_need(r, n)) return false;
  *out = r->pos;
  r->pos += n;
  return true;
}

/*
 * A length or element count (u32).  More than what is left of the module is
 * "length out of bounds"; a count that only overruns this region fails later,
 * when the reads run off its end.  Every vector element takes at least one
 * byte, so a count that passes bounds what the caller may allocate by the
 * size of the input.
 */
static inline bool vm_read_len(vm_reader *r, uint32_t *out) {
  const uint8_t *at = r->pos;
  uint32_t n;
  if (!vm_read_u32(r, &n)) return false;
  /* Like the reference, measured from the start of the length itself. */
  if ((uint64_t)n > (uint64_t)(r->limit - at)) return vm_reader_fail(r, at, VM_MSG_LENGTH_OOB);
  *out = n;
  return true;
}

/* A byte vector: length, then the bytes. */
static inline bool vm_read_bytevec(vm_reader *r, const uint8_t **p, uint32_t *n) {
  return vm_read_len(r, n) && vm_read_bytes(r, *n, p);
}

/* Well-formed UTF-8 as the spec defines it (no overlong forms, no
 * surrogates, nothing above U+10FFFF). */
static inline bool vm_utf8_valid(const uint8_t *s, size_t n) {
  size_t i = 0;
  while (i < n) {
    uint8_t c = s[i];
    size_t k;
    uint8_t lo = 0x80, hi = 0xBF; /* allowed range of the second byte */
    if (c < 0x80) {
      i++;
      continue;
    } else if (c >= 0xC2 && c <= 0xDF) {
      k = 1;
    } else if (c >= 0xE0 && c <= 0xEF) {
      k = 2;
      if (c == 0xE0) lo = 0xA0;
      if (c == 0xED) hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      k = 3;
      if (c == 0xF0) lo = 0x90;
      if (c == 0xF4) hi = 0x8F;
    } else {
      return false;
    }
    if (n - i <= k) return false;
    if (s[i + 1] < lo || s[i + 1] > hi) return false;
    for (size_t j = 2; j <= k; j++)
      if ((s[i + j] & 0xC0) != 0x80) return false;
    i += k + 1;
  }
  return true;
}

/* A name: a byte vector holding valid UTF-8. */
static inline bool vm_read_name(vm_reader *r, const uint8_t **p, uint32_t *n) {
  const uint8_t *at = r->pos;
  if (!vm_read_bytevec(r, p, n)) return false;
  if (!vm_utf8_valid(*p, *n)) return vm_reader_fail(r, at, VM_MSG_UTF8);
  return true;
}

/*
 * A size-prefixed region (a section's contents, a function body): reads the
 * u32 size and sets `sub` to the next `size` bytes, which the caller then
 * skips with vm_reader_skip_to(r, sub->end) when done.
 */
static inline bool vm_read_sized(vm_reader *r, vm_reader *sub) {
  uint32_t size;
  if (!vm_read_len(r, &size)) return false;
  if ((uint64_t)size > (uint64_t)(r->end - r->pos)) return vm_reader_fail(r, r->end, vm_reader_end_msg(r));
  *sub = *r;
  sub->end = r->pos + size;
  return true;
}

/* A reader over [start, start+len) of the same module (e.g. a recorded
 * function body), which must lie inside the module. */
static inline void vm_reader_sub(vm_reader *sub, const vm_reader *parent, const uint8_t *start, size_t len) {
  *sub = *parent;
  sub->error = NULL;
  sub->error_at = NULL;
  sub->pos = start;
  sub->end = start + len;
}

#endif
