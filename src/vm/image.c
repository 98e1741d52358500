/* SPDX-License-Identifier: Apache-2.0 */
/*
 * image.c - pre-initialised images (declared in vm.h): the state of an
 * instance after its initialisation (linear memory, globals, tables, which
 * segments are dropped), captured once, from which later instances of the
 * same module start instead of running the segments, the start function and
 * the embedder's init exports again (vm_instantiate_image, instance.c).
 *
 * Memory goes into an anonymous memory file (memfd) holding only the pages
 * that are not zero, sealed against any change; each instance maps it
 * private (copy-on-write) over the start of its own reservation, so a new
 * instance costs one mmap whatever the memory's size and touches only the
 * pages it writes.  Where the system refuses the file or the mapping, the
 * bytes are kept on the heap and copied into each instance instead.
 *
 * References are kept as function indices (0: null, i + 1: function i of
 * the instance), so they point into the new instance's functions.  An
 * instance can be captured when it owns its memory, tables and globals (it
 * imports functions only) and holds no non-null externref or exnref.
 */
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "util/mem.h"
#include "vm/store.h"

#define ZERO_CHUNK 4096u /* granularity of the zero pages left out of the file */

typedef struct image_table {
  uint32_t size;
  uint32_t *elems; /* size entries: 0 null, i + 1 function i */
} image_table;

struct vm_image {
  const vm_module *module;
  bool has_memory;
  uint32_t pages;    /* memory size at capture */
  uint64_t bytes;    /* pages * 64 KiB */
  uint64_t nonzero;  /* bytes in chunks that are not all zero */
  int fd;            /* memory file, or -1 */
  uint8_t *copy;     /* without a file: the memory's bytes */
  uint64_t *globals; /* module->nglobals pairs: value (refs as indices), a v128's high half */
  uint32_t ntables;
  image_table *tables; /* ntables (the module's) */
  uint8_t *elem_dropped;
  uint8_t *data_dropped;
};

void vm_image_free(vm_image *img) {
  if (!img) return;
  if (img->fd >= 0) mem_memfd_close(img->fd);
  mem_free(img->copy);
  if (img->tables)
    for (uint32_t i = 0; i < img->ntables; i++)
      mem_free(img->tables[i].elems);
  mem_free(img->tables);
  mem_free(img->globals);
  mem_free(img->elem_dropped);
  mem_free(img->data_dropped);
  mem_free(img);
}

/* A function reference of `inst` as 0 (null) or index + 1; false when it is not one of its functions. */
static bool ref_index(const vm_instance *inst, const void *ref, uint32_t *out) {
  const vm_module *m = inst->module;
  if (!ref) {
    *out = 0;
    return true;
  }
  const vm_func *f = ref;
  uint32_t nown = m->nfuncs - m->nimported_funcs;
  if (f >= inst->own_funcs && f < inst->own_funcs + nown) {
    *out = m->nimported_funcs + (uint32_t)(f - inst->own_funcs) + 1;
    return true;
  }
  for (uint32_t i = 0; i < m->nimported_funcs; i++)
    if (inst->funcs[i] == f) {
      *out = i + 1;
      return true;
    }
  return false;
}

static void *ref_of(const vm_instance *inst, uint64_t index) {
  return index ? inst->funcs[index - 1] : NULL;
}

static bool all_zero(const uint8_t *p, size_t n) {
  for (size_t i = 0; i < n; i += sizeof(uint64_t)) {
    uint64_t w;
    memcpy(&w, p + i, sizeof w);
    if (w) return false;
  }
  return true;
}

/* The memory's bytes into a sealed memory file; -1 when the system refuses. */
static int memory_file(const uint8_t *data, uint64_t bytes, uint64_t *nonzero) {
  int fd = mem_memfd("wapc-pre-init");
  if (fd < 0) return -1;
  bool ok = ftruncate(fd, (off_t)bytes) == 0;
  for (uint64_t off = 0; ok && off < bytes; off += ZERO_CHUNK) {
    if (all_zero(data + off, ZERO_CHUNK)) continue;
    /* Runs of non-zero chunks go in one write. */
    uint64_t end = off + ZERO_CHUNK;
    while (end < bytes && !all_zero(data + end, ZERO_CHUNK))
      end += ZERO_CHUNK;
    for (uint64_t at = off; ok && at < end;) {
      ssize_t w = pwrite(fd, data + at, (size_t)(end - at), (off_t)at);
      ok = w > 0;
      if (ok) at += (uint64_t)w;
    }
    *nonzero += end - off;
    off = end - ZERO_CHUNK;
  }
  /* Nothing may change the image once instances map it. */
  if (ok) ok = fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) == 0;
  if (!ok) {
    mem_memfd_close(fd);
    return -1;
  }
  return fd;
}

static vm_image *refuse(vm_image *img, vm_error *err, vm_result r, const char *why) {
  vm_image_free(img);
  vm_error_set(err, r, -1, -1, "%s", why);
  return NULL;
}

vm_image *vm_image_capture(vm_instance *inst, vm_error *err) {
  vm_error local;
  if (!err) err = &local;
  vm_error_clear(err);
  const vm_module *m = inst->module;
  if (m->nimported_tables || m->nimported_memories || m->nimported_globals)
    return refuse(NULL, err, VM_ERR_ARG, "the module imports a table, memory or global");
  if (m->nmemories > 1) return refuse(NULL, err, VM_ERR_ARG, "the module has more than one memory");
  vm_image *img = mem_calloc(1, sizeof *img);
  if (!img) return refuse(NULL, err, VM_ERR_NOMEM, "out of memory");
  img->module = m;
  img->fd = -1;
  size_t ng = m->nglobals ? m->nglobals : 1, nt = m->ntables ? m->ntables : 1;
  img->globals = mem_calloc(2 * ng, sizeof *img->globals);
  img->tables = mem_calloc(nt, sizeof *img->tables);
  img->ntables = img->tables ? m->ntables : 0;
  img->elem_dropped = mem_calloc(m->nelems ? m->nelems : 1, 1);
  img->data_dropped = mem_calloc(m->ndatas ? m->ndatas : 1, 1);
  if (!img->globals || !img->tables || !img->elem_dropped || !img->data_dropped)
    return refuse(img, err, VM_ERR_NOMEM, "out of memory");
  if (m->nelems) memcpy(img->elem_dropped, inst->elem_dropped, m->nelems);
  if (m->ndatas) memcpy(img->data_dropped, inst->data_dropped, m->ndatas);

  for (uint32_t i = 0; i < m->nglobals; i++) {
    const vm_global *g = inst->globals[i];
    uint64_t v = g->value;
    if (g->type.type == VM_EXTERNREF && v)
      return refuse(img, err, VM_ERR_ARG, "a global holds an external reference");
    if (g->type.type == VM_EXNREF && v) return refuse(img, err, VM_ERR_ARG, "a global holds an exception");
    if (g->type.type == VM_FUNCREF) {
      uint32_t k;
      if (!ref_index(inst, (const void *)(uintptr_t)v, &k))
        return refuse(img, err, VM_ERR_ARG, "a global holds a function of another instance");
      v = k;
    }
    img->globals[2 * i] = v;
    img->globals[2 * i + 1] = g->hi;
  }
  for (uint32_t i = 0; i < m->ntables; i++) {
    const vm_table *t = inst->tables[i];
    image_table *it = &img->tables[i];
    it->elems = mem_calloc(t->size ? t->size : 1, sizeof *it->elems);
    if (!it->elems) return refuse(img, err, VM_ERR_NOMEM, "out of memory");
    it->size = t->size;
    for (uint32_t k = 0; k < t->size; k++) {
      if (t->type.elemtype == VM_EXTERNREF && t->elems[k])
        return refuse(img, err, VM_ERR_ARG, "a table holds an external reference");
      if (t->type.elemtype == VM_EXNREF && t->elems[k])
        return refuse(img, err, VM_ERR_ARG, "a table holds an exception");
      if (t->type.elemtype == VM_FUNCREF && !ref_index(inst, t->elems[k], &it->elems[k]))
        return refuse(img, err, VM_ERR_ARG, "a table holds a function of another instance");
    }
  }
  const vm_memory *mem = inst->memory;
  if (mem) {
    img->has_memory = true;
    img->pages = mem->pages;
    img->bytes = mem->size;
    img->fd = img->bytes ? memory_file(mem->data, img->bytes, &img->nonzero) : -1;
    if (img->fd < 0 && img->bytes) {
      /* No memory file: keep the bytes (and copy them into each instance). */
      if (img->bytes > SIZE_MAX) return refuse(img, err, VM_ERR_NOMEM, "out of memory");
      img->copy = mem_malloc((size_t)img->bytes);
      if (!img->copy) return refuse(img, err, VM_ERR_NOMEM, "out of memory");
      memcpy(img->copy, mem->data, (size_t)img->bytes);
      img->nonzero = img->bytes;
    }
  }
  return img;
}

void vm_image_get_info(const vm_image *img, vm_image_info *out) {
  memset(out, 0, sizeof *out);
  if (!img) return;
  out->memory_bytes = img->bytes;
  out->stored_bytes = img->nonzero;
  out->copy_on_write = img->fd >= 0;
}

/* The image's memory contents into `mem`, already grown to the image's size and all zero. */
static vm_result apply_memory(const vm_image *img, vm_memory *mem, vm_error *err) {
  if (!img->bytes) return VM_OK;
  size_t len = (size_t)img->bytes;
  if (img->copy) {
    memcpy(mem->data, img->copy, len);
    return VM_OK;
  }
  int r = vm_memory_map_image(mem, img->fd, len);
  if (r == 1) return VM_OK;
  if (r < 0) return vm_error_set(err, VM_ERR_NOMEM, -1, -1, "cannot map the pre-initialised memory");
  /* The mapping was refused: read the file's bytes in instead. */
  for (size_t at = 0; at < len;) {
    ssize_t n = pread(img->fd, mem->data + at, len - at, (off_t)at);
    if (n <= 0) return vm_error_set(err, VM_ERR_NOMEM, -1, -1, "cannot read the pre-initialised memory");
    at += (size_t)n;
  }
  return VM_OK;
}

vm_result vm_image_apply(const vm_image *img, vm_instance *inst, vm_error *err) {
  const vm_module *m = inst->module;
  if (img->module != m) return vm_error_set(err, VM_ERR_ARG, -1, -1, "the image is of another module");
  for (uint32_t i = 0; i < m->nglobals; i++) {
    vm_global *g = inst->globals[i];
    uint64_t v = img->globals[2 * i];
    g->value = g->type.type == VM_FUNCREF ? (uint64_t)(uintptr_t)ref_of(inst, v) : v;
    g->hi = img->globals[2 * i + 1];
  }
  for (uint32_t i = 0; i < m->ntables; i++) {
    vm_table *t = inst->tables[i];
    const image_table *it = &img->tables[i];
    if (it->size > t->cap)
      return vm_error_set(err, VM_ERR_LIMIT, -1, -1,
                          "pre-initialised table of %u elements exceeds the limit of %u elements", it->size,
                          t->cap);
    if (it->size > t->size) { /* (the failure value depends on the index type: check the size) */
      (void)vm_table_grow(t, it->size - t->size, NULL);
      if (t->size < it->size) return vm_error_set(err, VM_ERR_NOMEM, -1, -1, "out of memory");
    }
    if (t->type.elemtype == VM_FUNCREF)
      for (uint32_t k = 0; k < it->size; k++)
        t->elems[k] = ref_of(inst, it->elems[k]);
  }
  if (m->nelems) memcpy(inst->elem_dropped, img->elem_dropped, m->nelems);
  if (m->ndatas) memcpy(inst->data_dropped, img->data_dropped, m->ndatas);
  vm_memory *mem = inst->memory;
  if (!img->has_memory || !mem) return VM_OK;
  if (img->pages > mem->cap_pages)
    return vm_error_set(err, VM_ERR_LIMIT, -1, -1,
                        "pre-initialised memory of %u pages exceeds the limit of %u pages", img->pages,
                        mem->cap_pages);
  if (img->pages > mem->pages && vm_memory_grow(mem, img->pages - mem->pages) == UINT32_MAX)
    return vm_error_set(err, VM_ERR_NOMEM, -1, -1, "cannot commit memory");
  return apply_memory(img, mem, err);
}
