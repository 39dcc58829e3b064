#!/usr/bin/env bash
# The test command of README.md (and of CI): installs the test dependencies, starts a Docker engine
# (no bridge, no iptables: containers get --network none or host), runs every test of TinyImage.sln
# and ends with one line "N passed, N failed" read from the TRX results.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-test-deps.sh
scripts/start-docker.sh

results=$(mktemp -d)
trap 'rm -rf "$results"' EXIT
status=0
dotnet test TinyImage.sln -c Release --logger "trx;LogFileName=results.trx" --results-directory "$results" "$@" || status=$?

trx=$(find "$results" -name '*.trx' | head -n 1)
if [ -z "$trx" ]; then
  echo "0 passed, 0 failed (no test results were written; the build failed)"
  exit 1
fi
python3 - "$trx" <<'PY'
import sys, xml.etree.ElementTree as ET
ns = {"t": "http://microsoft.com/schemas/VisualStudio/TeamTest/2010"}
root = ET.parse(sys.argv[1]).getroot()
results = root.findall(".//t:UnitTestResult", ns)
passed = sum(1 for r in results if r.get("outcome") == "Passed")
failed = sum(1 for r in results if r.get("outcome") not in ("Passed",))
for r in results:
    if r.get("outcome") != "Passed":
        print(f"  {r.get('outcome')}: {r.get('testName')}")
print(f"{passed} passed, {failed} failed")
PY
exit $status
