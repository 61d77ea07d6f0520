"""`casework bench …`: benchmarks that print figures (never timed tests)."""

import click

from casework.cli import bench_dashboard, bench_engine, bench_load


@click.group("bench")
def bench() -> None:
    """Benchmarks: they print measurements, they do not pass or fail."""


# Each benchmark lives beside its feature and exposes a click command named COMMAND.
for _benchmark in (bench_engine, bench_dashboard, bench_load):
    bench.add_command(_benchmark.COMMAND)

COMMANDS = [bench]
