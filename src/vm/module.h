/* SPDX-License-Identifier: Apache-2.0 */
/*
 * module.h - the decoded, validated and compiled module (immutable once loaded).
 *
 * decode.c fills this from the binary and checks everything outside function
 * bodies; compile.c validates each body and compiles it to internal code
 * (ir.h); instance.c instantiates it.  Index spaces follow the spec: imported
 * functions/tables/memories/globals come first, then the module's own.
 */
#ifndef WAPC_VM_MODULE_H
#define WAPC_VM_MODULE_H

#include "vm/ir.h"
#include "vm/vm.h"

/* A constant expression (Wasm 2.0: exactly one of these, then `end`). */
typedef enum {
  VM_CONST_I32,        /* value.i32 */
  VM_CONST_I64,        /* value */
  VM_CONST_F32,        /* value: bit pattern in low 32 bits */
  VM_CONST_F64,        /* value: bit pattern */
  VM_CONST_GLOBAL_GET, /* index: a global (imported, in 2.0) */
  VM_CONST_REF_NULL,   /* value type in `type` */
  VM_CONST_REF_FUNC,   /* index: a function */
  VM_CONST_V128,       /* value: the low half, hi: the high half */
  /* Extended constant expressions (Wasm 3.0): a sequence of the items above and these operators,
   * kept in the module's const_ops. */
  VM_CONST_I32_ADD,
  VM_CONST_I32_SUB,
  VM_CONST_I32_MUL,
  VM_CONST_I64_ADD,
  VM_CONST_I64_SUB,
  VM_CONST_I64_MUL,
  VM_CONST_PROGRAM, /* index: the first item in const_ops, value: how many */
} vm_const_kind;

/* Deepest operand stack of a constant expression (deeper ones are refused at load). */
#define VM_CONST_MAX_DEPTH 64

typedef struct vm_const_expr {
  vm_const_kind kind;
  uint8_t type; /* the expression's value type */
  uint32_t index;
  uint64_t value;
  uint64_t hi; /* VM_CONST_V128 */
  uint32_t vt; /* the item's type in full (types.h), 0: its byte's */
} vm_const_expr;

typedef struct vm_import {
  char *module;
  uint32_t module_len;
  char *name;
  uint32_t name_len;
  uint8_t kind; /* VM_EXTERN_* */
  union {
    uint32_t func_type; /* type index (a function's, or a tag's) */
    vm_tabletype table;
    vm_limits memory;
    vm_globaltype global;
  } type;
} vm_import;

typedef struct vm_export {
  char *name;
  uint32_t name_len;
  uint8_t kind;
  uint32_t index;
} vm_export;

typedef struct vm_global_def {
  vm_globaltype type;
  vm_const_expr init;
} vm_global_def;

typedef enum { VM_SEG_ACTIVE, VM_SEG_PASSIVE, VM_SEG_DECLARATIVE } vm_seg_mode;

typedef struct vm_elem {
  vm_seg_mode mode;
  uint8_t type; /* VM_FUNCREF, VM_EXTERNREF or VM_EXNREF */
  uint32_t vt;  /* the element type in full (types.h) */
  uint32_t table;
  vm_const_expr offset; /* active only */
  uint32_t count;
  vm_const_expr *items; /* count items: REF_FUNC, REF_NULL or GLOBAL_GET */
} vm_elem;

typedef struct vm_data {
  vm_seg_mode mode; /* ACTIVE or PASSIVE */
  uint32_t memory;
  vm_const_expr offset; /* active only */
  uint32_t len;
  const uint8_t *bytes; /* points into vm_module.bytes */
} vm_data;

/* One function's compiled code (see ir.h for the format and frame layout). */
typedef struct vm_code {
  vm_word *code;       /* instructions */
  uint32_t ncode;      /* words */
  uint32_t nparams;    /* = type's nparams */
  uint32_t nresults;   /* = type's nresults */
  uint32_t nlocals;    /* params + declared locals */
  uint32_t nslots;     /* frame size: nlocals + nconsts + maximum operand-stack height */
  uint32_t const_base; /* first constant slot (= nlocals) */
  uint32_t nconsts;    /* constant slots, copied into the frame on entry: */
  uint32_t nconsts32;  /* ... first these from consts32 (zero-extended), */
  const uint32_t *consts32;
  const uint64_t *consts64; /* ... then nconsts - nconsts32 from here (all in the code's allocation) */
  /* How the function runs (exec.h, vm_call_function): this machine code
   * when the compiler tier made some (src/jit/), else the interpreter on
   * `code`, whose opcode words are rewritten for it (vm_ir_thread) once every
   * tier has read them. */
  const void *native;
  /* Exception handling: the function's handler table (exn.h), NULL when it has no try. */
  struct vm_eh *eh;
  /* The function uses exception handling or exnref values: the interpreter runs it (its values must
   * all be in the value stack, where the collector of exceptions looks: exn.h). */
  bool interp_only;
  uint32_t body_offset; /* offset of the body in the binary, for messages */
  uint32_t body_len;
} vm_code;

struct vm_module {
  vm_config cfg;
  uint8_t *bytes; /* owned copy of the binary */
  size_t len;

  uint32_t ntypes;
  vm_functype *types; /* `types[i].types` points into type_storage, `.vts` into type_vts */
  uint8_t *type_storage;
  uint32_t *type_vts;
  uint32_t *type_canon; /* types.c: each type's first equivalent type */

  uint32_t nimports;
  vm_import *imports;

  /* Function index space: nfuncs = imported + defined. */
  uint32_t nfuncs;
  uint32_t nimported_funcs;
  uint32_t *func_types; /* type index per function (imports too) */
  vm_code *codes;       /* one per defined function: codes[i - nimported_funcs] */

  uint32_t ntables, nimported_tables;
  vm_tabletype *tables;       /* all, imports first */
  vm_const_expr *table_inits; /* per table: its elements' initial value (3.0), NULL when none has one */

  uint32_t nmemories, nimported_memories;
  vm_limits *memories; /* all, imports first */

  uint32_t nglobals, nimported_globals;
  vm_globaltype *global_types; /* all, imports first */
  /* The items of the constant expressions that are more than one instruction (VM_CONST_PROGRAM). */
  struct vm_const_expr *const_ops;
  uint32_t nconst_ops, const_ops_cap;
  vm_global_def *globals; /* defined ones only: globals[i - nimported_globals] */

  /* Tags (exception handling): a type index each, imports first. */
  uint32_t ntags, nimported_tags;
  uint32_t *tag_types;

  uint32_t nexports;
  vm_export *exports;

  bool has_start;
  uint32_t start;

  uint32_t nelems;
  vm_elem *elems;

  bool has_data_count;
  uint32_t data_count;
  uint32_t ndatas;
  vm_data *datas;

  /* Functions referenced outside function bodies (exports, elem segments,
   * global initialisers); `ref.func x` in a body is valid only for these. */
  uint8_t *func_declared; /* nfuncs flags */

  size_t code_bytes;
  size_t compiled_bytes;

  /* The compiler tier's machine code for this module (src/jit/), NULL if none. */
  struct vm_jit_code *jit;
};

/* decode.c: parse `m->bytes` into `m` and validate everything outside function
 * bodies (code section bodies are recorded in m->codes[i].body_*). */
vm_result vm_decode(vm_module *m, vm_error *err);

/* compile.c: validate and compile every function body, in order (the first
 * failure stops and is reported). */
vm_result vm_compile_functions(vm_module *m, vm_error *err);

/* compile.c: decode bodies 0..n-1 without validating them; VM_ERR_MALFORMED (in err) for the first
 * malformed one, as the reference decoder finds it while reading the code section, else VM_OK. */
vm_result vm_scan_bodies(vm_module *m, uint32_t n, vm_error *err);

/* Free everything a module owns (safe on a partly built module). */
void vm_module_release(vm_module *m);

#endif
