"""The HTTP server of ``disaster-support serve``: granian, one process per core.

Chosen by measurement (issue 22, docs/performance.md): waitress parses HTTP in Python
under the app's own GIL and tops out at one core; granian parses it in Rust, keeps idle
keep-alive connections off the Python threads and runs a worker process per core, on
Linux and Windows alike (it ships wheels for both).

The supervisor (the ``serve`` command's own process) migrates the database, loads the
demo and runs the periodic jobs (backups, e-mail) once; each worker process builds its
own app from the same instance folder and settings (the environment: ``spawn`` starts
workers the same way on every system) and only answers requests. Writers in several
processes meet in SQLite's own lock (``BEGIN IMMEDIATE`` and the busy timeout, see
``db.write_transaction``); exactly-once rests on the unique client ids in the database,
not on anything in memory.
"""

import gc
import multiprocessing
import os
import threading
import time

from granian import Granian
from granian.constants import Interfaces
from granian.log import LogLevels

from . import create_app

WORKER_TARGET = "disaster_support.serving:worker_app"
SUPERVISOR_ENV = "DISASTER_SUPPORT_SUPERVISOR_PID"
SUPERVISOR_CHECK_SECONDS = 1.0


def default_workers():
    return max(2, os.cpu_count() or 1)


def worker_app():
    """One worker's app (granian calls this in each worker process)."""
    app = create_app()
    # answering starts now; the templates are compiled meanwhile (2 s of a core)
    threading.Thread(target=warm, args=(app,), name="warm-up", daemon=True).start()
    _exit_with_supervisor()
    return app


def warm(app):
    """Compile every template, then freeze what exists: a full garbage collection
    walking the app's long-lived objects stalled every thread for ~80 ms every few
    seconds; frozen, they are never walked again (GC_FREEZE = false turns this off, to
    measure it)."""
    for name in app.jinja_env.list_templates(filter_func=lambda n: n.endswith(".html")):
        app.jinja_env.get_template(name)
    if app.config.get("GC_FREEZE", True):
        gc.collect()
        gc.freeze()


def _exit_with_supervisor():
    """A worker whose supervisor died (killed, crashed) stops too instead of holding the
    port and the database with nobody to restart it. Where a dead parent's children are
    adopted (Linux, macOS), the parent id changes; elsewhere this watches nothing. The
    supervisor's id comes from itself: it may have died while this worker started."""
    supervisor = int(os.environ.get(SUPERVISOR_ENV) or os.getppid())

    def watch():
        while True:
            time.sleep(SUPERVISOR_CHECK_SECONDS)
            if os.getppid() != supervisor:
                os._exit(1)

    threading.Thread(target=watch, name="supervisor-watch", daemon=True).start()


def serve(host, port, workers, threads, settings=None):
    """Serve until Ctrl+C. The workers read the instance and settings from the
    environment (DISASTER_SUPPORT_INSTANCE and DISASTER_SUPPORT_* settings); ``settings``
    given on the command line join them here, in the process that serves until it
    ends."""
    for key, value in (settings or {}).items():
        os.environ[f"DISASTER_SUPPORT_{key}"] = str(value)
    # the same start on every system (Windows has only spawn), and no fork of a process
    # whose backup and mail threads may hold locks
    multiprocessing.set_start_method("spawn", force=True)
    os.environ[SUPERVISOR_ENV] = str(os.getpid())
    server = Granian(
        WORKER_TARGET, address=host, port=port, interface=Interfaces.WSGI, factory=True,
        workers=workers, blocking_threads=threads,
        # a worker that dies is replaced, as waitress's threads never died
        respawn_failed_workers=True,
        log_level=LogLevels.warning, log_access=False)
    server.serve()
