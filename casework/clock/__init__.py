"""The clock: what happens because time passed, with no Flask and no person involved.

- ``tick.run_tick(session, engine)``: one idempotent run (clock steps, overdue, escalation, reminders,
  e-mail), safe to run concurrently on PostgreSQL; ``casework tick`` calls it from cron or a systemd timer.
- ``attribution``: how long each case waited on which organisation, for the monitoring reports.
"""

from casework.clock.tick import TickReport, run_tick

__all__ = ["TickReport", "run_tick"]
