#!/usr/bin/env bash
# _skew_cli.sh TREE: builds, from TREE's sources, the CLIs of another
# release and of another netlink family version that cli_errors.sh runs
# (knat version's mismatch paths), into TREE/tools/knat/skew/:
#   knat-release  KNAT_CLI_VERSION "0.0.1-skew" (cli.h)
#   knat-family   KNAT_GENL_VERSION + 1 (linux/knat.h): its requests
#                 carry that version too.
# Run by make check on the host (tests/vm/check.sh): gcc in a TCG guest
# takes minutes per file.
set -euo pipefail
tree=$1 out=$1/tools/knat/skew
rm -rf "$out"
# skew NAME FILE DEFINE VALUE: TREE's CLI with #define DEFINE VALUE in
# FILE (a path in TREE), as out/knat-NAME.
skew() {
	local d
	d=$(mktemp -d)
	mkdir -p "$d/tools" "$d/include/uapi"
	cp -r "$tree/tools/knat" "$d/tools/"
	cp -r "$tree/include/uapi/linux" "$d/include/uapi/"
	make -s -C "$d/tools/knat" clean
	sed -i -E "s/^#define $3([[:space:]]+).*/#define $3\\1$4/" "$d/$2"
	grep -qE "^#define $3[[:space:]]+$4\$" "$d/$2" || {
		echo "_skew_cli.sh: no #define $3 in $2" >&2
		exit 1
	}
	make -s -C "$d/tools/knat" CFLAGS="-O0 -g0" knat
	mkdir -p "$out"
	mv "$d/tools/knat/knat" "$out/knat-$1"
	rm -rf "$d"
}
genl=$(sed -nE 's/^#define KNAT_GENL_VERSION[[:space:]]+([0-9]+)$/\1/p' \
	"$tree/include/uapi/linux/knat.h")
[ -n "$genl" ] || { echo "_skew_cli.sh: no KNAT_GENL_VERSION" >&2; exit 1; }
skew release tools/knat/cli.h KNAT_CLI_VERSION '"0.0.1-skew"'
skew family include/uapi/linux/knat.h KNAT_GENL_VERSION $((genl + 1))
