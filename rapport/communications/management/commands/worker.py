"""`rapport worker`: the background worker, Huey's consumer under the product's own name.

It runs the queued tasks and the periodic jobs (the hourly daily-digest pass, the nightly
refresh of recency and cadences). Every option of `run_huey` works here, passed through
unchanged: `--workers`, `--worker-type`, `--no-periodic`, `--huey-verbose`… The queue is
SQLite in the data directory, or Redis when `REDIS_URL` is set (several workers may then share
it). Run one worker beside the web server.
"""

from __future__ import annotations

from huey.contrib.djhuey.management.commands import run_huey


class Command(run_huey.Command):
    help = (
        "Run the background worker: queued tasks and the periodic jobs (daily digests, "
        "nightly refresh). Takes every option of run_huey."
    )
