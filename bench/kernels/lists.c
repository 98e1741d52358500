/* SPDX-License-Identifier: Apache-2.0 */
/*
 * lists: linked-list work in the manner of CoreMark's list benchmark: a list
 * of 2,000 nodes in a pool, searched, reversed and merge-sorted (by value,
 * then back by index) n times, with a CRC-16 of the values folded into the
 * checksum; pointer chasing and data-dependent branches.
 */
#include "kernel.h"

#define NODES 2000

typedef struct node {
  struct node *next;
  int16_t value;
  uint16_t idx;
} node;

static node pool[NODES];

static uint16_t crc16(uint16_t crc, uint16_t v) {
  for (int i = 0; i < 16; i++) {
    uint16_t bit = (uint16_t)((crc ^ (v >> i)) & 1);
    crc >>= 1;
    if (bit) crc ^= 0xA001;
  }
  return crc;
}

static node *find(node *l, int16_t v) {
  while (l && l->value != v)
    l = l->next;
  return l;
}

static node *reverse(node *l) {
  node *r = 0;
  while (l) {
    node *n = l->next;
    l->next = r;
    r = l;
    l = n;
  }
  return r;
}

static int by_value(const node *a, const node *b) {
  return a->value - b->value;
}
static int by_idx(const node *a, const node *b) {
  return (int)a->idx - (int)b->idx;
}

/* Bottom-up merge sort of a singly linked list. */
static node *msort(node *list, int (*cmp)(const node *, const node *)) {
  for (int k = 1;; k *= 2) {
    node *p = list, *tail = 0;
    list = 0;
    int merges = 0;
    while (p) {
      merges++;
      node *q = p;
      int psize = 0, qsize = k;
      for (int i = 0; i < k && q; i++) {
        psize++;
        q = q->next;
      }
      while (psize > 0 || (qsize > 0 && q)) {
        node *e;
        if (psize == 0) {
          e = q, q = q->next, qsize--;
        } else if (qsize == 0 || !q || cmp(p, q) <= 0) {
          e = p, p = p->next, psize--;
        } else {
          e = q, q = q->next, qsize--;
        }
        if (tail)
          tail->next = e;
        else
          list = e;
        tail = e;
      }
      p = q;
    }
    tail->next = 0;
    if (merges <= 1) return list;
  }
}

uint32_t bench_kernel(uint32_t n) {
  uint32_t seed = 12345, sum = 0;
  for (int i = 0; i < NODES; i++) {
    seed = seed * 1103515245u + 12345u;
    pool[i].value = (int16_t)(seed >> 16);
    pool[i].idx = (uint16_t)i;
    pool[i].next = i + 1 < NODES ? &pool[i + 1] : 0;
  }
  node *list = &pool[0];
  for (uint32_t it = 0; it < n; it++) {
    uint16_t crc = (uint16_t)it;
    for (int s = 0; s < 8; s++) {
      node *f = find(list, pool[(it * 7 + (uint32_t)s * 251) % NODES].value);
      crc = crc16(crc, f ? f->idx : 0xFFFF);
    }
    list = reverse(list);
    list = msort(list, by_value);
    int c = 0;
    for (node *p = list; p && c < 64; p = p->next, c++)
      crc = crc16(crc, (uint16_t)p->value);
    /* perturb the values a little so every round sorts different data */
    list->value = (int16_t)(list->value ^ (int16_t)it);
    list = msort(list, by_idx);
    sum = sum * 31u + crc;
  }
  return sum;
}

uint32_t bench_default_n(void) {
  return 1000;
}
