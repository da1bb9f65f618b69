#!/bin/bash
# Deliberately skipping scenario that is not declared optional: a skip
# must turn the run red.
. "$(dirname "$0")/../e2e/_lib.sh"
step "a setup that gives up"
skip "pretending a tool is missing"
