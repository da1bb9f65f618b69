#!/bin/bash
# PID 1 in the guest. Sets up the minimal system, runs the test runner
# with its TAP going to the second serial port (the host streams it),
# writes the exit code to the shared directory and powers off.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root LANG=C.UTF-8
. /knat-out/env.sh
mount -t tmpfs -o mode=1777 tmpfs /tmp
mount -t tmpfs tmpfs /run
mount -t debugfs debugfs /sys/kernel/debug
mkdir -p /dev/pts && mount -t devpts devpts /dev/pts
# devtmpfs lacks these; bash's process substitution needs /dev/fd.
ln -sfn /proc/self/fd /dev/fd
ln -sfn /proc/self/fd/0 /dev/stdin
ln -sfn /proc/self/fd/1 /dev/stdout
ln -sfn /proc/self/fd/2 /dev/stderr
ip link set lo up
# The test kernel's own modules (conntrack, nftables...) live in the cache.
if [ -n "${KNAT_MODULES_DIR:-}" ]; then
	mkdir -p "/lib/modules/$(uname -r)"
	mount --bind "$KNAT_MODULES_DIR" "/lib/modules/$(uname -r)"
fi
hostname knat-guest
stty -F /dev/ttyS1 raw -echo 2>/dev/null
"${KNAT_GUEST_RUNNER:-$KNAT_TOP/tests/vm/guest-tests.sh}" > /dev/ttyS1 2>&1 < /dev/null
echo $? > /knat-out/rc
sync
# A pipe to wait on with read's timeout: after the sysrq, an exec may
# fail (the machine is going down: "sleep: command not found"), and if
# PID 1 exits the kernel panics before it powers off. Builtins only.
exec {nap}<> <(:)
echo o > /proc/sysrq-trigger
while :; do read -r -t 30 -u "$nap" _; done
