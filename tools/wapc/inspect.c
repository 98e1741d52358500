/* SPDX-License-Identifier: Apache-2.0 */
/*
 * inspect.c - `wapc inspect MODULE` (inspect.h), through the public API only:
 * wapc_module_inspect, then the module's imports, exports, custom sections and
 * facts.
 */
#include "inspect.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "file.h"
#include "options.h"
#include "wapc.h"

const char wapc_inspect_usage[] =
    "Usage: wapc inspect [OPTIONS] MODULE\n"
    "\n"
    "Print what a WebAssembly module imports and exports (with their types),\n"
    "its memory, its custom sections, the waPC functions it uses and how much of\n"
    "it was compiled to machine code.  The module is validated but not run.\n"
    "\n"
    "Options:\n"
    "  --tier NAME   as for call: auto (default), interpreter, compiler\n"
    "  --wasm VERSION  as for call: 3.0 (default) or 2.0\n"
    "  -h, --help    print this help\n";

static const char *kind_name(uint32_t k) {
  switch (k) {
  case WAPC_EXTERN_FUNCTION: return "func";
  case WAPC_EXTERN_TABLE: return "table";
  case WAPC_EXTERN_MEMORY: return "memory";
  default: return "global";
  }
}

static void print_type(const wapc_module_item *it) {
  if (it->kind == WAPC_EXTERN_MEMORY || it->kind == WAPC_EXTERN_TABLE) {
    printf(" %llu", (unsigned long long)it->min);
    if (it->has_max)
      printf("..%llu", (unsigned long long)it->max);
    else
      printf("..");
    printf(" %s", it->kind == WAPC_EXTERN_MEMORY ? "pages" : "elements");
    if (it->kind == WAPC_EXTERN_TABLE) printf(" of %s", it->signature);
  } else {
    printf(" %s", it->signature);
  }
}

static bool is_wapc_import(const wapc_module_item *it) {
  return it->kind == WAPC_EXTERN_FUNCTION && ((it->module_len == 4 && memcmp(it->module, "wapc", 4) == 0) ||
                                              (it->module_len == 7 && memcmp(it->module, "wasmbus", 7) == 0));
}

int wapc_inspect_main(int argc, char **argv) {
  const char *path = NULL;
  wapc_builtin_options options;
  wapc_builtin_options_init(&options);
  for (int i = 0; i < argc; i++) {
    cli_parsed p;
    int r = cli_option_next(CLI_INSPECT, "inspect", argc, argv, &i, &p);
    if (r < 0) return 64;
    if (r > 0) {
      if (p.opt->id == OPT_HELP) return fputs(wapc_inspect_usage, stdout) < 0 ? 74 : 0;
      if (p.opt->id == OPT_WASM)
        options.wasm = (uint32_t)p.number;
      else
        options.tier = (uint32_t)p.number; /* OPT_TIER */
      continue;
    }
    if (strcmp(argv[i], "--") == 0 && i + 1 < argc && !path) {
      path = argv[++i];
    } else if (argv[i][0] == '-' && argv[i][1]) {
      return cli_usage_error("inspect", "unknown option", argv[i]);
    } else if (path) {
      return cli_usage_error("inspect", "too many arguments", argv[i]);
    } else {
      path = argv[i];
    }
  }
  if (!path) return cli_usage_error("inspect", "missing MODULE", NULL);
  size_t len = 0;
  uint8_t *bytes = cli_read_file(path, &len);
  if (!bytes) {
    fprintf(stderr, "wapc: %s: cannot read module: %s\n", path, strerror(errno));
    return 4;
  }
  wapc_module *m = NULL;
  char msg[512] = "";
  wapc_status st = wapc_module_inspect(&options, bytes, len, &m, msg, sizeof msg);
  free(bytes);
  if (st != WAPC_OK) {
    fprintf(stderr, "wapc: %s: %s\n", path, msg);
    return st == WAPC_ERR_NOMEM || st == WAPC_ERR_LIMIT ? 3 : 4;
  }
  wapc_module_info info;
  wapc_module_info_get(m, &info);
  printf("module: %s (%zu bytes)\n", path, len);
  printf("functions: %u (%u imported); code: %zu bytes", info.functions, info.imported_functions,
         info.code_bytes);
  if (info.machine_code_status[0])
    printf("; machine code: none (%s)\n", info.machine_code_status);
  else
    printf("; machine code: %u functions, %zu bytes\n", info.compiled_functions, info.machine_code_bytes);

  size_t ni = wapc_module_import_count(m), ne = wapc_module_export_count(m);
  printf("imports: %zu\n", ni);
  for (size_t i = 0; i < ni; i++) {
    wapc_module_item it;
    if (wapc_module_import(m, i, &it) != WAPC_OK) continue;
    printf("  %.*s.%.*s %s", (int)it.module_len, it.module, (int)it.name_len, it.name, kind_name(it.kind));
    print_type(&it);
    putchar('\n');
  }
  printf("exports: %zu\n", ne);
  bool guest_call = false, init = false;
  for (size_t i = 0; i < ne; i++) {
    wapc_module_item it;
    if (wapc_module_export(m, i, &it) != WAPC_OK) continue;
    printf("  %.*s %s", (int)it.name_len, it.name, kind_name(it.kind));
    print_type(&it);
    putchar('\n');
    if (it.kind == WAPC_EXTERN_FUNCTION && it.name_len == 12 && memcmp(it.name, "__guest_call", 12) == 0)
      guest_call = true;
    if (it.kind == WAPC_EXTERN_FUNCTION && it.name_len == 9 && memcmp(it.name, "wapc_init", 9) == 0)
      init = true;
  }
  size_t nc = wapc_module_custom_section_count(m);
  printf("custom sections: %zu\n", nc);
  for (size_t i = 0; i < nc; i++) {
    const char *name;
    size_t name_len, dlen;
    const uint8_t *data;
    if (wapc_module_custom_section(m, i, &name, &name_len, &data, &dlen) == WAPC_OK)
      printf("  %.*s (%zu bytes)\n", (int)name_len, name, dlen);
  }
  printf("waPC: %s%s; imports",
         guest_call ? "exports __guest_call" : "no __guest_call export (not a waPC guest)",
         init ? ", wapc_init" : "");
  size_t nw = 0;
  for (size_t i = 0; i < ni; i++) {
    wapc_module_item it;
    if (wapc_module_import(m, i, &it) != WAPC_OK || !is_wapc_import(&it)) continue;
    printf("%s %.*s", nw++ ? "," : "", (int)it.name_len, it.name);
  }
  printf("%s\n", nw ? "" : " none");
  wapc_module_free(m);
  return fflush(stdout) == 0 ? 0 : 74;
}
