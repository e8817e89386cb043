#!/bin/sh
# fuzz/run.sh SECONDS - placeholder (issue 6, helper fuzz).
echo "fuzz: not written yet"
