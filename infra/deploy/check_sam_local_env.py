"""Checks, with the SAM CLI's own resolver (no Docker needed), the environment `sam local invoke`
and `sam local start-api --env-vars infra/sam-local-env.json` give every function: each variable the
template declares has a non-empty local value, and the SDK points at the local servers.

Run with the deploy venv's Python: .local/deploy/bin/python infra/deploy/check_sam_local_env.py
"""
import json
import os
import sys

os.environ.setdefault("AWS_REGION", "us-east-1")
os.environ.setdefault("AWS_ACCESS_KEY_ID", "local")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "local")

from samcli.commands.local.lib.local_lambda import LocalLambdaRunner  # noqa: E402
from samcli.lib.providers.sam_function_provider import SamFunctionProvider  # noqa: E402
from samcli.lib.providers.sam_stack_provider import SamLocalStackProvider  # noqa: E402

stacks, _ = SamLocalStackProvider.get_stacks("template.yaml")
provider = SamFunctionProvider(stacks)
values = json.load(open("infra/sam-local-env.json"))
runner = LocalLambdaRunner(
    local_runtime=None,
    function_provider=provider,
    cwd=".",
    real_path=".",
    aws_region="us-east-1",
    env_vars_values=values,
)
problems = []
functions = list(provider.get_all())
for fn in functions:
    if fn.name not in values:
        problems.append(f"{fn.name}: no section in infra/sam-local-env.json (ferrocart sam-env)")
    env = runner._make_env_vars(fn).resolve()
    declared = (fn.environment or {}).get("Variables", {})
    for name in declared:
        if not env.get(name):
            problems.append(f"{fn.name}: {name} has no local value")
    for name, want in values["Parameters"].items():
        if env.get(name) != want:
            problems.append(f"{fn.name}: {name} = {env.get(name)!r}, want {want!r}")
    for name, want in values.get(fn.name, {}).items():
        if env.get(name) != want:
            problems.append(f"{fn.name}: {name} = {env.get(name)!r}, want {want!r}")
if problems:
    print("\n".join(problems))
    sys.exit(1)
print(f"sam local environment: {len(functions)} functions, every declared variable set, SDK on the local servers")
