#!/bin/bash
# Deliberately emptied scenario: it runs no step, so it must not pass.
