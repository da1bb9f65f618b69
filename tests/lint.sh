#!/usr/bin/env bash
# make lint: checkpatch --strict, and W=1 + sparse (C=1) builds against
# the stock Debian headers and the test kernel; any diagnostic fails.
set -euo pipefail
here=$(cd "$(dirname "$0")/vm" && pwd)
. "$here/lib.sh"
"$here/deps.sh"

status=0
srcver=$(dpkg-query -W -f='${Version}' linux-source-6.1)
src=$KNAT_CACHE/src/linux-source-$srcver
if [ ! -f "$src/.unpacked" ]; then
	mkdir -p "$src"
	tar -xf "$LINUX_SRC_TAR" -C "$src" --strip-components=1
	touch "$src/.unpacked"
fi

cd "$KNAT_TOP"
files=$(git ls-files 'module/*.[ch]' 'include/*.h' 'tests/kunit/*.[ch]' \
	'tests/bench/*.[ch]' 'tests/harness/*.c')
echo "# checkpatch --strict"
# shellcheck disable=SC2086
if ! "$src/scripts/checkpatch.pl" --strict --no-tree --quiet --show-types \
	--ignore SPDX_LICENSE_TAG,FILE_PATH_CHANGES -f $files; then
	status=1
fi

lint_build() { # lint_build NAME KDIR [make args]
	local name=$1 dst=$KNAT_BUILD/lint-$1 kdir=$2 out
	shift 2
	mkdir -p "$dst"
	rsync -a --delete --exclude=.build --exclude=.git "$KNAT_TOP/" "$dst/"
	echo "# W=1 C=1 build against $name kernel"
	out=$(make -C "$kdir" M="$dst" W=1 C=1 KNAT_HARNESS=m "$@" modules 2>&1) || status=1
	# Anything but the build's own progress lines is a diagnostic.
	out=$(grep -vE '^(make|  [A-Z]+ |Skipping BTF)' <<< "$out" || true)
	if [ -n "$out" ]; then
		echo "$out"
		status=1
	fi
	echo "# CLI with -Werror"
	make -s -C "$dst/tools/knat" CFLAGS="-O2 -Werror" >/dev/null || status=1
}
lint_build stock "$(stock_kdir)"
kdir=$(flavour_dir debug)
if [ -f "$kdir/.done" ]; then
	# The microbenchmarks need knat's KUnit exports: test kernel only.
	lint_build test "$kdir/build" KNAT_BENCH=m
else
	echo "# test kernel not built yet: run make check first"
	status=1
fi
if command -v shellcheck >/dev/null; then
	echo "# shellcheck"
	shellcheck -x -S warning tests/vm/*.sh tests/e2e/*.sh tests/harness/*.sh \
		tests/demo/*.sh tests/lint.sh .ci/run tools/knat/knat.bash-completion || status=1
fi
[ $status = 0 ] && echo "lint: clean"
exit $status
