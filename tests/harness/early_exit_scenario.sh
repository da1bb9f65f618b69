#!/bin/bash
# Deliberately cut-short scenario: an `exit 0` before its end must not pass.
. "$(dirname "$0")/../e2e/_lib.sh"
step "the first step runs"
exit 0
step "never reached"
