"""`casework bench …`: benchmarks that print figures (never timed tests)."""

import click

from casework.optional import import_optional


@click.group("bench")
def bench() -> None:
    """Benchmarks: they print measurements, they do not pass or fail."""


# Each benchmark lives beside its feature and exposes a click command named COMMAND.
for _name in ("casework.cli.bench_engine", "casework.cli.bench_dashboard"):
    if (_module := import_optional(_name)) is not None:
        bench.add_command(_module.COMMAND)

COMMANDS = [bench]
