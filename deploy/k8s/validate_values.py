#!/usr/bin/env python3
"""Validates Zero to JupyterHub values as helm does: the chart's own values.yaml with ours merged
over it (maps merged key by key, a null removes a default), checked against the chart's
values.schema.json (JSON Schema draft 7). Prints one line per error, `path: message`, sorted
(prefixed with `FILE: ` when given several files); exit status 1 when there is any.

    validate_values.py [--chart DIR] VALUES.yaml...   (default DIR: testdata/z2jh-2.0.0 here)
    validate_values.py --json VALUES.yaml             print VALUES.yaml as JSON (for the Go test)

Needs Debian's python3-yaml and python3-jsonschema (scripts/setup-deps.sh --test).
"""
import json
import os
import sys

import jsonschema
import yaml


def merge(base, over):
    """helm's coalesce of user values over chart defaults."""
    out = dict(base)
    for k, v in (over or {}).items():
        if v is None:
            out.pop(k, None)
        elif isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = merge(out[k], v)
        else:
            out[k] = v
    return out


def errors(path, schema, defaults):
    with open(path) as f:
        ours = yaml.safe_load(f)
    if not isinstance(ours, dict):
        return ["(top): not a YAML mapping"]
    return sorted(
        ("/".join(str(p) for p in e.absolute_path) or "(top)") + ": " + e.message
        for e in jsonschema.Draft7Validator(schema).iter_errors(merge(defaults, ours))
    )


def main():
    args = sys.argv[1:]
    if len(args) == 2 and args[0] == "--json":
        with open(args[1]) as f:
            json.dump(yaml.safe_load(f), sys.stdout)
        return 0
    chart = os.path.join(os.path.dirname(os.path.abspath(__file__)), "testdata", "z2jh-2.0.0")
    if len(args) >= 2 and args[0] == "--chart":
        chart, args = args[1], args[2:]
    if not args:
        sys.exit(__doc__.strip().split("\n\n")[1])
    with open(os.path.join(chart, "values.schema.json")) as f:
        schema = json.load(f)
    with open(os.path.join(chart, "values.yaml")) as f:
        defaults = yaml.safe_load(f)
    jsonschema.Draft7Validator.check_schema(schema)
    bad = 0
    for path in args:
        errs = errors(path, schema, defaults)
        bad += len(errs)
        for e in errs:
            print(f"{path}: {e}" if len(args) > 1 else e)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
