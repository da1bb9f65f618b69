// SPDX-License-Identifier: GPL-2.0
/* knat CLI: a minimal JSON writer. */
#include <stdio.h>
#include "json.h"

static int depth;
static int count[32];

static void sep(const char *key)
{
	if (count[depth]++)
		putchar(',');
	if (key)
		printf("\"%s\":", key);
}

void json_begin(char bracket, const char *key)
{
	if (depth > 0)
		sep(key);
	putchar(bracket);
	count[++depth] = 0;
}

void json_end(char bracket)
{
	putchar(bracket);
	depth--;
}

void json_str(const char *key, const char *val)
{
	const char *c;

	sep(key);
	putchar('"');
	for (c = val; *c; c++) {
		if (*c == '"' || *c == '\\')
			printf("\\%c", *c);
		else if ((unsigned char)*c < 0x20)
			printf("\\u%04x", *c);
		else
			putchar(*c);
	}
	putchar('"');
}

void json_uint(const char *key, uint64_t val)
{
	sep(key);
	printf("%llu", (unsigned long long)val);
}

void json_bool(const char *key, int val)
{
	sep(key);
	fputs(val ? "true" : "false", stdout);
}

void json_done(void)
{
	putchar('\n');
	depth = 0;
	count[0] = 0;
}
