/* SPDX-License-Identifier: Apache-2.0 */
/*
 * callback.c - a host callback that routes the guest's host calls on binding,
 * namespace and operation, and keeps state for them in its user pointer.
 *
 *   callback ROUTER_WASM   (examples/callback/router.wasm)
 *
 * The router guest turns a call of operation "NAMESPACE:OPERATION" into the
 * host call (binding "example", NAMESPACE, OPERATION, payload) and answers
 * with the host's response, or fails with "Host error: <message>".
 */
#include <wapc.h>

#include "../common/read_file.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The application state the callback serves, reached through `user`. */
typedef struct app {
  unsigned long counter;
  char buf[256];
} app;

typedef void (*handler)(app *a, const uint8_t *payload, size_t len, wapc_result *result);

static void text_upper(app *a, const uint8_t *payload, size_t len, wapc_result *result) {
  if (len > sizeof a->buf) {
    wapc_result_set_error(result, "payload too long");
    return;
  }
  for (size_t i = 0; i < len; i++)
    a->buf[i] = (char)toupper(payload[i]);
  wapc_result_set_bytes(result, a->buf, len); /* copied: a->buf may change afterwards */
}

static void text_reverse(app *a, const uint8_t *payload, size_t len, wapc_result *result) {
  if (len > sizeof a->buf) {
    wapc_result_set_error(result, "payload too long");
    return;
  }
  for (size_t i = 0; i < len; i++)
    a->buf[i] = (char)payload[len - 1 - i];
  wapc_result_set_bytes(result, a->buf, len);
}

static void counter_next(app *a, const uint8_t *payload, size_t len, wapc_result *result) {
  (void)payload;
  (void)len;
  int n = snprintf(a->buf, sizeof a->buf, "%lu", ++a->counter);
  wapc_result_set_bytes(result, a->buf, (size_t)n);
}

/* The routing table: (binding, namespace, operation) -> handler. */
static const struct route {
  const char *binding, *ns, *op;
  handler fn;
} routes[] = {
    {"example", "text", "upper", text_upper},
    {"example", "text", "reverse", text_reverse},
    {"example", "counter", "next", counter_next},
};

/*
 * The host callback.  The strings are NUL-terminated and borrowed, the
 * payload may point into guest memory: use them only during the callback.
 */
static void route_call(void *user, uint64_t host_id, wapc_str binding, wapc_str ns, wapc_str operation,
                       const uint8_t *payload, size_t payload_len, wapc_result *result) {
  (void)host_id;
  for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
    if (strcmp(binding.data, routes[i].binding) == 0 && strcmp(ns.data, routes[i].ns) == 0 &&
        strcmp(operation.data, routes[i].op) == 0) {
      routes[i].fn(user, payload, payload_len, result);
      return;
    }
  }
  char msg[200];
  snprintf(msg, sizeof msg, "no route for %s/%s/%s", binding.data, ns.data, operation.data);
  wapc_result_set_error(result, msg);
}

static void call(wapc_host *host, const char *op, const char *payload) {
  const uint8_t *resp;
  size_t resp_len;
  wapc_status st =
      wapc_host_call(host, op, strlen(op), (const uint8_t *)payload, strlen(payload), &resp, &resp_len);
  if (st == WAPC_OK)
    printf("%s(%s) -> %.*s\n", op, payload, (int)resp_len, (const char *)resp);
  else
    printf("%s(%s) -> %s: %s\n", op, payload, wapc_status_name(st), wapc_host_last_error(host));
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: callback ROUTER_WASM\n");
    return 2;
  }
  size_t len;
  unsigned char *module = read_file(argv[1], &len);
  if (!module) {
    perror(argv[1]);
    return 1;
  }
  app state = {0};
  wapc_host *host = NULL;
  wapc_status st = wapc_host_new_builtin(NULL, route_call, &state, &host, NULL, 0);
  if (st == WAPC_OK) st = wapc_host_load(host, module, len);
  free(module);
  if (st != WAPC_OK) {
    fprintf(stderr, "%s: %s\n", argv[1], host ? wapc_host_last_error(host) : wapc_status_str(st));
    wapc_host_free(host);
    return 1;
  }
  call(host, "text:upper", "hello, world");
  call(host, "text:reverse", "stressed");
  call(host, "counter:next", "");
  call(host, "counter:next", "");
  call(host, "text:rot13", "abc"); /* no route: the guest reports the host's error */
  printf("counter = %lu\n", state.counter);
  wapc_host_free(host);
  return 0;
}
