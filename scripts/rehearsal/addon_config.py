#!/usr/bin/env python3
"""Reads addon/config.yaml for the rehearsal, as the Supervisor would.

  addon_config.py facts CONFIG
      prints shell assignments: STOP_TIMEOUT (the add-on's `timeout`, the Supervisor's default 10)
      and MAPS, one "kind:rw|ro" per `map` entry (both the {type, read_only} and the "share:rw" form)
  addon_config.py options CONFIG OUT defaults|filled DB_HOST DB_PASS
      writes OUT (/data/options.json) from `options` as the Supervisor saves them; `filled` adds
      what a user types on the Configuration tab: where Immich's database is, and its password
"""
import json
import shlex
import sys

import yaml


def facts(config):
    maps = []
    for entry in config.get("map", []):
        if isinstance(entry, str):
            kind, _, mode = entry.partition(":")
            writable = mode == "rw"
        else:
            kind, writable = entry["type"], not entry.get("read_only", True)
        maps.append(kind + (":rw" if writable else ":ro"))
    print(f"STOP_TIMEOUT={int(config.get('timeout', 10))}")
    print("MAPS=(" + " ".join(shlex.quote(m) for m in maps) + ")")


def options(config, out, mode, db_host, db_pass):
    values = dict(config["options"])
    if mode == "filled":
        values.update({"db_host": db_host, "db_pass": db_pass})
    unset = [k for k, v in values.items() if v is None]
    if unset:
        sys.exit(f"addon/config.yaml: options {unset} are null: the Supervisor would refuse to start the add-on")
    with open(out, "w", encoding="utf-8") as f:
        json.dump(values, f, indent=2)


if __name__ == "__main__":
    command, path = sys.argv[1], sys.argv[2]
    with open(path, encoding="utf-8") as f:
        loaded = yaml.safe_load(f)
    if command == "facts":
        facts(loaded)
    else:
        options(loaded, *sys.argv[3:7])
