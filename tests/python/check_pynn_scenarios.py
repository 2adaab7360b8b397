"""Reads the JUnit XML of PyNN's scenarios run against pyNN.engram and checks it against
pynn_scenarios_not_passing.txt: every scenario outside the list passes, every one inside it
does not. Prints the count and one line per scenario not passing, with its message."""

import sys
import xml.etree.ElementTree as ET
from pathlib import Path

LIST = Path(__file__).with_name("pynn_scenarios_not_passing.txt")


def expected_not_passing():
    out = {}
    for line in LIST.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, why = line.split("|", 1)
            out[name.strip()] = why.strip()
    return out


def results(xml_path):
    """{file::test: (passed, message)} for the engram-parametrised scenarios."""
    out = {}
    for case in ET.parse(xml_path).getroot().iter("testcase"):
        name = case.get("name", "")
        if not name.endswith("[engram]"):
            continue
        module = case.get("classname", "").split(".")[-1]
        key = "%s.py::%s" % (module, name[: -len("[engram]")])
        problem = next((c for c in case if c.tag in ("failure", "error", "skipped")), None)
        message = "" if problem is None else (problem.get("message") or "").splitlines()[0:1]
        out[key] = (problem is None, message[0] if message else "")
    return out


def main(xml_path):
    expected = expected_not_passing()
    got = results(xml_path)
    passed = sorted(k for k, (ok, _) in got.items() if ok)
    print("PyNN 0.13.0 scenarios on pyNN.engram: %d of %d pass" % (len(passed), len(got)))
    wrong = []
    for key, (ok, message) in sorted(got.items()):
        if not ok:
            print("  not passing: %s: %s" % (key, message[:160]))
            if key not in expected:
                wrong.append("%s does not pass and is not listed: %s" % (key, message))
        elif key in expected:
            wrong.append("%s passes now: delete its line in %s" % (key, LIST.name))
    for key in expected:
        if key not in got:
            wrong.append("%s is listed but was not run" % key)
    docs = (Path(__file__).resolve().parents[2] / "docs" / "PYTHON.md").read_text()
    claim = "**%d of the %d scenarios pass.**" % (len(passed), len(got))
    if claim not in docs:
        wrong.append("docs/PYTHON.md does not say %s" % claim)
    for key in expected:
        if "`%s`" % key not in docs:
            wrong.append("docs/PYTHON.md does not list %s" % key)
    for w in wrong:
        print("error: " + w)
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
