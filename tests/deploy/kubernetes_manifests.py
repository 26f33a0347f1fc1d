"""Prints the Kubernetes manifests given as one JSON array, for tests/deploy/kubernetes-test.cc to check.

Run by the validator's venv (.venv/kubernetes: PyYAML, the same YAML loader kubernetes-validate uses):
    .venv/kubernetes/bin/python tests/deploy/kubernetes_manifests.py deploy/kubernetes/*.yaml
Each document as loaded, plus "x-file" (the file's name) and, for a ConfigMap holding ttsd.toml, "x-ttsd-toml"
(the file parsed with Python's tomllib). Exits 1 with a message on unreadable YAML or TOML.
"""
import json
import os
import sys
import tomllib

import yaml


def main(paths):
    out = []
    for path in paths:
        with open(path, encoding="utf-8") as f:
            for doc in yaml.safe_load_all(f):
                if not doc:
                    continue
                doc["x-file"] = os.path.basename(path)
                toml = (doc.get("data") or {}).get("ttsd.toml") if doc.get("kind") == "ConfigMap" else None
                if toml is not None:
                    doc["x-ttsd-toml"] = tomllib.loads(toml)
                out.append(doc)
    json.dump(out, sys.stdout, indent=1, sort_keys=True)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except (OSError, yaml.YAMLError, tomllib.TOMLDecodeError) as e:
        print(f"kubernetes_manifests.py: {e}", file=sys.stderr)
        sys.exit(1)
