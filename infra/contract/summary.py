"""Per-route figures of a contract run (infra/contract/run.sh): requests sent (all phases), cases
generated in the fuzzing phase, statuses seen. Exit 1 if an operation of openapi.yaml was never
called or any answer was a 5xx. Run with the contract venv's Python (it has PyYAML)."""

import glob
import json
import sys
from collections import Counter, defaultdict

import yaml

out, examples = sys.argv[1], int(sys.argv[2])
requests = Counter()
fuzzed = Counter()
statuses = defaultdict(Counter)
for path in glob.glob(f"{out}/*/*.ndjson"):
    with open(path) as f:
        for line in f:
            event = json.loads(line)
            finished = event.get("ScenarioFinished")
            if not finished:
                continue
            recorder = finished["recorder"]
            cases = recorder.get("cases", {})
            for case_id, interaction in recorder.get("interactions", {}).items():
                request, response = interaction["request"], interaction.get("response")
                label = recorder["label"]
                if finished["phase"] == "stateful":
                    # A stateful scenario visits many operations; name each by its own request.
                    value = cases.get(case_id, {}).get("value", {})
                    label = f'{value.get("method", request["method"])} {value.get("path", "?")}'
                requests[label] += 1
                if finished["phase"] == "fuzzing":
                    fuzzed[label] += 1
                statuses[label][response["status_code"] if response else "none"] += 1

with open("openapi.yaml") as f:
    spec = yaml.safe_load(f)
operations = {f"{m.upper()} {p}" for p, ops in spec["paths"].items() for m in ops}

print(f"\nContract run: {sum(requests.values())} requests, {examples} cases asked per operation")
print(f"{'operation':<36} {'requests':>8} {'fuzzed':>7}  statuses")
failed = False
for label in sorted(operations | set(requests)):
    seen = " ".join(f"{s}:{n}" for s, n in sorted(statuses[label].items(), key=str))
    print(f"{label:<36} {requests[label]:>8} {fuzzed[label]:>7}  {seen}")
    if label in operations and not requests[label]:
        failed = True
        print(f"  {label}: never called")
    if any(isinstance(s, int) and s >= 500 for s in statuses[label]):
        failed = True
        print(f"  {label}: a 5xx answer")
sys.exit(1 if failed else 0)
