/* SPDX-License-Identifier: Apache-2.0 */
/*
 * status.c - the status codes' strings and the library version.  Both tables
 * are generated from WAPC_STATUS_LIST in wapc.h, so the enum, its
 * descriptions and its names cannot drift apart.
 */
#include "wapc.h"

const char *wapc_version(void) {
  return WAPC_VERSION_STRING;
}

const char *wapc_status_str(wapc_status status) {
  switch (status) {
#define WAPC_STATUS_STR_(name, value, desc)                                                                  \
  case WAPC_##name: return desc;
    WAPC_STATUS_LIST(WAPC_STATUS_STR_)
#undef WAPC_STATUS_STR_
  }
  return "unknown status";
}

const char *wapc_status_name(wapc_status status) {
  switch (status) {
#define WAPC_STATUS_NAME_(name, value, desc)                                                                 \
  case WAPC_##name: return "WAPC_" #name;
    WAPC_STATUS_LIST(WAPC_STATUS_NAME_)
#undef WAPC_STATUS_NAME_
  }
  return "WAPC_UNKNOWN";
}
