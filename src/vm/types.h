/* SPDX-License-Identifier: Apache-2.0 */
/*
 * types.h - value types as the validator sees them (types.c): Wasm 3.0's
 * reference types with their heap types (typed function references), the
 * subtyping between them, and the equivalence of function types within a
 * module and across modules.
 *
 * The rest of the engine reads a value type as its byte (vm.h: VM_I32 ..
 * VM_FUNCREF, VM_EXTERNREF, VM_EXNREF): what a slot holds.  A vm_vt adds what
 * validation and linking need: for a reference, whether null is allowed and
 * its heap type, abstract (func, extern, exn, their bottoms nofunc, noextern,
 * noexn) or a type index of the module (a function type: every type is one,
 * GC being out of scope).  Numbers and v128 are their byte; 0 is the unknown
 * type of a polymorphic stack.  vm_vt_lower gives the byte back.
 */
#ifndef WAPC_VM_TYPES_H
#define WAPC_VM_TYPES_H

#include <stdbool.h>
#include <stdint.h>

#include "vm/reader.h"
#include "vm/vm.h"

typedef uint32_t vm_vt;

#define VM_VT_REF (1u << 31)  /* a reference type */
#define VM_VT_NULL (1u << 30) /* ... that allows null */
#define VM_VT_ABS (1u << 29)  /* ... whose heap type is abstract: the low byte is its code */
#define VM_VT_INDEX_MASK 0x1FFFFFFFu

/* Abstract heap types, by their binary codes; BOT is the validator's bottom (an unknown reference). */
enum {
  VM_HT_FUNC = 0x70,
  VM_HT_EXTERN = 0x6F,
  VM_HT_EXN = 0x69,
  VM_HT_NOFUNC = 0x73,
  VM_HT_NOEXTERN = 0x72,
  VM_HT_NOEXN = 0x74,
  VM_HT_BOT = 0x00,
};

#define VM_VT_FUNCREF (VM_VT_REF | VM_VT_NULL | VM_VT_ABS | VM_HT_FUNC)
#define VM_VT_EXTERNREF (VM_VT_REF | VM_VT_NULL | VM_VT_ABS | VM_HT_EXTERN)
#define VM_VT_EXNREF (VM_VT_REF | VM_VT_NULL | VM_VT_ABS | VM_HT_EXN)

static inline bool vm_vt_is_ref(vm_vt t) {
  return (t & VM_VT_REF) != 0;
}
/* A reference to a type of the module (its index: vm_vt_index). */
static inline bool vm_vt_concrete(vm_vt t) {
  return (t & (VM_VT_REF | VM_VT_ABS)) == VM_VT_REF;
}
static inline uint32_t vm_vt_index(vm_vt t) {
  return t & VM_VT_INDEX_MASK;
}
/* The heap type part (VM_VT_ABS | code, or an index). */
static inline uint32_t vm_vt_heap(vm_vt t) {
  return t & (VM_VT_ABS | VM_VT_INDEX_MASK);
}
static inline vm_vt vm_vt_ref(bool nullable, uint32_t heap) {
  return VM_VT_REF | (nullable ? VM_VT_NULL : 0) | heap;
}

/* The vm_vt of a value type byte (funcref is (ref null func), ...). */
vm_vt vm_vt_of_byte(uint8_t b);
/* The byte of a vm_vt: what its slot holds (a function reference of any heap type is VM_FUNCREF). */
uint8_t vm_vt_lower(vm_vt t);
/* Whether a vm_vt says more than its byte (a non-null or typed reference, a bottom type). */
static inline bool vm_vt_typed(vm_vt t) {
  return t != vm_vt_of_byte(vm_vt_lower(t));
}
/* The full types of a table's elements and of a global (an embedder's leave vt 0: the byte's). */
static inline vm_vt vm_table_vt(const vm_tabletype *t) {
  return t->vt ? t->vt : vm_vt_of_byte(t->elemtype);
}
static inline vm_vt vm_global_vt(const vm_globaltype *g) {
  return g->vt ? g->vt : vm_vt_of_byte(g->type);
}
/* Type k of a function type (parameters, then results). */
static inline vm_vt vm_ft_vt(const vm_functype *ft, uint32_t k) {
  return ft->vts ? ft->vts[k] : vm_vt_of_byte(ft->types[k]);
}

/*
 * Read a value type (or, with `ref_only`, a reference type) of module `m`:
 * a type byte, or 0x63/0x64 and a heap type.  Typed references need the
 * function-references feature.  A type index is not checked here (an
 * unknown one is a validation error, not a malformed module: the caller
 * checks vm_vt_index_ok).  False with the reader's error.
 */
bool vm_read_vt(const vm_module *m, vm_reader *r, bool ref_only, vm_vt *out);
/* A heap type (ref.null's immediate): an abstract code (VM_VT_ABS | code) or a type index. */
bool vm_read_heap(const vm_module *m, vm_reader *r, uint32_t *heap);
/* Whether a type's index (if any) names one of `ntypes` types. */
static inline bool vm_vt_index_ok(vm_vt t, uint32_t ntypes) {
  return !vm_vt_concrete(t) || vm_vt_index(t) < ntypes;
}

/* Subtyping: a <: b, both of module m (types.c canonicalises m's types: vm_types_canon). */
bool vm_vt_sub(const vm_module *m, vm_vt a, vm_vt b);
/* ... a of module ma, b of module mb (either may be NULL when its type has no type index). */
bool vm_vt_sub_across(const vm_module *ma, vm_vt a, const vm_module *mb, vm_vt b);
/* Type i of ma and type j of mb are the same type (iso-recursive equivalence, each type its own
 * recursion group). */
bool vm_type_equiv(const vm_module *ma, uint32_t i, const vm_module *mb, uint32_t j);
/* After the type section: m->type_canon (each type's first equivalent index); false on out of memory. */
bool vm_types_canon(vm_module *m);

#endif
