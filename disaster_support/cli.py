"""The ``disaster-support`` command: a thin layer over the library functions.

Every command takes ``--instance PATH`` (or DISASTER_SUPPORT_INSTANCE): the
folder holding the database, the secret key and backups.
"""

import json
import os
import socket
import sys
from pathlib import Path

import click
from flask_babel import gettext as _

from .paths import INSTANCE_ENV, default_instance_path

instance_option = click.option(
    "--instance", type=click.Path(file_okay=False), envvar=INSTANCE_ENV,
    help="Instance folder (database, secret key, backups). "
         f"Default: ${INSTANCE_ENV}, else {default_instance_path()}",
    expose_value=False, is_eager=True,
    callback=lambda ctx, param, value: _set_instance(value),
)


def _set_instance(value):
    if value:
        os.environ[INSTANCE_ENV] = str(Path(value).expanduser().resolve())


def make_app():
    from . import create_app

    return create_app()


class Commands(click.Group):
    """Ends with a clear message, never a stack trace, when the database is unusable."""

    def invoke(self, ctx):
        import sqlite3

        from .db import SchemaTooNew

        try:
            return super().invoke(ctx)
        except SchemaTooNew as exc:
            raise click.ClickException(str(exc))
        except sqlite3.Error as exc:
            raise click.ClickException(
                f"the database cannot be used ({exc}). Check the instance folder "
                f"({os.environ.get(INSTANCE_ENV) or default_instance_path()}).")


@click.group(cls=Commands, context_settings={"help_option_names": ["-h", "--help"]})
@instance_option
def main():
    """Support for foreign evacuees during disasters."""


@main.command()
@instance_option
def init():
    """Create the database (or bring its schema up to date)."""
    from .db import SCHEMA_VERSION

    app = make_app()
    click.echo(f"Database ready: {app.config['DATABASE']} (schema version {SCHEMA_VERSION})")


@main.command()
@instance_option
def demo():
    """Load the demo data: the city's real shelters and a realistic situation."""
    from .demo import load_demo

    app = make_app()
    with app.app_context():
        summary = load_demo(app)
    click.echo(_("Demo data loaded: %(shelters)s places, %(open)s shelters open, "
                 "%(foreign)s foreign evacuees.", **summary))


@main.command("import-shelters")
@instance_option
@click.argument("sources", nargs=-1, required=True)
@click.option("--format", "fmt", type=click.Choice(["auto", "municipal-standard", "gsi"]),
              default="auto", show_default=True, help="Layout of the files.")
def import_shelters_command(sources, fmt):
    """Import shelter files (paths or URLs) in the municipal standard or GSI layout.

    Give the GSI designated-shelter and emergency-site files together to join
    them. All or nothing: a bad file changes nothing.
    """
    from .db import get_db
    from .shelters.importer import ShelterFileError, parse_sources, read_source, write_records

    app = make_app()
    with app.app_context():
        try:
            records, files = parse_sources([read_source(s) for s in sources], fmt)
            with click.progressbar(length=len(records), label=_("Importing"),
                                   file=sys.stderr) as bar:
                report = write_records(get_db(), records, files, app.extensions["city"],
                                       actor="import", progress=bar.update)
        except ShelterFileError as exc:
            click.echo(_("Error: %(message)s", message=exc), err=True)
            click.echo(_("Nothing was imported."), err=True)
            sys.exit(1)
        for name, layout, encoding, rows in report.files:
            click.echo(f"{name}: {layout}, {encoding}, {rows} rows")
        click.echo(_("new: %(new)s, updated: %(updated)s, unchanged: %(unchanged)s, "
                     "without coordinates: %(without_coordinates)s, outside the city: "
                     "%(outside_city)s", **report.as_dict()))


@main.command()
@instance_option
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on; 0.0.0.0 lets tablets on the LAN connect.")
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--demo", "with_demo", is_flag=True,
              help="Load the demo data first if the database holds no shelters.")
@click.option("--threads", default=8, show_default=True, type=click.IntRange(1, 64))
def serve(host, port, with_demo, threads):
    """Serve the app with waitress (Windows and Linux)."""
    import waitress

    app = make_app()
    if with_demo:
        from .db import connect
        from .demo import load_demo

        db = connect(app.config["DATABASE"])
        empty = db.execute("SELECT count(*) FROM shelter").fetchone()[0] == 0
        db.close()
        if empty:
            with app.app_context():
                summary = load_demo(app)
            click.echo(_("Demo data loaded: %(shelters)s places, %(open)s shelters open, "
                         "%(foreign)s foreign evacuees.", **summary))
    with app.app_context():
        click.echo(_("Instance folder: %(path)s", path=app.instance_path))
        for url in _urls(host, port):
            click.echo(_("Open %(url)s in a browser.", url=url))
        click.echo(_("Press Ctrl+C to stop."))
    sys.stdout.flush()
    waitress.serve(app, host=host, port=port, threads=threads, ident="disaster-support")


def _urls(host, port):
    if host in ("0.0.0.0", "::", ""):
        names = ["127.0.0.1", socket.gethostname()]
    else:
        names = [f"[{host}]" if ":" in host else host]
    return [f"http://{name}:{port}/" for name in names]


@main.command("build-wards")
@instance_option
@click.argument("sources", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="GeoJSON to write.")
@click.option("--tolerance", default=0.0003, show_default=True,
              help="Simplification tolerance in degrees (0.0003° ≈ 30 m).")
def build_wards(sources, out, tolerance):
    """Build a city's ward layer from N03 boundary GeoJSON files."""
    from .city import build_ward_layer

    layer = build_ward_layer(sources, tolerance=tolerance)
    Path(out).write_text(json.dumps(layer, ensure_ascii=False, separators=(",", ":")),
                         encoding="utf-8")
    click.echo(f"{out}: {len(layer['features'])} wards")
