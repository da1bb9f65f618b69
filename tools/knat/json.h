/* SPDX-License-Identifier: GPL-2.0 */
/* knat CLI: a minimal JSON writer to stdout (commas handled for you). */
#ifndef KNAT_JSON_H
#define KNAT_JSON_H

#include <stdint.h>

void json_begin(char bracket, const char *key);	/* '{' or '[' */
void json_end(char bracket);
void json_str(const char *key, const char *val);
void json_uint(const char *key, uint64_t val);
void json_bool(const char *key, int val);
void json_done(void);				/* the final newline */

#endif
