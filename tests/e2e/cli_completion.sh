#!/bin/bash
# bash completion (tools/knat/knat.bash-completion): objects, commands,
# keywords, config keys, and interface names of the namespace given to -n.
. "$(dirname "$0")/_lib.sh"
[ -r /usr/share/bash-completion/bash_completion ] ||
	fail "bash-completion not installed (tests/vm/deps.sh installs it)"
ns_add "$RTR"
ip -n "$RTR" link add wan7 type dummy
COMP=$(dirname "$0")/../../tools/knat/knat.bash-completion

complete_for() { # complete_for WORDS...: what TAB offers after them
	bash -c '. /usr/share/bash-completion/bash_completion; . "$0"
		COMP_WORDS=("${@}"); COMP_CWORD=$(($# - 1))
		COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
		_knat; echo "${COMPREPLY[*]}"' "$COMP" "$@"
}

step "objects, commands and keywords"
expect_eq "knat po" "$(complete_for knat po)" "pool"
expect_eq "knat su" "$(complete_for knat su)" "subscriber"
expect_eq "knat subscriber show" "$(complete_for knat subscriber show "")" "pool inside -j"
expect_eq "knat mapping" "$(complete_for knat mapping "")" "show flush help -j"
expect_eq "knat forward add" "$(complete_for knat forward add "")" "tcp udp"
expect_eq "knat config set ic" "$(complete_for knat config set ic)" "icmp-rate icmp-burst"
expect_eq "knat config set filtering" "$(complete_for knat config set filtering "")" "eif adf apdf"
expect_eq "interfaces of -n's namespace" \
	"$(complete_for knat -n "$RTR" pool add 203.0.113.1 out w)" "wan7"
# All but the last character: a scenario running alongside has the same
# "rtr-cli-" prefix.
expect_eq "namespaces" "$(complete_for knat -n "${RTR%?}")" "$RTR"
