"""`casework bench …`: benchmarks that print figures (never timed tests)."""

import importlib

import click


@click.group("bench")
def bench() -> None:
    """Benchmarks: they print measurements, they do not pass or fail."""


# Each benchmark lives beside its feature and exposes a click command named COMMAND.
for _name in ("casework.cli.bench_engine", "casework.cli.bench_dashboard"):
    try:
        bench.add_command(importlib.import_module(_name).COMMAND)
    except ModuleNotFoundError as exc:
        if exc.name != _name:
            raise

COMMANDS = [bench]
