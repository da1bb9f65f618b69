// SPDX-License-Identifier: GPL-2.0
/*
 * knat save / knat restore (knat -f FILE): the configuration as knat
 * commands, and back. A restore checks every line before it applies any,
 * and undoes what it applied when the kernel refuses a line: all or
 * nothing.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"

#define MAX_WORDS 64

/* The show commands whose save output, in this order, rebuilds it all. */
static char *const save_parts[][3] = {
	{ "config", "show", NULL },
	{ "pool", "show", NULL },		/* pools and masquerades */
	{ "forward", "show", NULL },
	{ "static", "show", NULL },
};

int knat_save(FILE *f)
{
	struct cli saved = cli;
	size_t i;
	int ret = EXIT_OK;

	cli.json = false;
	cli.save = true;
	cli.out = f;
	for (i = 0; i < sizeof(save_parts) / sizeof(save_parts[0]) && !ret; i++)
		ret = cli_dispatch(2, (char **)save_parts[i]);
	cli = saved;
	fflush(f);
	return ret;
}

int cmd_save(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "help")) {
		printf("Usage: knat save > FILE\n"
		       "Prints config, pools, masquerades, forwards and 1:1 entries as knat\n"
		       "commands; knat -f FILE (or knat restore < FILE) applies them.\n");
		return EXIT_OK;
	}
	if (argc > 1)
		return usage_error("save takes no arguments ('%s')", argv[1]);
	return knat_save(stdout);
}

int cmd_restore(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "help")) {
		printf("Usage: knat restore < FILE   (the same as knat -f FILE)\n");
		return EXIT_OK;
	}
	if (argc > 1)
		return usage_error("restore reads standard input ('%s')", argv[1]);
	return knat_restore(stdin, "<stdin>");
}

struct line {
	int no;
	int argc;
	char *argv[MAX_WORDS + 1];
};

/* Splits @text in place; drops a leading "knat" and a '#' comment. */
static int split(char *text, struct line *l)
{
	char *save, *w;

	l->argc = 0;
	text[strcspn(text, "#\n")] = 0;
	for (w = strtok_r(text, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
		if (l->argc == MAX_WORDS)
			return -1;
		l->argv[l->argc++] = w;
	}
	if (l->argc && !strcmp(l->argv[0], "knat"))
		memmove(l->argv, l->argv + 1, l->argc-- * sizeof(char *));
	l->argv[l->argc] = NULL;
	return 0;
}

/* What a restore file may hold: what knat save prints. */
static bool restorable(const struct line *l)
{
	static const char *const ok[][2] = {
		{ "pool", "add" }, { "masquerade", "add" }, { "forward", "add" },
		{ "static", "add" }, { "config", "set" },
	};
	size_t i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		if (l->argc >= 2 && !strcmp(l->argv[0], ok[i][0]) &&
		    !strcmp(l->argv[1], ok[i][1]))
			return true;
	return false;
}

/* The command that removes what save line @text made, into @l. */
static bool undo_of(char *text, struct line *l)
{
	char *dash;
	int i;

	if (split(text, l) < 0 || l->argc < 3 || strcmp(l->argv[1], "add"))
		return false;
	l->argv[1] = "del";
	if (!strcmp(l->argv[0], "pool")) {
		for (i = 2; i + 1 < l->argc && strcmp(l->argv[i], "name"); i++)
			;
		if (i + 1 >= l->argc)
			return false;
		l->argv[2] = l->argv[i + 1];
		l->argc = 3;
	} else if (!strcmp(l->argv[0], "masquerade")) {
		l->argc = 4;			/* masquerade del out IF */
	} else if (!strcmp(l->argv[0], "forward")) {
		dash = strchr(l->argv[3], '-');	/* the first outside port */
		if (dash)
			*dash = 0;
		l->argc = 4;
	} else {
		l->argc = 3;			/* static del OUT */
	}
	l->argv[l->argc] = NULL;
	return true;
}

static bool has_line(const char *text, const char *line)
{
	size_t n = strlen(line);
	const char *p;

	for (p = text; (p = strstr(p, line)); p += n)
		if ((p == text || p[-1] == '\n') && p[n] == '\n')
			return true;
	return false;
}

/*
 * Puts back the configuration saved as @before: removes what is there
 * now and was not then, and sets the settings as they were.
 */
static void roll_back(const char *before)
{
	char *now = NULL, *copy, *text, *save;
	size_t len = 0;
	struct line l;
	FILE *f;

	f = open_memstream(&now, &len);
	if (!f || knat_save(f) != EXIT_OK) {
		if (f)
			fclose(f);
		free(now);
		fprintf(stderr, "knat: could not read the configuration back to undo\n");
		return;
	}
	fclose(f);
	for (text = strtok_r(now, "\n", &save); text; text = strtok_r(NULL, "\n", &save)) {
		if (has_line(before, text))
			continue;
		if (undo_of(text, &l))
			cli_dispatch(l.argc, l.argv);
	}
	free(now);
	copy = strdup(before);
	for (text = strtok_r(copy, "\n", &save); text; text = strtok_r(NULL, "\n", &save))
		if (!strncmp(text, "config set ", 11) && split(text, &l) == 0)
			cli_dispatch(l.argc, l.argv);
	free(copy);
}

int knat_restore(FILE *in, const char *name)
{
	static struct knat_nl session;
	struct line *lines = NULL;
	char *buf = NULL, **texts = NULL, *before = NULL;
	size_t cap = 0, blen = 0;
	int n = 0, no = 0, i, ret = EXIT_OK;
	FILE *snap;

	/* Read and check it all: a wrong line anywhere applies nothing. */
	while (getline(&buf, &cap, in) >= 0) {
		no++;
		lines = realloc(lines, (n + 1) * sizeof(*lines));
		texts = realloc(texts, (n + 1) * sizeof(*texts));
		if (!lines || !texts) {
			fprintf(stderr, "knat: out of memory\n");
			return EXIT_FAIL;
		}
		texts[n] = strdup(buf);
		if (!texts[n] || split(texts[n], &lines[n]) < 0) {
			fprintf(stderr, "knat: %s:%d: line too long\n", name, no);
			return EXIT_USAGE;
		}
		if (!lines[n].argc)
			continue;
		lines[n].no = no;
		if (!restorable(&lines[n])) {
			fprintf(stderr, "knat: %s:%d: only pool, masquerade, forward and static add, and config set, may be restored\n",
				name, no);
			return EXIT_USAGE;
		}
		cli.dry_run = true;
		ret = cli_dispatch(lines[n].argc, lines[n].argv);
		cli.dry_run = false;
		if (ret != EXIT_OK) {
			fprintf(stderr, "knat: %s:%d: wrong; nothing was applied\n",
				name, no);
			return ret;
		}
		n++;
	}
	free(buf);

	snap = open_memstream(&before, &blen);
	if (!snap || knat_save(snap) != EXIT_OK) {
		if (snap)
			fclose(snap);
		return EXIT_FAIL;
	}
	fclose(snap);
	/* One socket for them all: 40,000 forwards are 40,000 requests. */
	knat_nl_init(&session);
	if (knat_nl_open(&session) == 0)
		cli.session = &session;
	for (i = 0; i < n; i++) {
		ret = cli_dispatch(lines[i].argc, lines[i].argv);
		if (ret == EXIT_OK)
			continue;
		fprintf(stderr, "knat: %s:%d: refused; undoing the %d line(s) before it\n",
			name, lines[i].no, i);
		/* A socket of its own each: none left with a reply unread. */
		cli.session = NULL;
		roll_back(before);
		break;
	}
	cli.session = NULL;
	knat_nl_close(&session);
	free(before);
	for (i = 0; i < n; i++)
		free(texts[i]);
	free(texts);
	free(lines);
	return ret;
}
