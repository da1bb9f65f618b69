// SPDX-License-Identifier: GPL-2.0
/* knat CLI: global options and the object dispatch table. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "cli.h"

struct cli cli;

static const struct object objects[] = {
	{ "version", cmd_version, "the CLI's and the loaded module's versions" },
};

int usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("knat: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs(" (see knat --help)\n", stderr);
	return EXIT_USAGE;
}

static int enter_netns(const char *name)
{
	char path[4096];
	int fd;

	if (strchr(name, '/'))
		snprintf(path, sizeof(path), "%s", name);
	else
		snprintf(path, sizeof(path), "/run/netns/%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "knat: -n %s: %s\n", name, strerror(errno));
		return -1;
	}
	if (setns(fd, CLONE_NEWNET) < 0) {
		fprintf(stderr, "knat: -n %s: setns: %s\n", name, strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

int cli_nl_open(struct knat_nl *nl)
{
	if (cli.netns && enter_netns(cli.netns) < 0)
		return -1;
	return knat_nl_open(nl);
}

static void help(FILE *f)
{
	size_t i;

	fprintf(f, "Usage: knat [-j] [-n NETNS] OBJECT [COMMAND] [ARGS]\n"
		   "       knat OBJECT help\n\n"
		   "Options:\n"
		   "  -j, --json      print JSON\n"
		   "  -n, --netns NS  act in network namespace NS (ip netns name or path)\n"
		   "  -h, --help      this text\n\nObjects:\n");
	for (i = 0; i < sizeof(objects) / sizeof(objects[0]); i++)
		fprintf(f, "  %-12s %s\n", objects[i].name, objects[i].summary);
}

int main(int argc, char **argv)
{
	size_t i;

	for (argc--, argv++; argc > 0 && argv[0][0] == '-'; argc--, argv++) {
		const char *opt = argv[0];

		if (!strcmp(opt, "-j") || !strcmp(opt, "--json")) {
			cli.json = true;
		} else if (!strcmp(opt, "-n") || !strcmp(opt, "--netns")) {
			if (argc < 2)
				return usage_error("%s needs a namespace name", opt);
			cli.netns = argv[1];
			argc--, argv++;
		} else if (!strcmp(opt, "-h") || !strcmp(opt, "--help")) {
			help(stdout);
			return EXIT_OK;
		} else {
			return usage_error("unknown option '%s'", opt);
		}
	}
	if (argc == 0) {
		help(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[0], "help")) {
		help(stdout);
		return EXIT_OK;
	}
	for (i = 0; i < sizeof(objects) / sizeof(objects[0]); i++)
		if (!strcmp(argv[0], objects[i].name))
			return objects[i].run(argc, argv);
	return usage_error("unknown object '%s'", argv[0]);
}
