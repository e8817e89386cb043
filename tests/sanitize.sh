#!/bin/sh
# tests/sanitize.sh LIST [TEST...] - placeholder (issue 6, helper sanitize).
echo "sanitize: not written yet"
