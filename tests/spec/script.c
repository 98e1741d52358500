/* SPDX-License-Identifier: Apache-2.0 */
/*
 * script.c - executes one wast2json script against the engine (vm.h only).
 * One vm_store per script holds the spectest module and every instance the
 * script creates; modules are kept until the store is gone because the store
 * may still refer to them (a failed instantiation can leave functions behind
 * in a shared table).  Every command is one check except `register`, which
 * only counts when it fails.  Engine messages are compared the way the
 * reference interpreter does: the expected text must be a prefix.
 */
#include "script.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spectest.h"
#include "vm/vm.h"

#define MAX_WASM_BYTES ((size_t)256 << 20)
#define MAX_JSON_BYTES ((size_t)512 << 20)
#define MAX_RESULTS_SHOWN 8

/* A name bound to an instance: `$M` module names and `register`ed names. */
typedef struct binding {
  char *name;
  vm_instance *inst; /* NULL: the spectest module */
  vm_module *def;    /* a module definition (3.0: `module definition`), instantiated by module_instance */
} binding;

typedef struct script {
  spec_report *rep;
  char *dir; /* directory of the JSON file, where its .wasm files are */
  vm_config cfg;
  vm_store *store;
  spec_spectest spectest;
  vm_module **modules; /* every module instantiated (or tried) in the store */
  size_t nmodules, capmodules;
  binding *names;
  size_t nnames, capnames;
  binding *regs;
  size_t nregs, capregs;
  binding *defs;
  size_t ndefs, capdefs;
  vm_instance *current;
  uint32_t line;
  const char *cmd;
  const char *source; /* the .wast file's name, from the JSON ("" if absent) */
} script;

/* An argument or an expected result. */
/* VAL_ANY_NULL: {"type": "ref", "value": "null"} (3.0 suite), a null of any reference type */
typedef enum { VAL_EXACT, VAL_NAN_CANONICAL, VAL_NAN_ARITHMETIC, VAL_ANY_REF, VAL_ANY_NULL } val_kind;

typedef struct spec_value {
  uint8_t type;
  val_kind kind;
  uint64_t bits;
  /* v128: the high half; the lanes' width in bits and each lane's kind (an f32 or f64 lane may be a NaN
   * pattern) */
  uint64_t hi;
  uint8_t lane_bits;
  uint8_t lane_kind[16];
} spec_value;

/* What an action produced. */
typedef struct action_out {
  vm_result result;
  vm_error err; /* when result != VM_OK */
  uint32_t nresults;
  const uint8_t *rtypes;
  uint8_t gtype; /* result type of a `get` */
  uint64_t *slots;
  char desc[128]; /* `invoke "name"` for messages */
} action_out;

/* ---- report -------------------------------------------------------------- */

void spec_report_log(spec_report *rep, const char *fmt, ...) {
  if (!rep->log || rep->log_len + 1 >= rep->log_cap) {
    rep->dropped++;
    return;
  }
  size_t room = rep->log_cap - rep->log_len;
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(rep->log + rep->log_len, room, fmt, ap);
  va_end(ap);
  if (n < 0 || (size_t)n + 2 > room) {
    /* Does not fit: keep what is there, cut cleanly, and count the loss. */
    rep->log[rep->log_len] = '\0';
    rep->dropped++;
    return;
  }
  rep->log_len += (size_t)n;
  rep->log[rep->log_len++] = '\n';
  rep->log[rep->log_len] = '\0';
}

static void pass(script *sc) {
  sc->rep->passed++;
}

static void fail(script *sc, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

static void fail(script *sc, const char *fmt, ...) {
  spec_report *rep = sc->rep;
  rep->failed++;
  if (rep->max_logged && rep->logged >= rep->max_logged) {
    rep->dropped++;
    return;
  }
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  uint32_t before = rep->dropped;
  spec_report_log(rep, "  line %" PRIu32 ": %s: %s", sc->line, sc->cmd, msg);
  if (rep->dropped == before) rep->logged++;
}

/* ---- small helpers -------------------------------------------------------- */

static const char *result_name(vm_result r) {
  switch (r) {
  case VM_OK: return "success";
  case VM_ERR_MALFORMED: return "malformed";
  case VM_ERR_INVALID: return "invalid";
  case VM_ERR_LINK: return "link error";
  case VM_ERR_TRAP: return "trap";
  case VM_ERR_NOMEM: return "out of memory";
  case VM_ERR_LIMIT: return "limit";
  case VM_ERR_ARG: return "api/runner error";
  }
  return "unknown result";
}

static bool msg_matches(const char *got, const char *want) {
  return strncmp(got, want, strlen(want)) == 0;
}

/* Describe an error for a failure line: category, message, and location for load errors. */
static void describe_error(const vm_error *e, char *buf, size_t len) {
  if (e->section >= 0 || e->offset >= 0)
    snprintf(buf, len, "%s \"%s\" (section %d, offset %" PRId64 ")", result_name(e->result), e->message,
             e->section, e->offset);
  else
    snprintf(buf, len, "%s \"%s\"", result_name(e->result), e->message);
}

static void runner_error(vm_error *e, vm_result r, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* Errors the runner itself detects, reported like engine errors. */
static void runner_error(vm_error *e, vm_result r, const char *fmt, ...) {
  memset(e, 0, sizeof *e);
  e->result = r;
  e->section = -1;
  e->offset = -1;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(e->message, sizeof e->message, fmt, ap);
  va_end(ap);
}

static bool grow(void **items, size_t *cap, size_t n, size_t size) {
  if (n < *cap) return true;
  size_t ncap = *cap ? *cap * 2 : 8;
  void *p = realloc(*items, ncap * size);
  if (!p) return false;
  *items = p;
  *cap = ncap;
  return true;
}

static const char *json_str(const cJSON *obj, const char *key) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
  return cJSON_IsString(v) ? v->valuestring : NULL;
}

/*
 * cJSON strings are NUL-terminated, so "\u0000" in a name would cut it short
 * (names.wast exports such a name).  Before parsing, each "\u0000" escape is
 * replaced by the byte 0xFF, which never occurs in UTF-8; name_bytes() turns
 * it back into NUL.
 */
static void hide_nul_escapes(char *text, size_t *len) {
  size_t r = 0, w = 0, n = *len;
  while (r < n) {
    if (text[r] == '\\' && r + 1 < n) {
      if (r + 5 < n && memcmp(text + r + 1, "u0000", 5) == 0) {
        text[w++] = (char)0xFF;
        r += 6;
      } else {
        text[w++] = text[r++];
        text[w++] = text[r++];
      }
    } else {
      text[w++] = text[r++];
    }
  }
  text[w] = '\0';
  *len = w;
}

/* A copy of a JSON name with its hidden NULs restored; `*len` gets its length. */
static char *name_bytes(const char *s, size_t *len) {
  size_t n = strlen(s);
  char *out = malloc(n + 1);
  if (!out) return NULL;
  for (size_t i = 0; i < n; i++)
    out[i] = (unsigned char)s[i] == 0xFF ? '\0' : s[i];
  out[n] = '\0';
  *len = n;
  return out;
}

static char *read_file(const char *path, size_t max, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  char *buf = NULL;
  long size = -1;
  if (fseek(f, 0, SEEK_END) == 0) size = ftell(f);
  if (size < 0 || (unsigned long)size > max || fseek(f, 0, SEEK_SET) != 0) goto out;
  buf = malloc((size_t)size + 1);
  if (!buf) goto out;
  if (fread(buf, 1, (size_t)size, f) != (size_t)size) {
    free(buf);
    buf = NULL;
    goto out;
  }
  buf[size] = '\0';
  *len = (size_t)size;
out:
  fclose(f);
  return buf;
}

/* ---- values --------------------------------------------------------------- */

static uint8_t parse_type(const char *s) {
  if (!s) return 0;
  if (strcmp(s, "i32") == 0) return VM_I32;
  if (strcmp(s, "i64") == 0) return VM_I64;
  if (strcmp(s, "f32") == 0) return VM_F32;
  if (strcmp(s, "f64") == 0) return VM_F64;
  if (strcmp(s, "v128") == 0) return VM_V128;
  if (strcmp(s, "funcref") == 0) return VM_FUNCREF;
  if (strcmp(s, "externref") == 0) return VM_EXTERNREF;
  if (strcmp(s, "exnref") == 0) return VM_EXNREF;
  return 0;
}

static const char *type_name(uint8_t t) {
  switch (t) {
  case VM_I32: return "i32";
  case VM_I64: return "i64";
  case VM_F32: return "f32";
  case VM_F64: return "f64";
  case VM_V128: return "v128";
  case VM_FUNCREF: return "funcref";
  case VM_EXTERNREF: return "externref";
  case VM_EXNREF: return "exnref";
  default: return "?";
  }
}

static bool parse_u64(const char *s, uint64_t max, uint64_t *out) {
  if (!s || *s < '0' || *s > '9') return false;
  errno = 0;
  char *end;
  unsigned long long v = strtoull(s, &end, 10);
  if (errno || *end || v > max) return false;
  *out = v;
  return true;
}

/* The bits of lane i of a v128 held as two 64-bit halves. */
static uint64_t lane_get(uint64_t lo, uint64_t hi, unsigned bits, unsigned i) {
  unsigned at = i * bits;
  uint64_t half = at < 64 ? lo : hi;
  uint64_t v = half >> (at % 64);
  return bits == 64 ? v : v & ((UINT64_C(1) << bits) - 1);
}

/* {"type": "v128", "lane_type": "i8" .. "f64", "value": [lane strings]} (NaN patterns in expected float
 * lanes). */
static bool parse_v128(const cJSON *j, bool expected, spec_value *out, char *why, size_t whylen) {
  const char *lt = json_str(j, "lane_type");
  const cJSON *lanes = cJSON_GetObjectItemCaseSensitive(j, "value");
  unsigned bits = 0;
  bool isf = false;
  if (lt && strcmp(lt, "i8") == 0) bits = 8;
  if (lt && strcmp(lt, "i16") == 0) bits = 16;
  if (lt && (strcmp(lt, "i32") == 0 || strcmp(lt, "f32") == 0)) bits = 32, isf = lt[0] == 'f';
  if (lt && (strcmp(lt, "i64") == 0 || strcmp(lt, "f64") == 0)) bits = 64, isf = lt[0] == 'f';
  if (!bits || !cJSON_IsArray(lanes) || cJSON_GetArraySize(lanes) != (int)(128 / bits)) {
    snprintf(why, whylen, "bad v128 value (lane type %s)", lt ? lt : "(none)");
    return false;
  }
  out->lane_bits = (uint8_t)bits;
  unsigned i = 0;
  const cJSON *l;
  cJSON_ArrayForEach(l, lanes) {
    const char *v = cJSON_IsString(l) ? l->valuestring : NULL;
    uint64_t x = 0;
    out->lane_kind[i] = VAL_EXACT;
    if (expected && isf && v && strcmp(v, "nan:canonical") == 0) {
      out->lane_kind[i] = VAL_NAN_CANONICAL;
    } else if (expected && isf && v && strcmp(v, "nan:arithmetic") == 0) {
      out->lane_kind[i] = VAL_NAN_ARITHMETIC;
    } else if (v && v[0] == '-') {
      x = (uint64_t)strtoll(v, NULL, 10);
    } else if (!parse_u64(v, bits == 64 ? UINT64_MAX : (UINT64_C(1) << bits) - 1, &x)) {
      snprintf(why, whylen, "bad v128 lane \"%s\"", v ? v : "(none)");
      return false;
    }
    if (bits < 64) x &= (UINT64_C(1) << bits) - 1;
    unsigned at = i * bits;
    if (at < 64)
      out->bits |= x << at;
    else
      out->hi |= x << (at - 64);
    i++;
  }
  return true;
}

/* Parse {"type": T, "value": V}.  `expected` allows nan patterns and a missing ref value. */
static bool parse_value(const cJSON *j, bool expected, spec_value *out, char *why, size_t whylen) {
  const char *ts = json_str(j, "type");
  const char *vs = json_str(j, "value");
  out->type = parse_type(ts);
  out->kind = VAL_EXACT;
  out->bits = 0;
  out->hi = 0;
  out->lane_bits = 0;
  if (expected && ts && vs && strcmp(ts, "ref") == 0 && strcmp(vs, "null") == 0) {
    out->type = VM_FUNCREF;
    out->kind = VAL_ANY_NULL;
    return true;
  }
  switch (out->type) {
  case VM_I32:
  case VM_F32:
  case VM_I64:
  case VM_F64: {
    bool is32 = out->type == VM_I32 || out->type == VM_F32;
    bool isf = out->type == VM_F32 || out->type == VM_F64;
    if (expected && isf && vs && strcmp(vs, "nan:canonical") == 0) {
      out->kind = VAL_NAN_CANONICAL;
      return true;
    }
    if (expected && isf && vs && strcmp(vs, "nan:arithmetic") == 0) {
      out->kind = VAL_NAN_ARITHMETIC;
      return true;
    }
    if (parse_u64(vs, is32 ? UINT32_MAX : UINT64_MAX, &out->bits)) return true;
    break;
  }
  case VM_FUNCREF:
  case VM_EXTERNREF:
  case VM_EXNREF:
    if (!vs) {
      if (!expected) break;
      out->kind = VAL_ANY_REF;
      return true;
    }
    if (strcmp(vs, "null") == 0) return true;
    if (out->type == VM_EXTERNREF && parse_u64(vs, UINT64_MAX - 1, &out->bits)) {
      /* externref N is the non-NULL cookie N+1 (vm.h: NULL is the null reference). */
      out->bits += 1;
      return true;
    }
    if (out->type == VM_FUNCREF && expected) {
      /* A function cannot be named from the script: accept any non-null funcref. */
      out->kind = VAL_ANY_REF;
      return true;
    }
    break;
  case VM_V128: return parse_v128(j, expected, out, why, whylen);
  default: break;
  }
  snprintf(why, whylen, "bad value {type %s, value %s}", ts ? ts : "(none)", vs ? vs : "(none)");
  return false;
}

static void format_bits(uint8_t type, const uint64_t *slots, char *buf, size_t len) {
  uint64_t bits = slots[0];
  switch (type) {
  case VM_V128: snprintf(buf, len, "v128:0x%016" PRIx64 "%016" PRIx64, slots[1], bits); break;
  case VM_I32: snprintf(buf, len, "i32:%" PRIu32, (uint32_t)bits); break;
  case VM_I64: snprintf(buf, len, "i64:%" PRIu64, bits); break;
  case VM_F32: {
    uint32_t b = (uint32_t)bits;
    float f;
    memcpy(&f, &b, sizeof f);
    snprintf(buf, len, "f32:0x%08" PRIx32 "(%.9g)", b, (double)f);
    break;
  }
  case VM_F64: {
    double d;
    memcpy(&d, &bits, sizeof d);
    snprintf(buf, len, "f64:0x%016" PRIx64 "(%.17g)", bits, d);
    break;
  }
  case VM_FUNCREF:
    if (bits)
      snprintf(buf, len, "funcref:0x%" PRIx64, bits);
    else
      snprintf(buf, len, "funcref:null");
    break;
  case VM_EXTERNREF:
    if (bits)
      snprintf(buf, len, "externref:%" PRIu64, bits - 1);
    else
      snprintf(buf, len, "externref:null");
    break;
  default: snprintf(buf, len, "%s:0x%" PRIx64, type_name(type), bits); break;
  }
}

static void format_value(const spec_value *v, char *buf, size_t len) {
  switch (v->kind) {
  case VAL_NAN_CANONICAL: snprintf(buf, len, "%s:nan:canonical", type_name(v->type)); break;
  case VAL_NAN_ARITHMETIC: snprintf(buf, len, "%s:nan:arithmetic", type_name(v->type)); break;
  case VAL_ANY_REF: snprintf(buf, len, "%s:non-null", type_name(v->type)); break;
  case VAL_ANY_NULL: snprintf(buf, len, "ref:null"); break;
  case VAL_EXACT: {
    uint64_t slots[2] = {v->bits, v->hi};
    format_bits(v->type, slots, buf, len);
    break;
  }
  }
}

/* Does `got` match `want` as a value of `bits` bits (a float or a v128 lane): exactly, or as the NaN
 * pattern `kind` (32 and 64 bits only)? */
static bool bits_match(unsigned bits, val_kind kind, uint64_t want, uint64_t got) {
  if (bits == 32) {
    uint32_t g = (uint32_t)got;
    if (kind == VAL_NAN_CANONICAL) return (g & 0x7fffffffu) == 0x7fc00000u;
    if (kind == VAL_NAN_ARITHMETIC) return (g & 0x7fc00000u) == 0x7fc00000u;
    return g == (uint32_t)want;
  }
  if (kind == VAL_NAN_CANONICAL) return (got & 0x7fffffffffffffffu) == 0x7ff8000000000000u;
  if (kind == VAL_NAN_ARITHMETIC) return (got & 0x7ff8000000000000u) == 0x7ff8000000000000u;
  return got == want;
}

/* Does the value in `slots` (two for a v128) match what is expected? */
static bool value_matches(const spec_value *e, const uint64_t *slots) {
  uint64_t got = slots[0];
  switch (e->type) {
  case VM_V128:
    for (unsigned i = 0; i < 128u / e->lane_bits; i++) {
      uint64_t g = lane_get(slots[0], slots[1], e->lane_bits, i),
               w = lane_get(e->bits, e->hi, e->lane_bits, i);
      if (!bits_match(e->lane_bits, (val_kind)e->lane_kind[i], w, g)) return false;
    }
    return true;
  case VM_I32: return (uint32_t)got == (uint32_t)e->bits;
  case VM_I64: return got == e->bits;
  case VM_F32: return bits_match(32, e->kind, e->bits, got);
  case VM_F64: return bits_match(64, e->kind, e->bits, got);
  case VM_FUNCREF:
  case VM_EXTERNREF:
  case VM_EXNREF:
    if (e->kind == VAL_ANY_REF) return got != 0;
    return got == e->bits;
  default: return false;
  }
}

/* ---- modules, names, imports ---------------------------------------------- */

static bool bind(binding **list, size_t *n, size_t *cap, const char *name, vm_instance *inst) {
  if (!grow((void **)list, cap, *n, sizeof **list)) return false;
  size_t len = strlen(name);
  char *copy = malloc(len + 1);
  if (!copy) return false;
  memcpy(copy, name, len + 1);
  (*list)[*n].name = copy;
  (*list)[*n].inst = inst;
  (*list)[*n].def = NULL;
  (*n)++;
  return true;
}

/* The newest binding of `name` (`len` bytes), or NULL. */
static const binding *lookup(const binding *list, size_t n, const char *name, size_t len) {
  for (size_t i = n; i-- > 0;)
    if (strlen(list[i].name) == len && memcmp(list[i].name, name, len) == 0) return &list[i];
  return NULL;
}

static vm_module *load_module(script *sc, const char *filename, vm_error *err) {
  if (!filename || !*filename || strchr(filename, '/')) {
    runner_error(err, VM_ERR_ARG, "runner: bad module file name");
    return NULL;
  }
  size_t plen = strlen(sc->dir) + strlen(filename) + 2;
  char *path = malloc(plen);
  if (!path) {
    runner_error(err, VM_ERR_NOMEM, "runner: out of memory");
    return NULL;
  }
  snprintf(path, plen, "%s/%s", sc->dir, filename);
  size_t len = 0;
  char *bytes = read_file(path, MAX_WASM_BYTES, &len);
  free(path);
  if (!bytes) {
    runner_error(err, VM_ERR_ARG, "runner: cannot read %s", filename);
    return NULL;
  }
  vm_error_clear(err);
  vm_module *m = vm_module_load((const uint8_t *)bytes, len, &sc->cfg, err);
  free(bytes);
  if (!m && err->result == VM_OK) runner_error(err, VM_ERR_ARG, "runner: load failed without an error");
  return m;
}

/* Keep `m` until the store is freed.  Frees it and fails on out of memory. */
static bool keep_module(script *sc, vm_module *m, vm_error *err) {
  if (!grow((void **)&sc->modules, &sc->capmodules, sc->nmodules, sizeof *sc->modules)) {
    vm_module_free(m);
    runner_error(err, VM_ERR_NOMEM, "runner: out of memory");
    return false;
  }
  sc->modules[sc->nmodules++] = m;
  return true;
}

/* Resolve the imports of `m` by (module, name) in the registered instances, then instantiate. */
static vm_instance *instantiate(script *sc, const vm_module *m, vm_error *err) {
  uint32_t n = vm_module_num_imports(m);
  vm_extern *imports = calloc(n ? n : 1, sizeof *imports);
  if (!imports) {
    runner_error(err, VM_ERR_NOMEM, "runner: out of memory");
    return NULL;
  }
  for (uint32_t i = 0; i < n; i++) {
    vm_import_desc d;
    vm_module_import(m, i, &d);
    const binding *b = lookup(sc->regs, sc->nregs, d.module, d.module_len);
    bool found = false;
    if (b && !b->inst)
      found = spec_spectest_export(&sc->spectest, d.name, d.name_len, &imports[i]);
    else if (b)
      found = vm_instance_export(b->inst, d.name, d.name_len, &imports[i]);
    if (!found) {
      int ml = d.module_len > 64 ? 64 : (int)d.module_len;
      int nl = d.name_len > 64 ? 64 : (int)d.name_len;
      runner_error(err, VM_ERR_LINK, "unknown import \"%.*s\".\"%.*s\"", ml, d.module, nl, d.name);
      free(imports);
      return NULL;
    }
  }
  vm_error_clear(err);
  vm_instance *inst = vm_instantiate(sc->store, m, imports, n, err);
  free(imports);
  if (!inst && err->result == VM_OK)
    runner_error(err, VM_ERR_ARG, "runner: instantiation failed without an error");
  return inst;
}

/* ---- actions -------------------------------------------------------------- */

static vm_instance *action_instance(script *sc, const cJSON *action, vm_error *err) {
  const char *mname = json_str(action, "module");
  if (mname) {
    const binding *b = lookup(sc->names, sc->nnames, mname, strlen(mname));
    if (!b) runner_error(err, VM_ERR_ARG, "runner: no module named %s", mname);
    return b ? b->inst : NULL;
  }
  if (!sc->current) runner_error(err, VM_ERR_ARG, "runner: no current module");
  return sc->current;
}

static void run_action(script *sc, const cJSON *action, action_out *out) {
  memset(out, 0, sizeof *out);
  out->result = VM_ERR_ARG;
  const char *type = json_str(action, "type");
  const char *field = json_str(action, "field");
  if (!type || !field) {
    runner_error(&out->err, VM_ERR_ARG, "runner: bad action");
    return;
  }
  size_t flen;
  char *name = name_bytes(field, &flen);
  if (!name) {
    runner_error(&out->err, VM_ERR_NOMEM, "runner: out of memory");
    return;
  }
  snprintf(out->desc, sizeof out->desc, "%s \"%s\"", type, field);
  vm_instance *inst = action_instance(sc, action, &out->err);
  vm_extern ext;
  if (!inst) goto done;
  if (!vm_instance_export(inst, name, flen, &ext)) {
    runner_error(&out->err, VM_ERR_ARG, "runner: no export \"%s\"", field);
    goto done;
  }

  if (strcmp(type, "get") == 0) {
    if (ext.kind != VM_EXTERN_GLOBAL) {
      runner_error(&out->err, VM_ERR_ARG, "runner: export \"%s\" is not a global", field);
      goto done;
    }
    out->slots = calloc(2, sizeof *out->slots);
    if (!out->slots) {
      runner_error(&out->err, VM_ERR_NOMEM, "runner: out of memory");
      goto done;
    }
    out->slots[0] = vm_global_get(ext.u.global);
    out->slots[1] = vm_global_get_hi(ext.u.global);
    out->gtype = vm_global_type(ext.u.global).type;
    out->rtypes = &out->gtype;
    out->nresults = 1;
    out->result = VM_OK;
    goto done;
  }
  if (strcmp(type, "invoke") != 0) {
    runner_error(&out->err, VM_ERR_ARG, "runner: unknown action type %s", type);
    goto done;
  }
  if (ext.kind != VM_EXTERN_FUNC) {
    runner_error(&out->err, VM_ERR_ARG, "runner: export \"%s\" is not a function", field);
    goto done;
  }
  const vm_functype *ft = vm_func_type(ext.u.func);
  const cJSON *args = cJSON_GetObjectItemCaseSensitive(action, "args");
  int nargs = cJSON_IsArray(args) ? cJSON_GetArraySize(args) : 0;
  if ((uint32_t)nargs != ft->nparams) {
    runner_error(&out->err, VM_ERR_ARG, "runner: %d arguments for a function of %" PRIu32 " parameters",
                 nargs, ft->nparams);
    goto done;
  }
  uint32_t pslots, rslots;
  vm_functype_slots(ft, &pslots, &rslots);
  size_t nslots = pslots > rslots ? pslots : rslots;
  out->slots = calloc(nslots ? nslots : 1, sizeof *out->slots);
  if (!out->slots) {
    runner_error(&out->err, VM_ERR_NOMEM, "runner: out of memory");
    goto done;
  }
  int i = 0;
  uint32_t at = 0;
  const cJSON *a;
  cJSON_ArrayForEach(a, args) {
    spec_value v;
    char why[128];
    if (!parse_value(a, false, &v, why, sizeof why)) {
      runner_error(&out->err, VM_ERR_ARG, "runner: argument %d: %s", i, why);
      goto done;
    }
    if (v.type != ft->types[i]) {
      runner_error(&out->err, VM_ERR_ARG, "runner: argument %d is %s, the parameter is %s", i,
                   type_name(v.type), type_name(ft->types[i]));
      goto done;
    }
    out->slots[at++] = v.bits;
    if (v.type == VM_V128) out->slots[at++] = v.hi;
    i++;
  }
  out->nresults = ft->nresults;
  out->rtypes = ft->types + ft->nparams;
  out->result = vm_invoke(sc->store, ext.u.func, out->slots);
  if (out->result != VM_OK) {
    const vm_error *e = vm_store_error(sc->store);
    if (e)
      out->err = *e;
    else
      runner_error(&out->err, out->result, "runner: no error from the store");
    out->err.result = out->result;
  }
done:
  free(name);
}

/* ---- commands ------------------------------------------------------------- */

static void cmd_module(script *sc, const cJSON *c) {
  const char *filename = json_str(c, "filename");
  const char *name = json_str(c, "name");
  vm_error err;
  char desc[512];
  const char *definition = json_str(c, "definition");
  bool define_only = definition && strcmp(definition, "true") == 0;
  sc->current = NULL;
  vm_module *m = load_module(sc, filename, &err);
  if (!m && define_only && err.result == VM_ERR_LIMIT) {
    /* (module definition ...) of a memory or table beyond this engine's configured caps (the 3.0 suite's
     * 2^48-page memory): valid, but refused at load here, before any instance; not a failure */
    sc->rep->skipped++;
    return;
  }
  if (!m) {
    describe_error(&err, desc, sizeof desc);
    fail(sc, "%s: load failed: %s", filename ? filename : "?", desc);
    return;
  }
  if (!keep_module(sc, m, &err)) {
    fail(sc, "%s: %s", filename, err.message);
    return;
  }
  if (define_only) { /* decoded and validated; not instantiated */
    if (name) {
      if (!bind(&sc->defs, &sc->ndefs, &sc->capdefs, name, NULL)) {
        fail(sc, "runner: out of memory");
        return;
      }
      sc->defs[sc->ndefs - 1].def = m;
    }
    pass(sc);
    return;
  }
  vm_instance *inst = instantiate(sc, m, &err);
  if (!inst) {
    describe_error(&err, desc, sizeof desc);
    fail(sc, "%s: instantiation failed: %s", filename, desc);
    return;
  }
  sc->current = inst;
  if (name && !bind(&sc->names, &sc->nnames, &sc->capnames, name, inst)) {
    fail(sc, "runner: out of memory");
    return;
  }
  pass(sc);
}

/* module_instance (3.0): a new instance of a module definition, named. */
static void cmd_module_instance(script *sc, const cJSON *c) {
  const char *iname = json_str(c, "instance");
  const char *mname = json_str(c, "module");
  const binding *b = mname ? lookup(sc->defs, sc->ndefs, mname, strlen(mname)) : NULL;
  sc->current = NULL;
  if (!b) {
    fail(sc, "module_instance: no module definition %s", mname ? mname : "(none)");
    return;
  }
  vm_error err;
  vm_instance *inst = instantiate(sc, b->def, &err);
  if (!inst) {
    char desc[512];
    describe_error(&err, desc, sizeof desc);
    fail(sc, "module_instance %s: instantiation failed: %s", mname, desc);
    return;
  }
  sc->current = inst;
  if (iname && !bind(&sc->names, &sc->nnames, &sc->capnames, iname, inst)) {
    fail(sc, "runner: out of memory");
    return;
  }
  pass(sc);
}

static void cmd_register(script *sc, const cJSON *c) {
  const char *as = json_str(c, "as");
  const char *name = json_str(c, "name");
  vm_instance *inst = sc->current;
  if (name) {
    const binding *b = lookup(sc->names, sc->nnames, name, strlen(name));
    inst = b ? b->inst : NULL;
  }
  if (!as || !inst) {
    fail(sc, "cannot register %s as %s: no such module", name ? name : "(current)", as ? as : "?");
    return;
  }
  if (!bind(&sc->regs, &sc->nregs, &sc->capregs, as, inst)) fail(sc, "runner: out of memory");
}

static void show_results(const action_out *o, char *buf, size_t len) {
  size_t used = 0;
  buf[0] = '\0';
  for (uint32_t i = 0, at = 0; i < o->nresults && i < MAX_RESULTS_SHOWN && used + 1 < len;
       at += vm_type_slots(o->rtypes[i]), i++) {
    char v[96];
    format_bits(o->rtypes[i], o->slots + at, v, sizeof v);
    int n = snprintf(buf + used, len - used, "%s%s", i ? " " : "", v);
    if (n < 0) break;
    used += (size_t)n;
  }
  if (o->nresults > MAX_RESULTS_SHOWN && used + 1 < len) snprintf(buf + used, len - used, " ...");
}

static void cmd_action(script *sc, const cJSON *c, bool check) {
  action_out o;
  char desc[512];
  run_action(sc, cJSON_GetObjectItemCaseSensitive(c, "action"), &o);
  if (o.result != VM_OK) {
    describe_error(&o.err, desc, sizeof desc);
    fail(sc, "%s: %s", o.desc, desc);
    goto out;
  }
  if (!check) {
    pass(sc);
    goto out;
  }
  const cJSON *expected = cJSON_GetObjectItemCaseSensitive(c, "expected");
  const cJSON *either = cJSON_GetObjectItemCaseSensitive(c, "either");
  if (!expected && cJSON_IsArray(either)) {
    /* 3.0 (relaxed SIMD): one result, which may be any of these */
    if (o.nresults != 1) {
      fail(sc, "%s: %" PRIu32 " results, expected one of several values", o.desc, o.nresults);
      goto out;
    }
    const cJSON *alt;
    cJSON_ArrayForEach(alt, either) {
      spec_value v;
      char why[128];
      if (!parse_value(alt, true, &v, why, sizeof why)) {
        fail(sc, "%s: an alternative: %s", o.desc, why);
        goto out;
      }
      if (v.type == o.rtypes[0] && value_matches(&v, o.slots)) {
        pass(sc);
        goto out;
      }
    }
    char got[512];
    show_results(&o, got, sizeof got);
    fail(sc, "%s: none of the %d alternatives, got %s", o.desc, cJSON_GetArraySize(either), got);
    goto out;
  }
  int nexp = cJSON_IsArray(expected) ? cJSON_GetArraySize(expected) : 0;
  if ((uint32_t)nexp != o.nresults) {
    fail(sc, "%s: %" PRIu32 " results, expected %d", o.desc, o.nresults, nexp);
    goto out;
  }
  int i = 0;
  uint32_t at = 0;
  const cJSON *e;
  cJSON_ArrayForEach(e, expected) {
    spec_value v;
    char why[128];
    if (!parse_value(e, true, &v, why, sizeof why)) {
      fail(sc, "%s: result %d: %s", o.desc, i, why);
      goto out;
    }
    bool type_ok = v.kind == VAL_ANY_NULL
                       ? o.rtypes[i] == VM_FUNCREF || o.rtypes[i] == VM_EXTERNREF || o.rtypes[i] == VM_EXNREF
                       : v.type == o.rtypes[i];
    if (!type_ok || !value_matches(&v, o.slots + at)) {
      char want[96], got[512];
      format_value(&v, want, sizeof want);
      show_results(&o, got, sizeof got);
      fail(sc, "%s: result %d: expected %s, got %s", o.desc, i, want, got);
      goto out;
    }
    at += vm_type_slots(o.rtypes[i]);
    i++;
  }
  pass(sc);
out:
  free(o.slots);
}

/* Check an error against the expected kind and message text. */
static void expect_error(script *sc, const char *what, const vm_error *err, vm_result want,
                         const char *text) {
  char desc[512];
  if (!text) text = "";
  describe_error(err, desc, sizeof desc);
  if (err->result == want && msg_matches(err->message, text)) {
    pass(sc);
  } else if (err->result == want) {
    fail(sc, "%s: wrong message: expected %s \"%s\", got \"%s\"", what, result_name(want), text,
         err->message);
  } else if ((want == VM_ERR_MALFORMED && err->result == VM_ERR_INVALID) ||
             (want == VM_ERR_INVALID && err->result == VM_ERR_MALFORMED)) {
    /* Told apart because the fix lies in where a check is made (decoder vs validator). */
    fail(sc, "%s: CATEGORY MISMATCH: expected %s \"%s\", engine says %s", what, result_name(want), text,
         desc);
  } else {
    fail(sc, "%s: expected %s \"%s\", got %s", what, result_name(want), text, desc);
  }
}

/* assert_exception (Wasm 3.0): the action ends with an exception no handler caught. */
static void cmd_assert_exception(script *sc, const cJSON *c) {
  action_out o;
  run_action(sc, cJSON_GetObjectItemCaseSensitive(c, "action"), &o);
  if (o.result == VM_OK) {
    char got[512];
    show_results(&o, got, sizeof got);
    fail(sc, "%s: expected an exception, returned [%s]", o.desc, got);
  } else if (o.err.result == VM_ERR_TRAP && o.err.trap == VM_TRAP_EXCEPTION) {
    pass(sc);
  } else {
    char desc[512];
    describe_error(&o.err, desc, sizeof desc);
    fail(sc, "%s: expected an exception, got %s", o.desc, desc);
  }
  free(o.slots);
}

static void cmd_assert_action_trap(script *sc, const cJSON *c) {
  action_out o;
  run_action(sc, cJSON_GetObjectItemCaseSensitive(c, "action"), &o);
  const char *text = json_str(c, "text");
  if (o.result == VM_OK) {
    char got[512];
    show_results(&o, got, sizeof got);
    fail(sc, "%s: expected trap \"%s\", returned [%s]", o.desc, text ? text : "", got);
  } else {
    expect_error(sc, o.desc, &o.err, VM_ERR_TRAP, text);
  }
  free(o.slots);
}

/* assert_unlinkable / assert_uninstantiable / assert_trap on a module. */
static void cmd_assert_instantiate(script *sc, const cJSON *c, vm_result want) {
  const char *filename = json_str(c, "filename");
  const char *text = json_str(c, "text");
  vm_error err;
  char desc[512];
  vm_module *m = load_module(sc, filename, &err);
  if (!m) {
    describe_error(&err, desc, sizeof desc);
    fail(sc, "%s: load failed: %s", filename ? filename : "?", desc);
    return;
  }
  if (!keep_module(sc, m, &err)) {
    fail(sc, "%s: %s", filename, err.message);
    return;
  }
  if (instantiate(sc, m, &err)) {
    fail(sc, "%s: instantiated, expected %s \"%s\"", filename, result_name(want), text ? text : "");
    return;
  }
  expect_error(sc, filename, &err, want, text);
}

/*
 * Places where wast2json 1.0.32 writes a binary that is not the module the
 * .wast text describes, so the expected message cannot come from any binary
 * engine.  The check still requires the same kind of failure; only the
 * message is not compared, and the runner says so.
 */
typedef struct converter_quirk {
  const char *source;
  uint32_t line;
  const char *why;
} converter_quirk;

static const converter_quirk converter_quirks[] = {
    {"select.wast", 324,
     "wast2json encodes `(select (result))` as the untyped select 0x1b, whose binary is invalid with "
     "\"type mismatch\", not \"invalid result arity\""},
};

static const converter_quirk *find_quirk(const script *sc) {
  const char *base = strrchr(sc->source, '/');
  base = base ? base + 1 : sc->source;
  for (size_t i = 0; i < sizeof converter_quirks / sizeof converter_quirks[0]; i++)
    if (converter_quirks[i].line == sc->line && strcmp(converter_quirks[i].source, base) == 0)
      return &converter_quirks[i];
  return NULL;
}

/* assert_malformed / assert_invalid. */
static void cmd_assert_load(script *sc, const cJSON *c, vm_result want) {
  const char *filename = json_str(c, "filename");
  const char *mtype = json_str(c, "module_type");
  const char *text = json_str(c, "text");
  if (mtype && strcmp(mtype, "text") == 0) {
    if (want == VM_ERR_MALFORMED) {
      /* The engine reads only the binary format; these test the text parser. */
      sc->rep->skipped++;
      sc->rep->skipped_text++;
    } else {
      fail(sc, "%s: text-format module: not supported by this runner", filename ? filename : "?");
    }
    return;
  }
  vm_error err;
  vm_module *m = load_module(sc, filename, &err);
  if (m) {
    vm_module_free(m); /* never instantiated, so nothing in the store refers to it */
    fail(sc, "%s: loaded, expected %s \"%s\"", filename, result_name(want), text ? text : "");
    return;
  }
  const converter_quirk *q = find_quirk(sc);
  if (q && err.result == want) {
    spec_report_log(sc->rep, "%s:%u: note: message not compared (got \"%s\"): %s", sc->source, sc->line,
                    err.message, q->why);
    pass(sc);
    return;
  }
  expect_error(sc, filename ? filename : "?", &err, want, text);
}

static void run_command(script *sc, const cJSON *c) {
  const char *type = json_str(c, "type");
  const cJSON *line = cJSON_GetObjectItemCaseSensitive(c, "line");
  sc->line = cJSON_IsNumber(line) && line->valuedouble >= 0 && line->valuedouble < 4e9
                 ? (uint32_t)line->valuedouble
                 : 0;
  sc->rep->line = sc->line;
  sc->cmd = type ? type : "?";
  if (!type)
    fail(sc, "command without a type");
  else if (strcmp(type, "module") == 0)
    cmd_module(sc, c);
  else if (strcmp(type, "register") == 0)
    cmd_register(sc, c);
  else if (strcmp(type, "module_instance") == 0)
    cmd_module_instance(sc, c);
  else if (strcmp(type, "action") == 0)
    cmd_action(sc, c, false);
  else if (strcmp(type, "assert_return") == 0)
    cmd_action(sc, c, true);
  else if (strcmp(type, "assert_trap") == 0 || strcmp(type, "assert_exhaustion") == 0) {
    if (cJSON_GetObjectItemCaseSensitive(c, "action"))
      cmd_assert_action_trap(sc, c);
    else
      cmd_assert_instantiate(sc, c, VM_ERR_TRAP);
  } else if (strcmp(type, "assert_exception") == 0)
    cmd_assert_exception(sc, c);
  else if (strcmp(type, "assert_uninstantiable") == 0)
    cmd_assert_instantiate(sc, c, VM_ERR_TRAP);
  else if (strcmp(type, "assert_unlinkable") == 0)
    cmd_assert_instantiate(sc, c, VM_ERR_LINK);
  else if (strcmp(type, "assert_malformed") == 0)
    cmd_assert_load(sc, c, VM_ERR_MALFORMED);
  else if (strcmp(type, "assert_invalid") == 0)
    cmd_assert_load(sc, c, VM_ERR_INVALID);
  else
    fail(sc, "unknown command type");
}

/* ---- script --------------------------------------------------------------- */

static void free_bindings(binding *list, size_t n) {
  for (size_t i = 0; i < n; i++)
    free(list[i].name);
  free(list);
}

static uint32_t engine_features = VM_FEATURES_ALL;

void spec_set_features(uint32_t features) {
  engine_features = features;
}

bool spec_run_script(const char *json_path, spec_report *rep) {
  script sc;
  memset(&sc, 0, sizeof sc);
  sc.rep = rep;
  sc.cmd = "script";
  bool ok = false;
  cJSON *root = NULL;
  size_t len = 0;
  char *text = read_file(json_path, MAX_JSON_BYTES, &len);
  if (!text) {
    fail(&sc, "cannot read %s", json_path);
    return false;
  }
  hide_nul_escapes(text, &len);
  root = cJSON_ParseWithLength(text, len);
  free(text);
  const cJSON *commands = cJSON_GetObjectItemCaseSensitive(root, "commands");
  if (!root || !cJSON_IsArray(commands)) {
    fail(&sc, "%s: not a wast2json script", json_path);
    goto out;
  }

  sc.source = json_str(root, "source_filename");
  if (!sc.source) sc.source = "";

  const char *slash = strrchr(json_path, '/');
  size_t dlen = slash ? (size_t)(slash - json_path) : 1;
  sc.dir = malloc(dlen + 1);
  if (!sc.dir) goto oom;
  memcpy(sc.dir, slash ? json_path : ".", dlen);
  sc.dir[dlen] = '\0';

  vm_config_default(&sc.cfg);
  sc.cfg.features = engine_features;
  sc.store = vm_store_new(&sc.cfg);
  if (!sc.store || !spec_spectest_init(&sc.spectest, sc.store)) goto oom;
  if (!bind(&sc.regs, &sc.nregs, &sc.capregs, "spectest", NULL)) goto oom;

  const cJSON *c;
  cJSON_ArrayForEach(c, commands) run_command(&sc, c);
  ok = true;
  goto out;
oom:
  fail(&sc, "runner: out of memory setting up the store");
out:
  vm_store_free(sc.store);
  for (size_t i = 0; i < sc.nmodules; i++)
    vm_module_free(sc.modules[i]);
  free(sc.modules);
  free_bindings(sc.names, sc.nnames);
  free_bindings(sc.regs, sc.nregs);
  free_bindings(sc.defs, sc.ndefs);
  free(sc.dir);
  cJSON_Delete(root);
  return ok;
}
