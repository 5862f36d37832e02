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
from flask_babel import ngettext

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


def make_app(config=None):
    from . import create_app

    return create_app(config)


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


def cli_actor(via="cli"):
    import getpass

    from .audit.log import Actor

    try:
        who = getpass.getuser()
    except Exception:  # no user name in some service environments
        who = "unknown"
    return Actor(f"cli:{who}", "admin", via)


def _interactive():
    return sys.stdin is not None and sys.stdin.isatty()


@main.command()
@instance_option
def init():
    """Create the database (or bring its schema up to date) and the first admin."""
    from .accounts import users
    from .db import SCHEMA_VERSION, get_accounts_db

    app = make_app()
    click.echo(f"Database ready: {app.config['DATABASE']} (schema version {SCHEMA_VERSION})")
    with app.app_context():
        db = get_accounts_db()
        if users.count_users(db):
            return
        if _interactive():
            password = click.prompt(_("Password for the first admin (user name: admin)"),
                                    hide_input=True, confirmation_prompt=True)
            users.create_user(db, "admin", "admin", password, actor=cli_actor())
            click.echo(_("Admin created: sign in as “admin”."))
        else:
            password = users.new_password()
            users.create_user(db, "admin", "admin", password, actor=cli_actor(),
                              must_change=True)
            click.echo(_("Admin created: user name “admin”, one-time password %(password)s "
                         "(choose a new one at the first sign-in).", password=password))


@main.command()
@instance_option
def demo():
    """Load the demo data: the city's real shelters and a realistic situation."""
    from .demo import load_demo

    app = make_app()
    with app.app_context():
        summary = load_demo(app)
    click.echo(_("Demo data loaded: %(shelters)s places, %(open)s shelters open, "
                 "%(foreign)s foreign evacuees, %(needs)s needs.", **summary))


def _read_password(password_stdin, username):
    if password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if _interactive():
        return click.prompt(_("Password for %(user)s", user=username), hide_input=True,
                            confirmation_prompt=True)
    raise click.UsageError(_("No terminal to ask for a password: use --password-stdin."))


@main.command("create-user")
@instance_option
@click.argument("username")
@click.option("--role", required=True,
              type=click.Choice(["admin", "coordinator", "shelter_staff", "volunteer"]))
@click.option("--shelter", "shelters", multiple=True, metavar="ID",
              help="Shelter a shelter_staff user works for (repeat for several).")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def create_user(username, role, shelters, password_stdin):
    """Create a user; the password is asked on the terminal or read from stdin."""
    from .accounts import users
    from .db import get_accounts_db
    from .shelters.registry import ValidationError

    app = make_app()
    with app.app_context():
        password = _read_password(password_stdin, username)
        try:
            users.create_user(get_accounts_db(), username, role, password,
                              shelters=list(shelters), actor=cli_actor())
        except ValidationError as exc:
            for message in exc.errors.values():
                click.echo(_("Error: %(message)s", message=message), err=True)
            sys.exit(1)
        click.echo(_("User %(user)s created (%(role)s).", user=username,
                     role=users.ROLES[role]))


@main.command("create-token")
@instance_option
@click.argument("username")
@click.option("--label", default=None, help="What the token is for.")
def create_token(username, label):
    """Print a new API token for USERNAME (shown once; revocable by an admin)."""
    from .accounts import users
    from .db import get_accounts_db

    app = make_app()
    with app.app_context():
        db = get_accounts_db()
        try:
            user = users.get_user(db, username=username)
        except users.UserNotFound:
            click.echo(_("Error: %(message)s", message=_("no user “%(user)s”.", user=username)),
                       err=True)
            sys.exit(1)
        click.echo(users.create_token(db, user["id"], label=label, actor=cli_actor()))


@main.command()
@instance_option
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def purge(yes):
    """After an event: remove personal data, keep the statistics."""
    from .db import get_db
    from .personal_data import purge as purge_personal_data

    app = make_app()
    with app.app_context():
        if not yes and not click.confirm(_("Remove personal data now? This cannot be undone.")):
            sys.exit(1)
        removed = purge_personal_data(get_db(), actor=cli_actor())
        for what, count in removed.items():
            click.echo(f"{what}: {count}")


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
                                       actor=cli_actor("import"), progress=bar.update)
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
@click.option("--workers", type=click.IntRange(1, 64),
              help="Server processes (default: one per core, at least 2).")
@click.option("--threads", default=4, show_default=True, type=click.IntRange(1, 64),
              help="Threads of each server process.")
@click.option("--tiles", metavar="FILE",
              help="Base map tiles for the maps: an MBTiles file, or 'basemap' for the "
                   "coarse world map of the optional extra (see docs/adapting.md).")
def serve(host, port, with_demo, workers, threads, tiles):
    """Serve the app (granian, a process per core; Windows and Linux)."""
    from . import serving

    app = make_app({"TILES": tiles} if tiles else None)
    if app.extensions["tiles_error"]:
        with app.app_context():
            raise click.ClickException(str(app.extensions["tiles_error"]))
    demo_shelter = tablet_token = None
    if with_demo:
        from .db import connect
        from .demo import load_demo

        db = connect(app.config["DATABASE"])
        empty = db.execute("SELECT count(*) FROM shelter").fetchone()[0] == 0
        db.close()
        with app.app_context():
            if empty:
                summary = load_demo(app)
                click.echo(_("Demo data loaded: %(shelters)s places, %(open)s shelters open, "
                             "%(foreign)s foreign evacuees, %(needs)s needs.", **summary))
            demo_shelter, tablet_token = _print_demo_accounts()
    from .backups import start_periodic
    from .outreach import worker as mail_worker

    start_periodic(app)
    mail_worker.start(app)
    with app.app_context():
        click.echo(_("Instance folder: %(path)s", path=app.instance_path))
        _print_where_to_go(app, _urls(host, port)[0], demo_shelter, tablet_token)
        for url in _urls(host, port):
            click.echo(_("Open %(url)s in a browser.", url=url))
        click.echo(_("Press Ctrl+C to stop."))
    sys.stdout.flush()
    serving.serve(host, port, workers or serving.default_workers(), threads,
                  settings={"TILES": tiles} if tiles else {})


def _print_demo_accounts():
    """Print the demo sign-ins; return the demo shelter and its tablet's link token."""
    from .db import get_db
    from .demo import demo_accounts
    from .shelters.registry import list_shelters

    db = get_db()
    shelter = (list_shelters(db, status="open", sort="name", limit=1) or
               list_shelters(db, kind="designated_shelter", limit=1))[0]
    accounts, token = demo_accounts(db, shelter["id"])
    click.echo(_("Demo sign-ins (new passwords at every start):"))
    for username, role, password in accounts:
        click.echo(f"  {username:14} {password}   ({role})")
    return shelter, token


def _print_where_to_go(app, base_url, shelter=None, tablet_token=None):
    """Which address is for whom, in the reader's language: the first thing a person
    starting the tool needs to hand on to the center, the shelters and the evacuees."""
    from flask import url_for

    from .accounts.views import join_url

    with app.test_request_context(base_url=base_url):
        url = lambda endpoint, **values: url_for(endpoint, _external=True, **values)
        places = {"overview": url("home.index"), "boards": url("notices.boards"),
                  "map": url("maps.public_map")}
        if shelter:
            places.update(tablet=join_url(tablet_token),
                          board=url("notices.board", shelter_id=shelter["id"]),
                          sheet=url("notices.sheet", shelter_id=shelter["id"]))
    rows = [(places["overview"], _("Coordinators: the overview (sign in first)"))]
    if shelter:
        name = shelter["name"]
        rows += [(places["tablet"], _("Shelter tablet of %(shelter)s: open this link on the "
                                      "tablet, then tap “%(button)s”", shelter=name,
                                      button=_("Join"))),
                 (places["board"], _("Evacuees: the board of %(shelter)s, in their own "
                                     "language", shelter=name))]
    rows += [(places["boards"], _("Evacuees: the boards of every shelter")),
             (places["map"], _("Evacuees: the public map of shelters"))]
    if shelter:
        rows.append((places["sheet"], _("QR sheet of %(shelter)s: print it for the wall, "
                                        "one code per language", shelter=shelter["name"])))
    click.echo(_("Where to go:"))
    for address, label in rows:
        click.echo(f"  {label}\n      {address}")


def _urls(host, port):
    if host in ("0.0.0.0", "::", ""):
        names = ["127.0.0.1", socket.gethostname()]
    else:
        names = [f"[{host}]" if ":" in host else host]
    return [f"http://{name}:{port}/" for name in names]


@main.command()
@click.option("--export", "export_tag", metavar="TAG",
              help="Write the strings TAG still lacks to FILE (JSON) for a translator.")
@click.option("--import", "import_tag", metavar="TAG",
              help="Read a translator's FILE (JSON, as exported) into TAG's catalog.")
@click.argument("file", required=False, type=click.Path(dir_okay=False))
def catalogs(export_tag, import_tag, file):
    """For translators: extract UI strings, update every catalog, compile the complete ones."""
    from .catalogs import compile_all, export_missing, import_translations, update

    if export_tag or import_tag:
        if not file:
            raise click.UsageError("give the FILE to write or read")
        if export_tag:
            Path(file).write_text(json.dumps(export_missing(export_tag), ensure_ascii=False,
                                             indent=1), encoding="utf-8")
            return
        rows = json.loads(Path(file).read_text(encoding="utf-8"))
        placed = import_translations(import_tag, rows)
        left = len(export_missing(import_tag))
        compiled = import_tag in compile_all(only=import_tag)
        click.echo(f"{placed} strings placed; {left} still missing"
                   + ("; compiled" if compiled else ""))
        return
    missing = update()
    compiled = compile_all()
    for tag, count in missing.items():
        state = "complete" if tag in compiled else f"{count} missing"
        click.echo(f"{tag:10} {state}")


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


@main.group()
def jma():
    """Reports of the Japan Meteorological Agency (防災情報XML) in: each relevant one a
    draft notice to check and publish (see docs/adapting.md)."""


def _print_outcomes(results):
    from .intake.jma import OUTCOME_LABELS

    for name, outcome in results:
        click.echo(f"{name}: {OUTCOME_LABELS.get(outcome, outcome)}")


@jma.command("import")
@instance_option
@click.argument("files", nargs=-1, required=True,
                type=click.Path(exists=True, dir_okay=False))
def jma_import(files):
    """Read JMA XML files (a file already read changes nothing)."""
    from .db import get_db
    from .drills.runs import active_drill
    from .intake.jma import JmaError, import_report

    app = make_app()
    with app.app_context():
        results = []
        for name in files:
            try:
                outcome, _row = import_report(
                    get_db(), Path(name).read_bytes(), app.extensions["city"],
                    actor=cli_actor(), origin=f"file:{Path(name).name}",
                    exercise=active_drill(app) is not None)
            except JmaError as error:
                outcome = str(next(iter(error.errors.values())))
            results.append((name, outcome))
        _print_outcomes(results)


@jma.command("watch")
@instance_option
@click.option("--folder", type=click.Path(exists=True, file_okay=False),
              help="A folder where JMA XML files arrive (a share on the LAN).")
@click.option("--feed", "feeds", multiple=True, metavar="URL",
              help="A JMA Atom feed (default: the city's, in city.json, with --feeds).")
@click.option("--feeds", "city_feeds", is_flag=True, help="Pull the feeds city.json names.")
@click.option("--interval", default=60, show_default=True, type=click.IntRange(5, 3600),
              help="Seconds between two looks.")
@click.option("--once", is_flag=True, help="Look once, then stop.")
def jma_watch(folder, feeds, city_feeds, interval, once):
    """Read new reports from a folder and/or JMA's feeds, again every --interval
    seconds. A network that is down is reported and tried again at the next look."""
    import time
    import urllib.error

    from .db import get_db
    from .drills.runs import active_drill
    from .intake.jma import JmaError, import_folder, pull_feed

    app = make_app()
    city = app.extensions["city"]
    feeds = list(feeds) + (city.jma.get("feeds", []) if city_feeds else [])
    if not folder and not feeds:
        raise click.UsageError(str(_("Give --folder, --feed or --feeds.")))
    while True:
        with app.app_context():
            exercise = active_drill(app) is not None
            if folder:
                _print_outcomes(import_folder(get_db(), folder, city, actor=cli_actor(),
                                              exercise=exercise))
            for url in feeds:
                try:
                    _print_outcomes(pull_feed(get_db(), url, city, actor=cli_actor(),
                                              exercise=exercise))
                except (OSError, urllib.error.URLError, JmaError) as error:
                    click.echo(_("%(url)s: not reached (%(error)s); trying again later.",
                                 url=url, error=error), err=True)
        if once:
            return
        time.sleep(interval)


@main.group()
def mail():
    """Notices by e-mail (the relay: SMTP_HOST, SMTP_PORT, SMTP_USER, SMTP_PASSWORD,
    SMTP_STARTTLS, MAIL_FROM; see docs/adapting.md)."""


@mail.command("send")
@instance_option
def mail_send():
    """Send what waits in the outbox now (``serve`` does it every half minute)."""
    from .outreach.mail import MailNotConfigured
    from .outreach.worker import deliver_now

    app = make_app()
    with app.app_context():
        try:
            sent, failed = deliver_now(app)
        except MailNotConfigured:
            raise click.ClickException(str(_("No mail relay is configured (SMTP_HOST): the "
                                             "mails wait in the outbox."))) from None
        click.echo(_("Mail: %(sent)s sent, %(failed)s waiting for the relay.", sent=sent,
                     failed=failed))
        if failed:
            sys.exit(1)


@main.group()
def drill():
    """Drills on a database of their own: start, deliver injects, end, report."""


def _running_drill(app):
    from .drills.runs import active_drill

    if not active_drill(app):
        raise click.ClickException(str(_("No drill is running.")))


def _drill_summary(report):
    summary = report["summary"]
    return (ngettext("%(num)s need", "%(num)s needs", summary["needs"]) + " · "
            + _("Unmet at the end") + f": {summary['unmet_at_end']}")


@drill.command("list")
@instance_option
def drill_list():
    """The scenarios, and the drills that have ended."""
    from .drills.runs import active_drill, archived
    from .drills.scenarios import list_scenarios

    app = make_app()
    with app.app_context():
        for scenario in list_scenarios(app.config["CITY_DIR"]):
            click.echo(f"{scenario.id:28} {scenario.duration:4} min  {len(scenario.injects):3} "
                       f"injects  {scenario.text('title', 'ja')}")
        running = active_drill(app)
        if running:
            click.echo(_("Running: %(title)s", title=running["id"]))
        for report in archived(app):
            click.echo(f"{report['drill']['id']:44} {_drill_summary(report)}")


@drill.command("start")
@instance_option
@click.argument("scenario")
@click.option("--speed", type=click.Choice(["real", "fast", "manual"]), default="fast",
              show_default=True, help="fast: ten times faster; manual: only by `drill next`.")
def drill_start(scenario, speed):
    """Start a drill: the app (and every command) uses the drill's database until
    `drill end`; live data is not touched."""
    from .drills.runs import DrillError, start
    from .drills.scenarios import ScenarioError

    app = make_app()
    with app.app_context():
        try:
            drill_id = start(app, scenario, speed)
        except (DrillError, ScenarioError) as error:
            raise click.ClickException(str(error)) from error
        click.echo(_("Drill %(id)s started: every page now shows the drill, and live data is "
                     "not touched.", id=drill_id))


@drill.command("status")
@instance_option
def drill_status():
    """Deliver the injects whose time has come; show the drill's clock."""
    from .db import NOW, get_db
    from .drills import runs

    app = make_app()
    with app.app_context():
        _running_drill(app)
        db = get_db()
        runs.deliver_due(db)
        state = runs.info(db)
        click.echo(f"{state['id']}  T+{runs.minute_at(state, NOW()):.0f} min  "
                   f"({state['mode']})")
        for inject in runs.delivered(db):
            click.echo(f"  ✓ T+{inject['at_minute']:g}  {inject['kind']}")
        for inject in runs.pending(db):
            click.echo(f"    T+{inject['at_minute']:g}  {inject['kind']}")


@drill.command("next")
@instance_option
def drill_next():
    """Deliver the next inject now (the facilitator's button)."""
    from .db import get_db
    from .drills import runs

    app = make_app()
    with app.app_context():
        _running_drill(app)
        inject = runs.deliver_next(get_db())
        click.echo(f"T+{inject['at_minute']:g} {inject['kind']}" if inject else
                   _("Every inject has been delivered."))


@drill.command("end")
@instance_option
def drill_end():
    """End the drill: its database and report stay in the instance's drills/ folder."""
    from .drills.runs import DrillError, drills_folder, end

    app = make_app()
    with app.app_context():
        try:
            report = end(app)
        except DrillError as error:
            raise click.ClickException(str(error)) from error
        click.echo(_("The drill has ended: live data is back."))
        click.echo(f"{drills_folder(app) / report['drill']['id']}: {_drill_summary(report)}")


@drill.command("report")
@instance_option
@click.argument("drill_id")
@click.option("--csv", "csv_path", type=click.Path(dir_okay=False),
              help="Write one row per need to this CSV file.")
def drill_report(drill_id, csv_path):
    """Print an ended drill's summary (or write its CSV)."""
    from .drills.report import report_csv
    from .drills.runs import archived_report

    app = make_app()
    with app.app_context():
        report = archived_report(app, drill_id)
        if report is None:
            raise click.ClickException(f"No ended drill {drill_id}")
        if csv_path:
            Path(csv_path).write_text(report_csv(report), encoding="utf-8")
        for key, value in report["summary"].items():
            click.echo(f"{key:24} {'—' if value is None else value}")


@main.command("import-cap")
@instance_option
@click.argument("source", type=click.Path(exists=True, dir_okay=False))
def import_cap_command(source):
    """Import a CAP 1.2 alert (e.g. from the prefecture) as a draft notice."""
    from .db import get_db
    from .notices.cap import import_cap
    from .shelters.registry import ValidationError

    app = make_app()
    with app.app_context():
        try:
            notice_id, skipped = import_cap(get_db(), Path(source).read_bytes(),
                                            actor=cli_actor())
        except ValidationError as error:
            raise click.ClickException("; ".join(str(m) for m in error.errors.values()))
        click.echo(_("Draft notice %(id)s: check it, then publish.", id=notice_id))
        if skipped:
            click.echo(_("Languages this tool does not have were left out: %(tags)s",
                         tags=", ".join(skipped)))


@main.command("backup")
@instance_option
@click.argument("destination", type=click.Path())
def backup_command(destination):
    """Copy the database to DESTINATION (a file or a folder), safely while the app
    serves; the copy is checked."""
    from .backups import BackupError, backup

    app = make_app()
    with app.app_context():
        try:
            written = backup(app.config["DATABASE"], destination)
        except BackupError as error:
            raise click.ClickException(str(error)) from error
        click.echo(_("Backup written and checked: %(path)s", path=str(written)))


@main.command("restore")
@instance_option
@click.argument("source", type=click.Path(dir_okay=False))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def restore_command(source, yes):
    """Replace the database with the backup SOURCE, after checking it; the database
    as it was is kept in the instance's backups/ folder."""
    from .backups import BackupError, problems, restore

    app = make_app()
    with app.app_context():
        found = problems(source)
        if found:
            raise click.ClickException("; ".join(str(p) for p in found))
        if not yes and _interactive():
            click.confirm(_("Replace the database of %(path)s with %(source)s?",
                            path=app.instance_path, source=source), abort=True)
        try:
            kept = restore(app.config["DATABASE"], source,
                           keep_folder=Path(app.instance_path) / "backups")
        except BackupError as error:
            raise click.ClickException(str(error)) from error
    make_app()  # brings an older backup's schema forward
    click.echo(_("Restored from %(source)s.", source=source))
    if kept:
        click.echo(_("The database as it was: %(path)s", path=str(kept)))
