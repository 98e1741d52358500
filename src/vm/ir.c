/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ir.c - facts about the internal instruction set (ir.h): names and operand
 * formats of every op, generated from the ir.def / numops.def X-macros, the
 * length of an encoded instruction, and a disassembler for debugging and
 * tests.  It owns no state; the instruction set itself is defined by ir.h.
 */
#include "vm/ir.h"

#include <inttypes.h>
#include <pthread.h>

#include "vm/module.h"

static const char *const op_names[VM_OP_COUNT] = {
#define VM_IROP(name, fmt) #name,
#include "vm/ir.def"
#undef VM_IROP
#define VM_NUMOP(name, fmt, in1, in2, out, size) #name,
#include "vm/numops.def"
#undef VM_NUMOP
#define VM_FUSED_NAME(A, B) "F_" #A "_" #B,
    VM_I32_FUSED(VM_FUSED_NAME)
#undef VM_FUSED_NAME
#define VM_FUSED_NAME(A, B) "FD_" #A "_" #B,
        VM_F64_FUSED(VM_FUSED_NAME)
#undef VM_FUSED_NAME
};

static const uint8_t op_formats[VM_OP_COUNT] = {
#define VM_IROP(name, fmt) fmt,
#include "vm/ir.def"
#undef VM_IROP
#define VM_NUMOP(name, fmt, in1, in2, out, size) fmt,
#include "vm/numops.def"
#undef VM_NUMOP
#define VM_FUSED_FMT(A, B) VM_FUSED_FORMAT,
    VM_I32_FUSED(VM_FUSED_FMT) VM_F64_FUSED(VM_FUSED_FMT)
#undef VM_FUSED_FMT
};

/* Words per format, opcode included; FMT_BRTABLE is variable (0 here). */
static const uint8_t format_words[] = {
#define FORMAT_WORDS(name, operands) [name] = name == FMT_BRTABLE ? 0 : name##_WORDS,
    VM_FORMATS(FORMAT_WORDS)
#undef FORMAT_WORDS
};

const char *vm_op_name(vm_op op) {
  return (unsigned)op < VM_OP_COUNT ? op_names[op] : "?";
}

vm_format vm_op_format(vm_op op) {
  return (unsigned)op < VM_OP_COUNT ? (vm_format)op_formats[op] : FMT_NONE;
}

static uint32_t op_words(vm_op op, const vm_word *code) {
  vm_format f = vm_op_format(op);
  if (f == FMT_BRTABLE) return 4 + code[2];
  return format_words[f];
}

uint32_t vm_instr_words(const vm_word *code) {
  return op_words((vm_op)code[0], code);
}

/* Operand letters per format, in word order after the opcode. */
static const char *const format_operands[] = {
#define FORMAT_OPERANDS(name, operands) [name] = operands,
    VM_FORMATS(FORMAT_OPERANDS)
#undef FORMAT_OPERANDS
};

static vm_op_info op_infos[VM_OP_COUNT];
static pthread_once_t op_infos_once = PTHREAD_ONCE_INIT;

static void build_op_infos(void) {
  for (unsigned op = 0; op < VM_OP_COUNT; op++) {
    vm_format f = vm_op_format((vm_op)op);
    vm_op_info *in = &op_infos[op];
    in->words = format_words[f];
    if (f == FMT_BRTABLE) {
      in->smask = 1;
      continue;
    }
    const char *ops = format_operands[f];
    for (unsigned i = 0; ops[i]; i++) {
      if (ops[i] == 'd') in->dmask |= (uint8_t)(1u << i);
      if (ops[i] == 's') in->smask |= (uint8_t)(1u << i);
      if (ops[i] == 't') in->tmask |= (uint8_t)(1u << i);
    }
  }
}

const vm_op_info *vm_op_infos(void) {
  pthread_once(&op_infos_once, build_op_infos);
  return op_infos;
}

const char *vm_format_operands(vm_format f) {
  return (unsigned)f < sizeof format_operands / sizeof format_operands[0] ? format_operands[f] : "";
}

void vm_disasm(const vm_code *c, FILE *out) {
  fprintf(out,
          "; params %" PRIu32 " results %" PRIu32 " locals %" PRIu32 " slots %" PRIu32 " words %" PRIu32 "\n",
          c->nparams, c->nresults, c->nlocals, c->nslots, c->ncode);
  uint32_t pc = 0;
  while (pc < c->ncode) {
    const vm_word *w = c->code + pc;
    vm_op op = vm_ir_op(w[0]);
    if (op >= VM_OP_COUNT) {
      fprintf(out, "%6" PRIu32 ": <bad op %" PRIu32 ">\n", pc, w[0]);
      return;
    }
    uint32_t n = op_words(op, w);
    if (n > c->ncode - pc) {
      fprintf(out, "%6" PRIu32 ": <truncated %s>\n", pc, vm_op_name(op));
      return;
    }
    fprintf(out, "%6" PRIu32 ": %s", pc, vm_op_name(op));
    vm_format f = vm_op_format(op);
    if (f == FMT_BRTABLE) {
      fprintf(out, " s%" PRIu32 " [", w[1]);
      for (uint32_t i = 0; i <= w[2]; i++)
        fprintf(out, "%s@%" PRIu32, i ? (i == w[2] ? " | " : " ") : "", w[3 + i]);
      fputc(']', out);
    } else {
      const char *ops = format_operands[f];
      for (uint32_t i = 0; ops[i]; i++) {
        switch (ops[i]) {
        case 'd': fprintf(out, " -> s%" PRIu32, w[1 + i]); break;
        case 's': fprintf(out, " s%" PRIu32, w[1 + i]); break;
        case 't': fprintf(out, " @%" PRIu32, w[1 + i]); break;
        case 'f': fprintf(out, " f%" PRIu32, w[1 + i]); break;
        case 'o': fprintf(out, " +%" PRIu32, w[1 + i]); break;
        default: fprintf(out, " #%" PRIu32, w[1 + i]); break;
        }
      }
    }
    fputc('\n', out);
    pc += n;
  }
}
