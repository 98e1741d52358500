/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_decode.c - unit tests of the binary decoder and module-level
 * validator (src/vm/decode.c, reader.h, module.c): decoded structure of
 * hand-written modules, every truncated prefix and every single-byte mutation
 * of them (a clear error, never a crash), and specific malformed and invalid
 * modules with the spec's exact messages.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vm/module.h"
#include "vm/reader.h"
#include "test.h"

/*
 * full.wasm is this module (wat2wasm 1.0.32 --debug-names, so it also has a
 * "name" custom section):
 *
 * (module
 *   (type $v (func))
 *   (type $ii (func (param i32) (result i32)))
 *   (import "env" "f" (func $f (type $ii)))
 *   (import "env" "t" (table 1 funcref))
 *   (import "env" "m" (memory 1 2))
 *   (import "env" "g" (global $g i32))
 *   (func $a (type $v) (data.drop $d))
 *   (func $b (type $ii) (local.get 0))
 *   (table $t2 2 10 externref)
 *   (table $t3 3 funcref)
 *   (global $h (mut i64) (i64.const -5))
 *   (global $k i32 (global.get $g))
 *   (global $r funcref (ref.func $a))
 *   (global $fl f64 (f64.const 1.5))
 *   (export "a" (func $a))
 *   (export "mem" (memory 0))
 *   (export "h" (global $h))
 *   (export "t" (table 0))
 *   (start $a)
 *   (elem (i32.const 0) $b)                                  ;; encoding 0
 *   (elem func $a)                                           ;; 1
 *   (elem (table $t3) (i32.const 1) func $a $b)              ;; 2
 *   (elem declare func $f)                                   ;; 3
 *   (elem (i32.const 0) funcref (ref.null func))             ;; 4
 *   (elem funcref (ref.func $a) (ref.null func))             ;; 5
 *   (elem (table $t2) (i32.const 0) externref (ref.null extern)) ;; 6
 *   (elem declare funcref (ref.func $b))                     ;; 3 again (wabt)
 *   (data (i32.const 8) "hi")
 *   (data $d "passive"))
 *
 * min.wasm:
 * (module (func (export "x") (result i32) (i32.const 7)) (memory 1)
 *   (data (i32.const 0) "abc"))
 */
/* full.wasm: wat2wasm --debug-names of the module in the comment above. */
static const unsigned char full_wasm[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x09, 0x02, 0x60, 0x00, 0x00, 0x60, 0x01, 0x7f,
    0x01, 0x7f, 0x02, 0x26, 0x04, 0x03, 0x65, 0x6e, 0x76, 0x01, 0x66, 0x00, 0x01, 0x03, 0x65, 0x6e, 0x76,
    0x01, 0x74, 0x01, 0x70, 0x00, 0x01, 0x03, 0x65, 0x6e, 0x76, 0x01, 0x6d, 0x02, 0x01, 0x01, 0x02, 0x03,
    0x65, 0x6e, 0x76, 0x01, 0x67, 0x03, 0x7f, 0x00, 0x03, 0x03, 0x02, 0x00, 0x01, 0x04, 0x08, 0x02, 0x6f,
    0x01, 0x02, 0x0a, 0x70, 0x00, 0x03, 0x06, 0x1c, 0x04, 0x7e, 0x01, 0x42, 0x7b, 0x0b, 0x7f, 0x00, 0x23,
    0x00, 0x0b, 0x70, 0x00, 0xd2, 0x01, 0x0b, 0x7c, 0x00, 0x44, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xf8,
    0x3f, 0x0b, 0x07, 0x13, 0x04, 0x01, 0x61, 0x00, 0x01, 0x03, 0x6d, 0x65, 0x6d, 0x02, 0x00, 0x01, 0x68,
    0x03, 0x01, 0x01, 0x74, 0x01, 0x00, 0x08, 0x01, 0x01, 0x09, 0x37, 0x08, 0x00, 0x41, 0x00, 0x0b, 0x01,
    0x02, 0x01, 0x00, 0x01, 0x01, 0x02, 0x02, 0x41, 0x01, 0x0b, 0x00, 0x02, 0x01, 0x02, 0x03, 0x00, 0x01,
    0x00, 0x04, 0x41, 0x00, 0x0b, 0x01, 0xd0, 0x70, 0x0b, 0x05, 0x70, 0x02, 0xd2, 0x01, 0x0b, 0xd0, 0x70,
    0x0b, 0x06, 0x01, 0x41, 0x00, 0x0b, 0x6f, 0x01, 0xd0, 0x6f, 0x0b, 0x03, 0x00, 0x01, 0x02, 0x0c, 0x01,
    0x02, 0x0a, 0x0c, 0x02, 0x05, 0x00, 0xfc, 0x09, 0x01, 0x0b, 0x04, 0x00, 0x20, 0x00, 0x0b, 0x0b, 0x11,
    0x02, 0x00, 0x41, 0x08, 0x0b, 0x02, 0x68, 0x69, 0x01, 0x07, 0x70, 0x61, 0x73, 0x73, 0x69, 0x76, 0x65,
    0x00, 0x48, 0x04, 0x6e, 0x61, 0x6d, 0x65, 0x01, 0x0a, 0x03, 0x00, 0x01, 0x66, 0x01, 0x01, 0x61, 0x02,
    0x01, 0x62, 0x02, 0x07, 0x03, 0x00, 0x00, 0x01, 0x00, 0x02, 0x00, 0x04, 0x08, 0x02, 0x00, 0x01, 0x76,
    0x01, 0x02, 0x69, 0x69, 0x05, 0x09, 0x02, 0x01, 0x02, 0x74, 0x32, 0x02, 0x02, 0x74, 0x33, 0x07, 0x11,
    0x05, 0x00, 0x01, 0x67, 0x01, 0x01, 0x68, 0x02, 0x01, 0x6b, 0x03, 0x01, 0x72, 0x04, 0x02, 0x66, 0x6c,
    0x09, 0x04, 0x01, 0x01, 0x01, 0x64};

/* min.wasm */
static const unsigned char min_wasm[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7f, 0x03, 0x02,
    0x01, 0x00, 0x05, 0x03, 0x01, 0x00, 0x01, 0x07, 0x05, 0x01, 0x01, 0x78, 0x00, 0x00, 0x0a, 0x06, 0x01,
    0x04, 0x00, 0x41, 0x07, 0x0b, 0x0b, 0x09, 0x01, 0x00, 0x41, 0x00, 0x0b, 0x03, 0x61, 0x62, 0x63};

/* Element encoding 7 (declarative, expressions), which wabt never emits. */
static const unsigned char elem7_wasm[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,       /* header */
    0x01, 0x04, 0x01, 0x60, 0x00, 0x00,                   /* type () -> () */
    0x03, 0x02, 0x01, 0x00,                               /* func 0 : type 0 */
    0x04, 0x04, 0x01, 0x70, 0x00, 0x01,                   /* table 1 funcref */
    0x09, 0x07, 0x01, 0x07, 0x70, 0x01, 0xd2, 0x00, 0x0b, /* elem declare funcref (ref.func 0) */
    0x0a, 0x04, 0x01, 0x02, 0x00, 0x0b,                   /* code: empty body */
};

/* ---- helpers ------------------------------------------------------------ */

static vm_module *load(const unsigned char *b, size_t n, vm_error *e) {
  return vm_module_load(b, n, NULL, e);
}
/* The same with exactly Wasm 2.0 accepted (the cases below were written against 2.0). */
static vm_module *load_wasm2(const unsigned char *b, size_t n, vm_error *e) {
  vm_config cfg;
  vm_config_default(&cfg);
  cfg.features = VM_FEATURES_WASM2;
  return vm_module_load(b, n, &cfg, e);
}

static bool name_is(const char *p, uint32_t n, const char *want) {
  return n == strlen(want) && memcmp(p, want, n) == 0;
}

/* Parse hex digits (spaces ignored) into buf; returns the length. */
static size_t unhex(const char *hex, unsigned char *buf, size_t cap) {
  size_t n = 0;
  int hi = -1;
  for (const char *p = hex; *p; p++) {
    int v;
    if (*p >= '0' && *p <= '9')
      v = *p - '0';
    else if (*p >= 'a' && *p <= 'f')
      v = *p - 'a' + 10;
    else if (*p >= 'A' && *p <= 'F')
      v = *p - 'A' + 10;
    else
      continue;
    if (hi < 0) {
      hi = v;
    } else {
      CHECK(n < cap);
      buf[n++] = (unsigned char)(hi << 4 | v);
      hi = -1;
    }
  }
  CHECK_INT(hi, -1);
  return n;
}

/* Offsets where a section ends (a prefix ending there may be a valid module). */
static bool at_section_boundary(const unsigned char *b, size_t len, size_t cut) {
  if (cut == 8) return true;
  vm_reader r;
  vm_reader_init(&r, b, len);
  r.pos += 8;
  while (!vm_reader_eof(&r)) {
    uint8_t id;
    uint32_t size;
    if (!vm_read_u8(&r, &id) || !vm_read_u32(&r, &size) || size > vm_reader_left(&r)) return false;
    r.pos += size;
    if ((size_t)(r.pos - b) == cut) return true;
  }
  return false;
}

/* ---- decoded structure -------------------------------------------------- */

TEST_IMPL(full_module) {
  vm_error e;
  vm_module *m = load(full_wasm, sizeof full_wasm, &e);
  if (!m) FAIL_AND_RETURN("load failed: %s", e.message);

  CHECK_INT(m->ntypes, 2);
  CHECK_INT(m->types[0].nparams, 0);
  CHECK_INT(m->types[0].nresults, 0);
  CHECK_INT(m->types[1].nparams, 1);
  CHECK_INT(m->types[1].nresults, 1);
  CHECK_INT(m->types[1].types[0], VM_I32);
  CHECK_INT(m->types[1].types[1], VM_I32);
  CHECK(vm_functype_equal(&m->types[1], &m->types[1]));
  CHECK(!(vm_functype_equal(&m->types[0], &m->types[1])));

  /* imports */
  CHECK_INT(vm_module_num_imports(m), 4);
  vm_import_desc im;
  vm_module_import(m, 0, &im);
  CHECK(name_is(im.module, im.module_len, "env"));
  CHECK(name_is(im.name, im.name_len, "f"));
  CHECK_INT(im.kind, VM_EXTERN_FUNC);
  CHECK(im.type.func == &m->types[1]);
  vm_module_import(m, 1, &im);
  CHECK_INT(im.kind, VM_EXTERN_TABLE);
  CHECK_INT(im.type.table.elemtype, VM_FUNCREF);
  CHECK_INT(im.type.table.limits.min, 1);
  CHECK(!(im.type.table.limits.has_max));
  vm_module_import(m, 2, &im);
  CHECK_INT(im.kind, VM_EXTERN_MEMORY);
  CHECK_INT(im.type.memory.min, 1);
  CHECK(im.type.memory.has_max);
  CHECK_INT(im.type.memory.max, 2);
  vm_module_import(m, 3, &im);
  CHECK_INT(im.kind, VM_EXTERN_GLOBAL);
  CHECK_INT(im.type.global.type, VM_I32);
  CHECK(!(im.type.global.mutable_));

  /* index spaces: imports first */
  CHECK_INT(m->nfuncs, 3);
  CHECK_INT(m->nimported_funcs, 1);
  CHECK_INT(m->func_types[0], 1);
  CHECK_INT(m->func_types[1], 0);
  CHECK_INT(m->func_types[2], 1);
  CHECK_INT(m->ntables, 3);
  CHECK_INT(m->nimported_tables, 1);
  CHECK_INT(m->tables[1].elemtype, VM_EXTERNREF);
  CHECK_INT(m->tables[1].limits.min, 2);
  CHECK_INT(m->tables[1].limits.max, 10);
  CHECK_INT(m->tables[2].elemtype, VM_FUNCREF);
  CHECK_INT(m->tables[2].limits.min, 3);
  CHECK_INT(m->nmemories, 1);
  CHECK_INT(m->nimported_memories, 1);
  CHECK_INT(m->nglobals, 5);
  CHECK_INT(m->nimported_globals, 1);
  CHECK_INT(m->global_types[0].type, VM_I32);
  CHECK_INT(m->global_types[1].type, VM_I64);
  CHECK(m->global_types[1].mutable_);
  CHECK_INT(m->globals[0].init.kind, VM_CONST_I64);
  CHECK_INT((int64_t)m->globals[0].init.value, -5);
  CHECK_INT(m->globals[1].init.kind, VM_CONST_GLOBAL_GET);
  CHECK_INT(m->globals[1].init.index, 0);
  CHECK_INT(m->globals[1].init.type, VM_I32);
  CHECK_INT(m->globals[2].init.kind, VM_CONST_REF_FUNC);
  CHECK_INT(m->globals[2].init.index, 1);
  CHECK_INT(m->globals[3].init.kind, VM_CONST_F64);
  CHECK_INT(m->globals[3].init.value, UINT64_C(0x3ff8000000000000));

  /* exports */
  CHECK_INT(vm_module_num_exports(m), 4);
  vm_export_desc ex;
  vm_module_export(m, 0, &ex);
  CHECK(name_is(ex.name, ex.name_len, "a"));
  CHECK_INT(ex.kind, VM_EXTERN_FUNC);
  CHECK_INT(ex.index, 1);
  vm_module_export(m, 1, &ex);
  CHECK(name_is(ex.name, ex.name_len, "mem"));
  CHECK_INT(ex.kind, VM_EXTERN_MEMORY);
  vm_module_export(m, 2, &ex);
  CHECK_INT(ex.kind, VM_EXTERN_GLOBAL);
  CHECK_INT(ex.index, 1);
  vm_module_export(m, 3, &ex);
  CHECK_INT(ex.kind, VM_EXTERN_TABLE);

  CHECK(m->has_start);
  CHECK_INT(m->start, 1);

  /* element segments, one per encoding */
  CHECK_INT(m->nelems, 8);
  const vm_elem *el = m->elems;
  CHECK_INT(el[0].mode, VM_SEG_ACTIVE);
  CHECK_INT(el[0].table, 0);
  CHECK_INT(el[0].offset.kind, VM_CONST_I32);
  CHECK_INT(el[0].count, 1);
  CHECK_INT(el[0].items[0].kind, VM_CONST_REF_FUNC);
  CHECK_INT(el[0].items[0].index, 2);
  CHECK_INT(el[1].mode, VM_SEG_PASSIVE);
  CHECK_INT(el[1].type, VM_FUNCREF);
  CHECK_INT(el[2].mode, VM_SEG_ACTIVE);
  CHECK_INT(el[2].table, 2);
  CHECK_INT(el[2].offset.value, 1);
  CHECK_INT(el[2].count, 2);
  CHECK_INT(el[3].mode, VM_SEG_DECLARATIVE);
  CHECK_INT(el[4].mode, VM_SEG_ACTIVE);
  CHECK_INT(el[4].items[0].kind, VM_CONST_REF_NULL);
  CHECK_INT(el[4].items[0].type, VM_FUNCREF);
  CHECK_INT(el[5].mode, VM_SEG_PASSIVE);
  CHECK_INT(el[5].count, 2);
  CHECK_INT(el[5].items[0].kind, VM_CONST_REF_FUNC);
  CHECK_INT(el[5].items[1].kind, VM_CONST_REF_NULL);
  CHECK_INT(el[6].mode, VM_SEG_ACTIVE);
  CHECK_INT(el[6].table, 1);
  CHECK_INT(el[6].type, VM_EXTERNREF);
  CHECK_INT(el[6].items[0].type, VM_EXTERNREF);
  CHECK_INT(el[7].mode, VM_SEG_DECLARATIVE);

  /* data */
  CHECK(m->has_data_count);
  CHECK_INT(m->data_count, 2);
  CHECK_INT(m->ndatas, 2);
  CHECK_INT(m->datas[0].mode, VM_SEG_ACTIVE);
  CHECK_INT(m->datas[0].memory, 0);
  CHECK_INT(m->datas[0].offset.value, 8);
  CHECK_INT(m->datas[0].len, 2);
  CHECK(memcmp(m->datas[0].bytes, "hi", 2) == 0);
  CHECK_INT(m->datas[1].mode, VM_SEG_PASSIVE);
  CHECK_INT(m->datas[1].len, 7);
  CHECK(memcmp(m->datas[1].bytes, "passive", 7) == 0);

  /* functions referenced outside bodies */
  CHECK_INT(m->func_declared[0], 1); /* elem declare */
  CHECK_INT(m->func_declared[1], 1); /* export, global init */
  CHECK_INT(m->func_declared[2], 1); /* elem */

  /* code bodies located */
  CHECK_INT(m->codes[0].body_len, 5); /* 00 fc 09 01 0b */
  CHECK_INT(full_wasm[m->codes[0].body_offset + 1], 0xfc);

  vm_module_info info;
  vm_module_get_info(m, &info);
  CHECK_INT(info.num_types, 2);
  CHECK_INT(info.num_funcs, 3);
  CHECK_INT(info.num_imported_funcs, 1);
  CHECK_INT(info.num_tables, 3);
  CHECK_INT(info.num_memories, 1);
  CHECK_INT(info.num_globals, 5);
  CHECK_INT(info.num_exports, 4);
  CHECK_INT(info.num_elems, 8);
  CHECK_INT(info.num_datas, 2);
  CHECK_INT(info.code_bytes, 5 + 4);
  vm_module_free(m);
}

TEST_IMPL(min_module) {
  vm_error e;
  vm_module *m = load(min_wasm, sizeof min_wasm, &e);
  if (!m) FAIL_AND_RETURN("load failed: %s", e.message);
  CHECK_INT(m->nfuncs, 1);
  CHECK_INT(m->nimports, 0);
  CHECK_INT(m->nmemories, 1);
  CHECK_INT(m->memories[0].min, 1);
  CHECK(!(m->memories[0].has_max));
  CHECK(!(m->has_data_count));
  CHECK_INT(m->ndatas, 1);
  CHECK(memcmp(m->datas[0].bytes, "abc", 3) == 0);
  CHECK_INT(m->func_declared[0], 1);
  vm_module_free(m);
}

TEST_IMPL(elem_encoding7) {
  vm_error e;
  vm_module *m = load(elem7_wasm, sizeof elem7_wasm, &e);
  if (!m) FAIL_AND_RETURN("load failed: %s", e.message);
  CHECK_INT(m->nelems, 1);
  CHECK_INT(m->elems[0].mode, VM_SEG_DECLARATIVE);
  CHECK_INT(m->elems[0].type, VM_FUNCREF);
  CHECK_INT(m->elems[0].items[0].kind, VM_CONST_REF_FUNC);
  CHECK_INT(m->func_declared[0], 1);
  vm_module_free(m);
}

TEST_IMPL(empty_module) {
  static const unsigned char b[] = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00};
  vm_error e;
  vm_module *m = load(b, sizeof b, &e);
  CHECK_OR_RETURN(m != NULL);
  CHECK_INT(m->nfuncs, 0);
  CHECK_INT(m->nexports, 0);
  vm_module_free(m);
  vm_module_free(NULL);
}

/* ---- hostile inputs ----------------------------------------------------- */

static void check_prefixes(const unsigned char *b, size_t len) {
  unsigned char *copy = malloc(len);
  CHECK_OR_RETURN(copy != NULL);
  for (size_t cut = 0; cut < len; cut++) {
    /* A fresh allocation of exactly `cut` bytes, so ASan sees any overread. */
    unsigned char *p = malloc(cut ? cut : 1);
    CHECK_OR_RETURN(p != NULL);
    memcpy(p, b, cut);
    vm_error e;
    vm_module *m = load(p, cut, &e);
    if (at_section_boundary(b, len, cut)) {
      if (!m) CHECK(e.message[0] != '\0');
    } else {
      if (m) FAIL_AND_RETURN("prefix of %zu bytes accepted", cut);
      if (e.result != VM_ERR_MALFORMED)
        FAIL_AND_RETURN("prefix %zu: result %d (%s)", cut, e.result, e.message);
      CHECK(e.message[0] != '\0');
    }
    vm_module_free(m);
    free(p);
  }
  free(copy);
}

TEST_IMPL(truncated_prefixes) {
  check_prefixes(full_wasm, sizeof full_wasm);
  check_prefixes(min_wasm, sizeof min_wasm);
  check_prefixes(elem7_wasm, sizeof elem7_wasm);
}

/* Every single-byte mutation: any outcome but a crash, a leak or a hang. */
static void check_mutations(const unsigned char *b, size_t len) {
  static const int values[] = {0x00, 0x01, 0x7f, 0x80, 0xff, -1};
  unsigned char *p = malloc(len);
  CHECK_OR_RETURN(p != NULL);
  for (size_t i = 0; i < len; i++) {
    for (size_t k = 0; k < sizeof values / sizeof values[0]; k++) {
      memcpy(p, b, len);
      p[i] = values[k] < 0 ? (unsigned char)(b[i] ^ 0x40) : (unsigned char)values[k];
      vm_error e;
      vm_module *m = load(p, len, &e);
      if (!m) CHECK(e.message[0] != '\0');
      vm_module_free(m);
    }
  }
  free(p);
}

TEST_IMPL(mutations) {
  check_mutations(full_wasm, sizeof full_wasm);
  check_mutations(min_wasm, sizeof min_wasm);
}

/* ---- specific malformed and invalid modules ----------------------------- */

typedef struct bad_case {
  const char *hex; /* after the 8-byte header, unless it starts with '!' */
  vm_result result;
  const char *message;
} bad_case;

#define HDR "0061736d 01000000 "
static const bad_case bad_cases[] = {
    /* header */
    {"!", VM_ERR_MALFORMED, "unexpected end"},
    {"!0061736d", VM_ERR_MALFORMED, "unexpected end"},
    {"!0061736d0100", VM_ERR_MALFORMED, "unexpected end"},
    {"!0061736e01000000", VM_ERR_MALFORMED, "magic header not detected"},
    {"!0000000001000000", VM_ERR_MALFORMED, "magic header not detected"},
    {"!0061736d02000000", VM_ERR_MALFORMED, "unknown binary version"},
    {"!0061736d00000001", VM_ERR_MALFORMED, "unknown binary version"},
    /* section framing */
    {"0d00", VM_ERR_MALFORMED, "malformed section id"},
    {"80000100", VM_ERR_MALFORMED, "malformed section id"},
    {"00", VM_ERR_MALFORMED, "unexpected end of section or function"},
    {"010702600000", VM_ERR_MALFORMED, "length out of bounds"},
    {"01ffffffff0f", VM_ERR_MALFORMED, "length out of bounds"},
    {"010701600000600000", VM_ERR_MALFORMED, "section size mismatch"},
    {"0105ffffffff0f", VM_ERR_MALFORMED, "length out of bounds"}, /* 4G types, no allocation */
    {"01040160000003020100 0801000801000a040102000b", VM_ERR_MALFORMED,
     "unexpected content after last section"},
    {"0a040102000b 01040160000003020100", VM_ERR_MALFORMED, "unexpected content after last section"},
    {"0026106120637573746f6d", VM_ERR_MALFORMED, "length out of bounds"},
    {"000201 80", VM_ERR_MALFORMED, "malformed UTF-8 encoding"},
    {"000403 eda080", VM_ERR_MALFORMED, "malformed UTF-8 encoding"},   /* surrogate */
    {"000403 c0af00", VM_ERR_MALFORMED, "malformed UTF-8 encoding"},   /* overlong */
    {"000504 f4908080", VM_ERR_MALFORMED, "malformed UTF-8 encoding"}, /* > U+10FFFF */
    {"00050468c3a9", VM_ERR_MALFORMED, "unexpected end of section or function"},
    {"000000050100070000", VM_ERR_MALFORMED, "unexpected end of section or function"},
    /* integers */
    {"05080100828080808000", VM_ERR_MALFORMED, "integer representation too long"},
    {"050701008280808070", VM_ERR_MALFORMED, "integer too large"},
    {"060b017f00418080808080000b", VM_ERR_MALFORMED, "integer representation too long"},
    {"060a017f004180808080700b", VM_ERR_MALFORMED, "integer too large"},
    {"060f017e0042ffffffffffffffffff010b", VM_ERR_MALFORMED, "integer too large"},
    {"0403017002", VM_ERR_MALFORMED, "integer too large"},
    {"05050181000000", VM_ERR_MALFORMED, "integer representation too long"},
    {"010501e07f0000", VM_ERR_MALFORMED, "integer representation too long"},
    /* malformed entries */
    {"020401000004", VM_ERR_MALFORMED, "malformed import kind"},
    {"0606017f0241000b", VM_ERR_MALFORMED, "malformed mutability"},
    {"010401600000030201000404017000000503010000090701057f01d2000b0a040102000b", VM_ERR_MALFORMED,
     "malformed reference type"},
    {"0404017000010903010800", VM_ERR_MALFORMED, "malformed elements segment kind"},
    {"050301000 00b0401030000", VM_ERR_MALFORMED, "malformed data segment kind"},
    {"07050101610400", VM_ERR_MALFORMED, "malformed export kind"},
    {"010401610000", VM_ERR_MALFORMED, "malformed function type"},
    {"0104016001 7a00", VM_ERR_MALFORMED, "malformed value type"},
    {"0605017f00060b", VM_ERR_INVALID, "constant expression required"}, /* 0x06: the legacy try */
    {"0104016000000303020000", VM_ERR_MALFORMED, "function and code section have inconsistent lengths"},
    {"0a040102000b", VM_ERR_MALFORMED, "function and code section have inconsistent lengths"},
    {"0c0101", VM_ERR_MALFORMED, "data count and data section have inconsistent lengths"},
    {"0c01030b050201000100", VM_ERR_MALFORMED, "data count and data section have inconsistent lengths"},
    {"0404017000010907020041000b0100", VM_ERR_MALFORMED, "unexpected end of section or function"},
    {"05030100010b0c010041030b07616263646566", VM_ERR_MALFORMED, "unexpected end of section or function"},
    {"05030100010b0c010041000b05616263646566", VM_ERR_MALFORMED, "section size mismatch"},
    {"010401600000030302000007060202663100000a070202000b02000b", VM_ERR_MALFORMED, "length out of bounds"},
    /* malformed wins over invalid (an unknown type, then a bad section) */
    {"0302012a 0d00", VM_ERR_MALFORMED, "malformed section id"},
    /* limits */
    {"05050100818004", VM_ERR_INVALID, "memory size must be at most 65536 pages (4GiB)"},
    {"0508010100ffffffff0f", VM_ERR_INVALID, "memory size must be at most 65536 pages (4GiB)"},
    {"050401010100", VM_ERR_INVALID, "size minimum must not be greater than maximum"},
    {"0409017001ffffffff0f00", VM_ERR_INVALID, "size minimum must not be greater than maximum"},
    {"05050200000000", VM_ERR_INVALID, "multiple memories"},
    {"021401087370656374657374066d656d6f72790200000503010000", VM_ERR_INVALID, "multiple memories"},
    /* index bounds */
    {"0302012a0a040102000b", VM_ERR_INVALID, "unknown type 42"},
    {"020d0104746573740466756e630001", VM_ERR_INVALID, "unknown type 1"},
    {"07050101610000", VM_ERR_INVALID, "unknown function 0"},
    {"07050101610100", VM_ERR_INVALID, "unknown table 0"},
    {"07050101610200", VM_ERR_INVALID, "unknown memory 0"},
    {"07050101610300", VM_ERR_INVALID, "unknown global 0"},
    {"0b06010041000b00", VM_ERR_INVALID, "unknown memory 0"},
    {"05030100000b0701020141000b00", VM_ERR_INVALID, "unknown memory 1"},
    {"010401600000030201000907010041000b01000a040102000b", VM_ERR_INVALID, "unknown table 0"},
    {"0404017000000907010041000b0105", VM_ERR_INVALID, "unknown function 5"},
    {"010401600000030201000801010a040102000b", VM_ERR_INVALID, "unknown function 1"},
    /* constant expressions */
    {"0607017f004100680b", VM_ERR_INVALID, "constant expression required"},
    {"0605017f00010b", VM_ERR_INVALID, "constant expression required"},
    {"0606017d0020000b", VM_ERR_INVALID, "constant expression required"},
    {"0609017f0041004101 6a0b", VM_ERR_INVALID, "constant expression required"},
    {"0607017f00020b 0b0b", VM_ERR_INVALID, "constant expression required"},
    {"0606017f0042000b", VM_ERR_INVALID, "type mismatch"},
    {"0604017f000b", VM_ERR_INVALID, "type mismatch"},
    {"0608017f00410041000b", VM_ERR_INVALID, "type mismatch"},
    {"0606017f0023000b", VM_ERR_INVALID, "unknown global 0"},
    {"060b027f0041000b7f0023000b", VM_ERR_INVALID, "unknown global 0"},
    {"02180104746573740e676c6f62616c2d6d75742d693332037f010606017f0023000b", VM_ERR_INVALID,
     "constant expression required"},
    {"02140104746573740a676c6f62616c2d693332037f000606017e0023000b", VM_ERR_INVALID, "type mismatch"},
    {"0606017000d2050b", VM_ERR_INVALID, "unknown function 5"},
    {"0607017000d205010b", VM_ERR_INVALID, "constant expression required"},
    {"0606016f00d0700b", VM_ERR_INVALID, "type mismatch"},
    {"05030100010b0701004100680b00", VM_ERR_INVALID, "constant expression required"},
    {"05030100010b06010042000b00", VM_ERR_INVALID, "type mismatch"},
    {"040401700001090c010441000b01410041016a0b", VM_ERR_INVALID, "constant expression required"},
    /* segments */
    {"0404016f0001010401600000030201000907010041000b01000a040102000b", VM_ERR_MALFORMED,
     "unexpected content after last section"},
    {"010401600000030201000404016f00010907010041000b01000a040102000b", VM_ERR_INVALID, "type mismatch"},
    {"040401700001090801060041000b7f00", VM_ERR_MALFORMED, "malformed reference type"},
    {"040401700001090b01060641000b6f01d06f0b", VM_ERR_INVALID, "unknown table 6"},
    {"04040170000109090102 0041000b010100", VM_ERR_MALFORMED, "malformed element kind"},
    {"0404017000010907010541000b0000", VM_ERR_MALFORMED, "malformed reference type"},
    {"040401700001090701057001d06f0b", VM_ERR_INVALID, "type mismatch"},
    /* exports and start */
    {"0104016000000302010007090201610000016100000a040102000b", VM_ERR_INVALID, "duplicate export name"},
    {"0404017000000606017f0041000b0709020161030001610100", VM_ERR_INVALID, "duplicate export name"},
    {"0105016000017f030201000801000a0701050041000f0b", VM_ERR_INVALID, "start function"},
    {"01050160017f00030201000801000a040102000b", VM_ERR_INVALID, "start function"},
};

TEST_IMPL(bad_modules) {
  unsigned char buf[512];
  int failures = 0;
  for (size_t i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; i++) {
    const bad_case *c = &bad_cases[i];
    size_t n;
    if (c->hex[0] == '!') {
      n = unhex(c->hex + 1, buf, sizeof buf);
    } else {
      n = unhex(HDR, buf, sizeof buf);
      n += unhex(c->hex, buf + n, sizeof buf - n);
    }
    /* An exact-size copy, so ASan catches any read past the end. */
    unsigned char *p = malloc(n ? n : 1);
    CHECK_OR_RETURN(p != NULL);
    memcpy(p, buf, n);
    vm_error e;
    vm_module *m = load_wasm2(p, n, &e);
    if (m) {
      fprintf(stderr, "case %zu (%s): accepted, expected \"%s\"\n", i, c->hex, c->message);
      failures++;
    } else if (e.result != c->result || strcmp(e.message, c->message) != 0) {
      fprintf(stderr, "case %zu (%s): got %d \"%s\", expected %d \"%s\"\n", i, c->hex, e.result, e.message,
              c->result, c->message);
      failures++;
    }
    vm_module_free(m);
    free(p);
  }
  CHECK_INT(failures, 0);
}

/* What Wasm 3.0 (the default configuration) changed among those: extended constants and earlier
 * globals in constant expressions are accepted, an i32.add in a funcref item is a type error; and the
 * 3.0 proposals the engine does not have (GC, exceptions, typed function references) are refused at
 * load as malformed with a clear "unsupported" message, never a crash. */
TEST_IMPL(wasm3_modules) {
  static const struct {
    const char *hex;
    vm_result result;
    const char *message;
  } cases[] = {
      {"0609017f0041004101 6a0b", VM_OK, NULL},
      {"060b027f0041000b7f0023000b", VM_OK, NULL},
      {"040401700001090c010441000b01410041016a0b", VM_ERR_INVALID, "type mismatch"},
      {"0609017f0041004201 6a0b", VM_ERR_INVALID, "type mismatch"},                /* i32.add of an i64 */
      {"0607017f0041006a0b", VM_ERR_INVALID, "type mismatch"},                     /* one operand */
      {"0609017f0041004101 6d0b", VM_ERR_INVALID, "constant expression required"}, /* i32.div_s */
      {"060b027f0023010b7f0041000b", VM_ERR_INVALID, "unknown global 1"},          /* a later global */
      {"010401 5f 00 00", VM_ERR_MALFORMED, "unsupported: GC types (struct, array, rec, sub: Wasm 3.0)"},
      {"010401 4e 00 00", VM_ERR_MALFORMED, "unsupported: GC types (struct, array, rec, sub: Wasm 3.0)"},
      {"0d 03 01 00 00", VM_ERR_INVALID, "unknown type 0"},            /* a tag of a type that is not there */
      {"0d 03 01 01 00", VM_ERR_MALFORMED, "malformed tag attribute"}, /* only 0: exceptions */
      {"010501 60 00 01 7f 0d 03 01 00 00", VM_ERR_INVALID, "non-empty tag result type"},
      {"010401 600000 0d 03 01 00 00 06 06 01 7f 00 41 00 0b", VM_OK, NULL},     /* tag, then global */
      {"010401 600000 06 06 01 7f 00 41 00 0b 0d 03 01 00 00", VM_ERR_MALFORMED, /* tag after global */
       "unexpected content after last section"},
      {"010601 60 01 64 00 00", VM_OK, NULL},                      /* (func (param (ref 0))): itself */
      {"010601 60 01 64 01 00", VM_ERR_INVALID, "unknown type 1"}, /* a later type */
      {"010601 60 01 63 6e 00", VM_ERR_MALFORMED, "unsupported: GC reference types (Wasm 3.0)"}, /* any */
      {"010501 60 01 6e 00 00", VM_ERR_MALFORMED, "unsupported: GC reference types (Wasm 3.0)"}, /* anyref */
      {"010401600000 03020100 0a 08 01 06 00 d0 00 14 00 0b", VM_OK, NULL}, /* call_ref 0 of (ref.null 0) */
      {"010401600000 03020100 0a 08 01 06 00 d0 70 14 00 0b", VM_ERR_INVALID,
       "type mismatch"},                                                                  /* of funcref */
      {"010401600000 03020100 0a 06 01 04 00 08 00 0b", VM_ERR_INVALID, "unknown tag 0"}, /* throw 0 */
  };
  unsigned char buf[128];
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    size_t n = unhex(HDR, buf, sizeof buf);
    n += unhex(cases[i].hex, buf + n, sizeof buf - n);
    vm_error e;
    vm_module *m = load(buf, n, &e);
    if (!m && cases[i].result == VM_OK) fprintf(stderr, "case %zu: %s\n", i, e.message);
    CHECK((m != NULL) == (cases[i].result == VM_OK));
    if (!m && cases[i].result != VM_OK) {
      CHECK_INT(e.result, cases[i].result);
      CHECK_STR(e.message, cases[i].message);
    }
    vm_module_free(m);
  }
}

/* ---- reader ------------------------------------------------------------- */

TEST_IMPL(reader_leb) {
  vm_reader r;
  /* Initialised: a failed read is counted and the case goes on. */
  uint32_t u = 0;
  int32_t s = 0;
  int64_t s64 = 0;
  static const unsigned char a[] = {0xff, 0xff, 0xff, 0xff, 0x0f};
  vm_reader_init(&r, a, sizeof a);
  CHECK(vm_read_u32(&r, &u));
  CHECK_INT(u, 0xffffffffu);
  CHECK(vm_reader_eof(&r));
  static const unsigned char b[] = {0x80, 0x80, 0x80, 0x80, 0x78};
  vm_reader_init(&r, b, sizeof b);
  CHECK(vm_read_s32(&r, &s));
  CHECK_INT(s, INT32_MIN);
  static const unsigned char c[] = {0x7f};
  vm_reader_init(&r, c, sizeof c);
  CHECK(vm_read_s64(&r, &s64));
  CHECK_INT(s64, -1);
  static const unsigned char d[] = {0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x7f};
  vm_reader_init(&r, d, sizeof d);
  CHECK(vm_read_s64(&r, &s64));
  CHECK_INT(s64, INT64_MIN);
  static const unsigned char e[] = {0x80, 0x80};
  vm_reader_init(&r, e, sizeof e);
  CHECK(!(vm_read_u32(&r, &u)));
  CHECK_STR(r.error, "unexpected end of section or function");
  CHECK_INT(vm_reader_error_offset(&r), 2);
  static const unsigned char f[] = {0x80, 0x80, 0x80, 0x80, 0x10};
  vm_reader_init(&r, f, sizeof f);
  CHECK(!(vm_read_u32(&r, &u)));
  CHECK_STR(r.error, "integer too large");
  static const unsigned char g[] = {0x80, 0x80, 0x80, 0x80, 0x80, 0x00};
  vm_reader_init(&r, g, sizeof g);
  CHECK(!(vm_read_u32(&r, &u)));
  CHECK_STR(r.error, "integer representation too long");
  /* a region that ends before the module does */
  static const unsigned char h[] = {0x80, 0x01, 0x00};
  vm_reader_init_region(&r, h, sizeof h, 0, 1);
  CHECK(!(vm_read_u32(&r, &u)));
  CHECK_STR(r.error, "section size mismatch");
}

TEST_IMPL(error_format) {
  vm_error e;
  char buf[300];
  vm_error_set(&e, VM_ERR_MALFORMED, 10, 0x1f, "unexpected end");
  vm_error_format(&e, buf, sizeof buf);
  CHECK_STR(buf, "malformed module: unexpected end (code section, offset 0x1f)");
  vm_error_trap(&e, VM_TRAP_DIV_ZERO);
  CHECK_INT(e.result, VM_ERR_TRAP);
  CHECK_INT(e.trap, VM_TRAP_DIV_ZERO);
  CHECK_STR(e.message, "integer divide by zero");
  vm_error_format(&e, buf, sizeof buf);
  CHECK_STR(buf, "trap: integer divide by zero");
  CHECK_STR(vm_trap_message(VM_TRAP_INDIRECT_MISMATCH), "indirect call type mismatch");
  CHECK_STR(vm_trap_message(VM_TRAP_STACK_EXHAUSTED), "call stack exhausted");
  vm_error_clear(&e);
  CHECK_INT(e.result, VM_OK);
  CHECK_STR(e.message, "");
}

TEST_IMPL(limits) {
  vm_config cfg;
  vm_config_default(&cfg);
  CHECK_INT(cfg.max_functions, 1000000);
  cfg.max_functions = 0;
  vm_error e;
  vm_module *m = vm_module_load(min_wasm, sizeof min_wasm, &cfg, &e);
  CHECK(m == NULL);
  CHECK_INT(e.result, VM_ERR_LIMIT);
  /* multi-memory: VM_MAX_MEMORIES memories load, one more is refused (each reserves address space) */
  for (uint32_t n = VM_MAX_MEMORIES; n <= VM_MAX_MEMORIES + 1; n++) {
    unsigned char buf[8 + 1 + 3 + 2 + 2 * (VM_MAX_MEMORIES + 1)];
    size_t len = unhex(HDR, buf, sizeof buf);
    uint32_t body = 1 + 2 * n + (n >= 128);
    buf[len++] = 0x05; /* memory section */
    buf[len++] = (unsigned char)(0x80 | (body & 0x7f));
    buf[len++] = (unsigned char)(body >> 7);
    buf[len++] = (unsigned char)(n & 0x7f);
    for (uint32_t i = 0; i < n; i++) {
      buf[len++] = 0; /* limits: min only */
      buf[len++] = 0;
    }
    m = vm_module_load(buf, len, NULL, &e);
    CHECK((m != NULL) == (n <= VM_MAX_MEMORIES));
    if (!m) CHECK_STR(e.message, "too many memories: 101 (limit 100)");
    vm_module_free(m);
  }
}

TEST_LIST_BEGIN
TEST_ENTRY(full_module)
TEST_ENTRY(min_module)
TEST_ENTRY(elem_encoding7)
TEST_ENTRY(empty_module)
TEST_ENTRY(truncated_prefixes)
TEST_ENTRY(mutations)
TEST_ENTRY(bad_modules)
TEST_ENTRY(wasm3_modules)
TEST_ENTRY(reader_leb)
TEST_ENTRY(error_format)
TEST_ENTRY(limits)
TEST_LIST_END

int main(int argc, char **argv) {
  return test_main(argc, argv, "unit.decode", test_cases, NULL, NULL);
}
