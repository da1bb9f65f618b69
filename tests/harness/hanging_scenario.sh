#!/bin/bash
# Deliberately hanging scenario: the per-scenario time limit must end it.
sleep 100000
