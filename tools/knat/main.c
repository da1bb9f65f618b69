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
#include "json.h"

struct cli cli;

static const struct object objects[] = {
	{ "pool", cmd_pool, "outside addresses and their port blocks" },
	{ "masquerade", cmd_masquerade, "a pool that follows an interface's address" },
	{ "forward", cmd_forward, "port forwards from outside to an inside host" },
	{ "static", cmd_static, "1:1 NAT: a whole outside address for one inside host" },
	{ "mapping", cmd_mapping, "NAT mappings: show, flush" },
	{ "subscriber", cmd_subscriber, "inside hosts holding port blocks, and their use" },
	{ "config", cmd_config, "timeouts, filtering, block size, limits" },
	{ "stats", cmd_stats, "counters, including every drop reason" },
	{ "save", cmd_save, "print the configuration as knat commands" },
	{ "restore", cmd_restore, "apply such commands from standard input, all or nothing" },
	{ "monitor", cmd_monitor, "follow block hand-outs and refusals (compliance log)" },
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

/* knat_nl_talk()'s answer as an exit status (-2: a dump was flagged). */
static int exit_of(int ret)
{
	if (ret == -2)
		return EXIT_DUMP_INTR;
	return ret < 0 ? EXIT_FAIL : EXIT_OK;
}

int cli_run(struct knat_nl *nl, struct nlmsghdr *nlh, mnl_cb_t cb, void *data)
{
	int ret;

	if (cli.dry_run)
		return EXIT_OK;
	if (cli.session)
		return exit_of(knat_nl_talk(cli.session, nlh, cb, data));
	if (knat_nl_open(nl) < 0)
		return EXIT_FAIL;
	ret = knat_nl_talk(nl, nlh, cb, data);
	knat_nl_close(nl);
	return exit_of(ret);	/* knat stats dumps the subscribers */
}

int cli_dump(struct knat_nl *nl, struct nlmsghdr *nlh, mnl_cb_t cb, void *data)
{
	int ret;

	if (knat_nl_open(nl) < 0)
		return EXIT_FAIL;
	if (cli.json)
		json_begin('[', NULL);
	ret = knat_nl_talk(nl, nlh, cb, data);
	knat_nl_close(nl);
	if (cli.json) {
		json_end(']');
		json_done();
	}
	return exit_of(ret);
}

static void help(FILE *f)
{
	size_t i;

	fprintf(f, "Usage: knat [-j] [-n NETNS] OBJECT [COMMAND] [ARGS]\n"
		   "       knat OBJECT help\n\n"
		   "Options:\n"
		   "  -j, --json      print JSON\n"
		   "  -n, --netns NS  act in network namespace NS (ip netns name or path)\n"
		   "  -f, --file FILE apply FILE's knat commands, all or nothing (knat save)\n"
		   "  -h, --help      this text\n\nObjects:\n");
	for (i = 0; i < sizeof(objects) / sizeof(objects[0]); i++)
		fprintf(f, "  %-12s %s\n", objects[i].name, objects[i].summary);
}

int cli_dispatch(int argc, char **argv)
{
	size_t i;

	for (i = 0; i < sizeof(objects) / sizeof(objects[0]); i++)
		if (!strcmp(argv[0], objects[i].name))
			return objects[i].run(argc, argv);
	return usage_error("unknown object '%s'", argv[0]);
}

int main(int argc, char **argv)
{
	const char *file = NULL;
	size_t i;

	cli.out = stdout;
	for (argc--, argv++; argc > 0 && argv[0][0] == '-'; argc--, argv++) {
		const char *opt = argv[0];

		if (!strcmp(opt, "-j") || !strcmp(opt, "--json")) {
			cli.json = true;
		} else if (!strcmp(opt, "-n") || !strcmp(opt, "--netns")) {
			if (argc < 2)
				return usage_error("%s needs a namespace name", opt);
			cli.netns = argv[1];
			argc--, argv++;
		} else if (!strcmp(opt, "-f") || !strcmp(opt, "--file")) {
			if (argc < 2)
				return usage_error("%s needs a file name", opt);
			file = argv[1];
			argc--, argv++;
		} else if (!strcmp(opt, "-h") || !strcmp(opt, "--help")) {
			help(stdout);
			return EXIT_OK;
		} else {
			return usage_error("unknown option '%s'", opt);
		}
	}
	/* "knat pool show -j" works as well as "knat -j pool show". */
	for (i = 0; i < (size_t)argc; i++) {
		if (strcmp(argv[i], "-j") && strcmp(argv[i], "--json"))
			continue;
		cli.json = true;
		memmove(&argv[i], &argv[i + 1], (argc - i) * sizeof(*argv));
		argc--;
		i--;
	}
	if (file) {
		FILE *in;
		int ret;

		if (argc)
			return usage_error("-f takes no object ('%s')", argv[0]);
		if (cli.netns && enter_netns(cli.netns) < 0)
			return EXIT_FAIL;
		in = strcmp(file, "-") ? fopen(file, "r") : stdin;
		if (!in) {
			fprintf(stderr, "knat: %s: %s\n", file, strerror(errno));
			return EXIT_FAIL;
		}
		ret = knat_restore(in, file);
		if (in != stdin)
			fclose(in);
		return ret;
	}
	if (argc == 0) {
		help(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[0], "help")) {
		help(stdout);
		return EXIT_OK;
	}
	/* Before parsing: interface names are the namespace's. */
	if (cli.netns && enter_netns(cli.netns) < 0)
		return EXIT_FAIL;
	return cli_dispatch(argc, argv);
}
