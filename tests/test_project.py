"""The project's promises about itself: two set-up commands, CI running the second."""

import configparser
import re
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent


def setup_commands():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Set up", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sh\n(.*?)\n```", section, re.S)


def test_readme_starts_with_exactly_two_one_line_commands():
    commands = setup_commands()
    assert len(commands) == 2
    assert all("\n" not in c for c in commands)
    install_and_serve, test = commands
    assert "pip install -c constraints.txt -e . " in install_and_serve
    assert "serve --demo" in install_and_serve
    assert "pip install -c constraints.txt -e '.[test]'" in test and "pytest" in test


def test_ci_runs_the_readme_test_command_as_written():
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    lines = [line for line in ci.splitlines() if line and not line.startswith("#")]
    assert setup_commands()[1] in lines


def test_setup_cfg_declares_the_console_script_and_test_extra():
    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg")
    assert "disaster-support = disaster_support.cli:main" in config["options.entry_points"][
        "console_scripts"]
    assert "pytest" in config["options.extras_require"]["test"]
    for package in ("flask", "sqlite-utils", "flask-babel", "folium", "requests", "granian"):
        assert package in config["options"]["install_requires"]


def test_no_page_or_asset_points_outside_the_app():
    pattern = re.compile(r"(src|href|url)\s*[=(:]\s*[\"']?https?://|cdn\.|cdnjs|jsdelivr|unpkg|"
                         r"googleapis|tile\.openstreetmap")
    for folder in ("disaster_support/templates", "static"):
        for path in (ROOT / folder).rglob("*"):
            if path.suffix in (".html", ".js", ".css", ".svg"):
                assert not pattern.search(path.read_text(encoding="utf-8")), path


def locked_versions(lock_text):
    """{name: version} of the lock's pins that apply to this interpreter and platform."""
    pins = {}
    for line in lock_text.splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            pin = Requirement(line)
            if pin.marker is None or pin.marker.evaluate():
                (version,) = [spec.version for spec in pin.specifier if spec.operator == "=="]
                pins[canonicalize_name(pin.name)] = version
    return pins


def declared_requirements():
    """What setup.cfg asks for: the app's requirements, the test and bench extras."""
    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg")
    lines = config["options"]["install_requires"].splitlines()
    for extra in ("test", "bench"):
        lines += config["options.extras_require"][extra].splitlines()
    return [Requirement(line) for line in lines if line.strip() and not line.startswith("#")]


def unsatisfied(requirements, pins):
    return [str(r) for r in requirements if (r.marker is None or r.marker.evaluate({"extra": ""}))
            and not (canonicalize_name(r.name) in pins
                     and r.specifier.contains(pins[canonicalize_name(r.name)], prereleases=True))]


def test_the_lock_pins_what_setup_cfg_asks_for():
    """constraints.txt must be regenerated whenever a range in setup.cfg changes."""
    pins = locked_versions((ROOT / "constraints.txt").read_text(encoding="utf-8"))
    assert unsatisfied(declared_requirements(), pins) == []
    # and what each locked package needs is locked too (checked for those installed at
    # the locked version, whose metadata is at hand)
    for name, version in pins.items():
        try:
            installed = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue
        if installed.version == version:
            needs = [Requirement(line) for line in installed.requires or ()]
            assert unsatisfied(needs, pins) == [], name


def test_a_lock_that_no_longer_satisfies_setup_cfg_is_caught():
    pins = locked_versions("flask==3.1.3\nbabel==2.13.1 ; python_version >= '3'\n"
                           "colorama==0.4.6 ; sys_platform == 'nowhere'\n")
    assert pins == {"flask": "3.1.3", "babel": "2.13.1"}
    assert unsatisfied([Requirement("flask>=3.0,<4"), Requirement("babel>=2.14,<3"),
                        Requirement("waitress>=3.0")], pins) == ["babel<3,>=2.14", "waitress>=3.0"]


def test_the_build_backend_is_pinned_as_exactly_as_the_lock():
    build = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert re.search(r'requires = \["setuptools==[\d.]+"\]', build)


BOTTOM_FLOOR = {"db", "paths", "errors", "text", "local_paths", "parameters", "spreadsheet"}


def test_the_bottom_floor_depends_on_nothing_above_it():
    """db.py, paths.py, errors.py and the small helpers beside them import only each
    other (anywhere in the file, function-level imports included): an import that runs
    upward from here ties the package into a circle."""
    import ast

    for name in sorted(BOTTOM_FLOOR):
        tree = ast.parse((ROOT / "disaster_support" / f"{name}.py").read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.level:
                target = (node.module or "").split(".")[0]
                imported = {target} if target else {alias.name for alias in node.names}
                assert imported <= BOTTOM_FLOOR, (name, imported)
            elif isinstance(node, ast.Import):
                assert not any(a.name.startswith("disaster_support") for a in node.names), name
