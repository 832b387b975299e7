#!/usr/bin/env python3
"""Reads addon/Dockerfile and prints what the rehearsal needs as shell assignments.

The rehearsal takes everything it builds and starts from the Dockerfile itself (release, runtime
packages, the builder's `swift build` step, where the binary lands, ENTRYPOINT, CMD, WORKDIR,
HEALTHCHECK, EXPOSE), so it cannot drift from what Docker would build.
"""
import json
import re
import shlex
import sys


def instructions(text):
    """(keyword, argument) per instruction, continuation lines joined, comments dropped."""
    logical, current = [], ""
    for line in text.splitlines():
        stripped = line.strip()
        if not current and (not stripped or stripped.startswith("#")):
            continue
        if stripped.startswith("#"):
            continue  # a comment inside a continued instruction
        if stripped.endswith("\\"):
            current += stripped[:-1] + " "
            continue
        current += stripped
        logical.append(current)
        current = ""
    for entry in logical:
        keyword, _, argument = entry.partition(" ")
        yield keyword.upper(), argument.strip()


def expand(value, args):
    return re.sub(r"\$\{(\w+)\}|\$(\w+)", lambda m: args.get(m.group(1) or m.group(2), m.group(0)), value)


def exec_form(argument, what):
    try:
        value = json.loads(argument)
    except json.JSONDecodeError:
        sys.exit(f"addon/Dockerfile: {what} is not in exec form (a JSON array): {argument}")
    if not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
        sys.exit(f"addon/Dockerfile: {what} is not a JSON array of strings: {argument}")
    return value


def parse(text):
    args, stages, found = {}, [], {}
    for keyword, argument in instructions(text):
        if keyword == "ARG":
            name, _, default = argument.partition("=")
            if not stages:
                args[name] = default.strip('"')
            elif default:
                stages[-1]["args"][name] = default.strip('"')
        elif keyword == "FROM":
            parts = argument.split()
            name = parts[2] if len(parts) >= 3 and parts[1].upper() == "AS" else None
            stages.append({"image": expand(parts[0], args), "name": name, "runs": [], "args": {}, "copies": []})
        elif keyword == "RUN":
            stages[-1]["runs"].append(argument)
        elif keyword == "COPY":
            stages[-1]["copies"].append(argument)
        elif keyword in ("ENTRYPOINT", "CMD", "WORKDIR", "EXPOSE", "HEALTHCHECK"):
            found[keyword] = argument  # the last one wins, as in Docker
    return args, stages, found


def main(path):
    args, stages, found = parse(open(path, encoding="utf-8").read())
    if len(stages) < 2:
        sys.exit("addon/Dockerfile: expected a builder stage and a runtime stage")
    builder, runtime = stages[0], stages[-1]
    release = args.get("DEBIAN_RELEASE") or ""
    if not release:
        sys.exit("addon/Dockerfile: no ARG DEBIAN_RELEASE default")

    build_steps = [r for r in builder["runs"] if "swift build" in r]
    if len(build_steps) != 1:
        sys.exit("addon/Dockerfile: expected exactly one RUN with `swift build` in the builder stage")

    packages = []
    for run in runtime["runs"]:
        for command in run.split("&&"):
            words = shlex.split(command)
            if words[:2] == ["apt-get", "install"]:
                packages += [w for w in words[2:] if not w.startswith("-")]
    if not packages:
        sys.exit("addon/Dockerfile: the runtime stage installs no packages with apt-get install")

    copy = next((c for c in runtime["copies"] if c.startswith(f"--from={builder['name']}")), None)
    if copy is None:
        sys.exit("addon/Dockerfile: the runtime stage does not COPY from the builder")
    copy_from, copy_to = copy.split()[1:3]

    health = found.get("HEALTHCHECK", "")
    health_cmd = health.split(" CMD ", 1)[1] if " CMD " in health else ""
    timeout = re.search(r"--timeout=(\d+)s", health)
    if not health_cmd:
        sys.exit("addon/Dockerfile: no HEALTHCHECK ... CMD")

    values = {
        "DF_RELEASE": release,
        "DF_BUILDER_IMAGE": builder["image"],
        "DF_RUNTIME_IMAGE": runtime["image"],
        "DF_PACKAGES": " ".join(packages),
        "DF_BUILD_STEP": build_steps[0],
        "DF_COPY_FROM": copy_from,
        "DF_COPY_TO": copy_to,
        "DF_WORKDIR": found.get("WORKDIR", "/"),
        "DF_EXPOSE": found.get("EXPOSE", "").split("/")[0],
        "DF_HEALTHCHECK": health_cmd,
        "DF_HEALTHCHECK_TIMEOUT": timeout.group(1) if timeout else "30",
    }
    for key, value in values.items():
        print(f"{key}={shlex.quote(value)}")
    command = exec_form(found.get("ENTRYPOINT", "[]"), "ENTRYPOINT") + exec_form(found.get("CMD", "[]"), "CMD")
    print("DF_COMMAND=(" + " ".join(shlex.quote(w) for w in command) + ")")


if __name__ == "__main__":
    main(sys.argv[1])
