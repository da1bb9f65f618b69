# shellcheck shell=bash
# boot_guest: run one guest session and stream its TAP. Sourced by check.sh.
#
# boot_guest NAME KERNEL INITRD OUTDIR MEM
#   OUTDIR holds env.sh (written by the caller); the guest writes tap.log
#   (second serial port), console.log (kernel console) and rc into it.
#   The watchdog kills qemu when tap.log stops growing for KNAT_STALL
#   seconds or the run exceeds KNAT_GUEST_LIMIT seconds.

# Splats that fail a run wherever they appear in the console log.
SPLAT_RE='WARNING:|BUG:|Oops|general protection fault|Call Trace:|'\
'possible (circular|recursive) locking|inconsistent lock state|'\
'suspicious RCU usage|DEBUG_LOCKS_WARN_ON|locking correctness validator|'\
'KASAN|new suspected memory leak|scheduling while atomic|'\
'sleeping function called from invalid context|blocked for more than|'\
'detected stall|soft lockup|hard LOCKUP|Kernel panic|corruption|ODEBUG|'\
'UBSAN|refcount_t:'

# Number the guest's "ok - x" / "not ok - x" lines and record the counts.
tap_number() {
	local line status
	while IFS= read -r line; do
		line=${line%$'\r'}
		case $line in
		"ok - "*" # SKIP"*) status=skip ;;
		"ok - "*) status=pass ;;
		"not ok - "*) status=fail ;;
		*)
			printf '%s\n' "$line"
			continue
			;;
		esac
		echo "$status ${line#* - }" >> "$KNAT_RESULTS"
		printf '%s %d - %s\n' "${line%% - *}" "$(wc -l < "$KNAT_RESULTS")" \
			"${line#* - }"
	done
}

# A result decided on the host.
tap_result() { # tap_result STATUS NAME [DIAG]
	if [ "$1" = 0 ]; then echo "ok - $2"; else echo "not ok - $2"; fi |
		tap_number
	[ -n "${3:-}" ] && printf '%s\n' "$3" | sed 's/^/#   /'
	return 0
}

# kcsan_not_ours < CONSOLE: the "BUG: KCSAN:" line of each report no frame
# of which, title or stacks, is in knat or a *_test module; a title seen
# once with such a frame is ours wherever it recurs.
kcsan_not_ours() {
	awk '/BUG: KCSAN: / { n++; line[n] = $0; t = $0
			sub(/.*BUG: KCSAN: /, "", t); title[n] = t; cur = n }
		cur && /\[(knat|[a-z0-9_]*_test)[a-z0-9_]*( [0-9a-f]+)?\]/ {
			ours[title[cur]] = 1 }
		cur && /==========/ { cur = 0 }
		END { for (i = 1; i <= n; i++) if (!(title[i] in ours)) print line[i] }'
}

boot_guest() {
	local name=$1 kernel=$2 initrd=$3 out=$4 mem=$5 qpid wpid rc t0=$SECONDS
	rm -f "$out/tap.log" "$out/console.log" "$out/rc" "$out/hung"
	touch "$out/tap.log"
	echo "# booting $name guest ($(basename "$kernel"))"
	# no_timer_check: under a loaded TCG host the IO-APIC timer check can
	# miss its ticks and panic the boot ("IO-APIC + timer doesn't work").
	# pci=noacpi: the debug kernel spent 9 s per virtio device routing its
	# interrupt through ACPI (boot 16 s shorter with the BIOS's table).
	# -nodefaults: no CD-ROM, floppy or VGA to probe.
	# KNAT_QEMU_SMP, KNAT_QEMU_ARGS: make bench's instruction-counting
	# guest (one vCPU, -icount).
	# shellcheck disable=SC2086
	qemu-system-x86_64 -accel tcg -smp "${KNAT_QEMU_SMP:-2}" -m "$mem" -nodefaults \
		${KNAT_QEMU_ARGS:-} \
		-display none -monitor none -no-reboot -nic none \
		-kernel "$kernel" -initrd "$initrd" \
		-append "console=ttyS0 panic=-1 loglevel=6 no_hash_pointers no_timer_check pci=noacpi $KNAT_KERNEL_ARGS" \
		-virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap \
		-virtfs local,path="$out",mount_tag=outdir,security_model=none,multidevs=remap \
		-serial file:"$out/console.log" -serial file:"$out/tap.log" \
		> "$out/qemu.log" 2>&1 &
	qpid=$!
	(
		local size last=-1 idle=0 total=0
		while kill -0 "$qpid" 2>/dev/null; do
			sleep 5
			total=$((total + 5))
			size=$(stat -c %s "$out/tap.log")
			if [ "$size" = "$last" ]; then idle=$((idle + 5)); else idle=0; fi
			last=$size
			if [ "$idle" -ge "$KNAT_STALL" ] || [ "$total" -ge "$KNAT_GUEST_LIMIT" ]; then
				echo "no progress for ${idle}s after ${total}s" > "$out/hung"
				kill "$qpid" 2>/dev/null
				sleep 10
				kill -KILL "$qpid" 2>/dev/null
				break
			fi
		done
	) &
	wpid=$!
	tail -n +1 -F --pid="$qpid" "$out/tap.log" 2>/dev/null | tap_number
	# Killed by the watchdog, qemu's status is not 0: the verdict is below.
	wait "$qpid" || true
	wait "$wpid" || true
	echo "# $name guest: $((SECONDS - t0)) s from boot to power off"

	if [ -f "$out/hung" ]; then
		tap_result 1 "$name guest finished" \
			"guest hung ($(cat "$out/hung")); console: $out/console.log
$(tail -n 40 "$out/console.log")"
	elif [ ! -f "$out/rc" ]; then
		tap_result 1 "$name guest finished" \
			"guest stopped without an exit code (panic?); console: $out/console.log
$(tail -n 40 "$out/console.log")"
	else
		rc=$(cat "$out/rc")
		if [ "$rc" = 0 ]; then
			tap_result 0 "$name guest finished (runner exit code 0)"
		else
			tap_result 1 "$name guest finished (runner exit code $rc)"
		fi
	fi
	local splats ignored
	splats=$(grep -aE "$SPLAT_RE" "$out/console.log" || true)
	# KCSAN: a data race with no frame of knat or its tests in any of its
	# stacks (the core kernel's, not ours) is listed, not failed.
	if [ "$name" = kcsan ]; then
		ignored=$(kcsan_not_ours < "$out/console.log")
		if [ -n "$ignored" ]; then
			splats=$(grep -avxF -f <(printf '%s\n' "$ignored") <<< "$splats" || true)
			printf '# KCSAN outside knat (not failed):%s\n' \
				"$(sed 's/.*BUG: KCSAN: / /' <<< "$ignored" | sort | uniq -c | tr '\n' ';')"
		fi
	fi
	splats=$(head -n 40 <<< "$splats")
	if [ -n "$splats" ]; then
		tap_result 1 "$name kernel log has no splat" \
			"$splats
(full log: $out/console.log)"
	else
		tap_result 0 "$name kernel log has no splat"
	fi
}
