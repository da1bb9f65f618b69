/* SPDX-License-Identifier: GPL-2.0 */
/* knat CLI: what every object's file shares. */
#ifndef KNAT_CLI_H
#define KNAT_CLI_H

#include <stdbool.h>
#include <stdio.h>
#include "nl.h"

#define KNAT_CLI_VERSION "0.4.0"

/* Exit codes (knat(8), EXIT STATUS). */
enum {
	EXIT_OK = 0,
	EXIT_FAIL = 1,		/* the kernel or the system refused */
	EXIT_USAGE = 2,		/* the command line is wrong */
	EXIT_DUMP_INTR = 3,	/* a dump was disturbed: run it again */
};

struct cli {
	bool json;
	const char *netns;
	bool save;		/* show prints the commands that recreate it */
	bool dry_run;		/* parse and build requests, send nothing */
	FILE *out;		/* where save output goes */
	struct knat_nl *session;	/* open: every request through it */
};

extern struct cli cli;

/* One object of the command line: "knat OBJECT ...". */
struct object {
	const char *name;
	int (*run)(int argc, char **argv);	/* argv[0] is the object */
	const char *summary;
};

/* Prints "knat: MSG" on stderr and returns EXIT_USAGE. */
int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/*
 * Opens the socket, sends @nlh (built in @nl), runs @cb on every reply
 * and closes: returns EXIT_OK or EXIT_FAIL (the error already printed).
 */
int cli_run(struct knat_nl *nl, struct nlmsghdr *nlh, mnl_cb_t cb, void *data);
/* cli_run for a dump, wrapped in a JSON array under -j. */
int cli_dump(struct knat_nl *nl, struct nlmsghdr *nlh, mnl_cb_t cb, void *data);

int cmd_version(int argc, char **argv);
int cmd_pool(int argc, char **argv);
int cmd_masquerade(int argc, char **argv);
int cmd_mapping(int argc, char **argv);
int cmd_forward(int argc, char **argv);
int cmd_static(int argc, char **argv);
int cmd_subscriber(int argc, char **argv);
int cmd_config(int argc, char **argv);
int cmd_stats(int argc, char **argv);
int cmd_monitor(int argc, char **argv);
int cmd_save(int argc, char **argv);
int cmd_restore(int argc, char **argv);
/* Runs "OBJECT ..." as the command line would. */
int cli_dispatch(int argc, char **argv);
/* Prints the namespace's configuration as knat commands into @f. */
int knat_save(FILE *f);
/* Applies a file of knat commands, all or nothing; @name for messages. */
int knat_restore(FILE *in, const char *name);

#endif
