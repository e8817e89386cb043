# SPDX-License-Identifier: MIT
# tests/integration/files/unittest_results.py - one line per test from the
# verbose output of `python3 -m test -v` (unittest's TextTestRunner).
#
#   unittest_results.py OUTPUT
#
# Prints, sorted, "TEST-DESCRIPTION<TAB>RESULT" for every test (and every
# failed subtest) the output reports, RESULT being one of ok, FAIL, ERROR,
# expected-failure, unexpected-success, or "skipped REASON".  Progress lines
# look like
#   testFoo (test.test_socket.SomeTest.testFoo) ... ok
#   testBar (test.test_socket.SomeTest.testBar) ... skipped 'why'
#     testBaz (test.test_socket.SomeTest.testBaz) (x=1) ... FAIL
# and the result may land on a later line, or the line start with the end of
# a traceback, when another thread wrote to the stream meanwhile; the summary blocks at the end ("FAIL: DESCRIPTION",
# "ERROR: DESCRIPTION") are taken too, for tests, setUpClass and the like
# that the progress lines do not name.
import re
import sys

PROGRESS = re.compile(r"(?<!\w)(\w+ \([\w.]+\)(?: \(.*\))?) \.\.\. ?(.*)$")
RESULT = re.compile(r"(ok|FAIL|ERROR|expected failure|unexpected success|"
                    r"skipped(?: .*)?)$")
SUMMARY = re.compile(r"^(FAIL|ERROR): (\S+ \(.+\))$")

results = {}
pending = None
with open(sys.argv[1], encoding="utf-8", errors="replace") as f:
    for raw in f:
        line = raw.rstrip("\n")
        m = SUMMARY.match(line)
        if m:
            results.setdefault(m.group(2), m.group(1))
            continue
        m = PROGRESS.search(line)
        if m:
            desc, rest = m.group(1), m.group(2)
            r = RESULT.search(rest)
            if r:
                results[desc] = r.group(1)
                pending = None
            else:
                pending = desc
            continue
        if pending is not None:
            r = RESULT.match(line.strip())
            if r:
                results[pending] = r.group(1)
                pending = None
if pending is not None:
    results[pending] = "no-result"
for desc in sorted(results):
    res = results[desc].replace("expected failure", "expected-failure")
    res = res.replace("unexpected success", "unexpected-success")
    print("%s\t%s" % (desc, res))
