"""Backups and restore of the database.

A backup uses SQLite's online backup API, so it is consistent while the app
serves; the copy is checked (integrity, schema) before it gets its final name.
``serve`` keeps periodic backups in a folder with a retention count. A restore
checks the file first, keeps a copy of the current database, then copies the
backup in, again through the backup API (safe while the app runs).
"""

import datetime
import os
import sqlite3
import threading
from pathlib import Path

from .db import SCHEMA_VERSION, private_file, private_folder
from .errors import TranslatedError
from .text import _l

PREFIX = "disaster_support-"


class BackupError(TranslatedError):
    pass


def _stamp():
    now = datetime.datetime.now()
    return f"{now:%Y%m%d-%H%M%S}-{now.microsecond // 1000:03d}"


def _read_only(path):
    return sqlite3.connect(f"file:{Path(path).resolve()}?mode=ro", uri=True)


def problems(path):
    """What is wrong with a database file, as messages; [] when it is sound."""
    path = Path(path)
    if not path.is_file():
        return [_l("No file at %(path)s", path=str(path))]
    try:
        conn = _read_only(path)
        try:
            result = [r[0] for r in conn.execute("PRAGMA integrity_check")]
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            tables = {r[0] for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'")}
        finally:
            conn.close()
    except sqlite3.DatabaseError as error:
        return [_l("%(path)s is not a database of this tool (%(error)s)", path=str(path),
                   error=str(error))]
    found = []
    if result != ["ok"]:
        found.append(_l("The integrity check failed: %(result)s", result="; ".join(result[:5])))
    if not {"shelter", "need", "user"} <= tables or version < 1:
        found.append(_l("%(path)s is not a database of this tool.", path=str(path)))
    elif version > SCHEMA_VERSION:
        found.append(_l("%(path)s comes from a newer version of this tool (schema %(found)s, "
                        "this one knows %(known)s).", path=str(path), found=version,
                        known=SCHEMA_VERSION))
    return found


def backup(source, destination):
    """Copy the database ``source`` to ``destination`` (a file, or a folder where a
    dated file is made); returns the file written, checked."""
    destination = Path(destination)
    if destination.is_dir():
        destination = destination / f"{PREFIX}{_stamp()}.db"
    partial = destination.with_name(destination.name + ".partial")
    partial.unlink(missing_ok=True)
    live = _read_only(source)
    copy = sqlite3.connect(private_file(partial))
    try:
        live.backup(copy)
        # one self-contained file: no -wal or -shm beside a backup
        copy.execute("PRAGMA journal_mode = DELETE")
    finally:
        copy.close()
        live.close()
    found = problems(partial)
    if found:
        partial.unlink(missing_ok=True)
        raise BackupError(found[0])
    os.replace(partial, destination)
    return destination


def prune(folder, keep):
    """Keep the newest ``keep`` periodic backups in ``folder``; returns those removed."""
    files = sorted(Path(folder).glob(f"{PREFIX}*.db"))
    removed = files[:-keep] if keep > 0 else []
    for path in removed:
        path.unlink()
    return removed


def restore(live, source, *, keep_folder):
    """Replace the live database with the backup ``source`` after checking it; a copy
    of the database as it was goes to ``keep_folder`` first. Returns that copy."""
    found = problems(source)
    if found:
        raise BackupError(found[0])
    before = backup(live, Path(keep_folder) / f"before-restore-{_stamp()}.db") \
        if Path(live).exists() else None
    origin = _read_only(source)
    target = sqlite3.connect(live, timeout=30)
    try:
        origin.backup(target)
    finally:
        target.close()
        origin.close()
    return before


class PeriodicBackups(threading.Thread):
    """Backs up the live database every ``minutes`` into ``folder``, keeping ``keep``."""

    def __init__(self, database, folder, minutes, keep, log=None):
        super().__init__(name="periodic-backups", daemon=True)
        self.database, self.folder = database, Path(folder)
        self.seconds, self.keep, self.log = minutes * 60, keep, log
        self.stopped = threading.Event()

    def run(self):
        while not self.stopped.wait(self.seconds):
            self.once()

    def once(self):
        try:
            private_folder(self.folder)
            written = backup(self.database, self.folder)
            prune(self.folder, self.keep)
            if self.log:
                self.log(f"backup: {written}")
            return written
        except Exception as error:  # a failed backup must never stop the server
            if self.log:
                self.log(f"backup failed: {error}")
            return None


def start_periodic(app):
    """From ``serve``: periodic backups as configured (BACKUP_EVERY_MINUTES, 0 = off)."""
    minutes = float(app.config.get("BACKUP_EVERY_MINUTES", 60))
    if minutes <= 0:
        return None
    worker = PeriodicBackups(
        app.config["DATABASE"], app.config.get("BACKUP_DIR") or Path(app.instance_path) /
        "backups", minutes, int(app.config.get("BACKUP_KEEP", 48)), log=app.logger.info)
    worker.start()
    return worker

