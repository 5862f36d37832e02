"""The project's promises about itself: two set-up commands, CI running the second."""

import configparser
import re
from pathlib import Path

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
    assert "pip install -e ." in install_and_serve and "serve --demo" in install_and_serve
    assert "'.[test]'" in test and "pytest" in test


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
    for package in ("flask", "sqlite-utils", "flask-babel", "folium", "requests", "waitress"):
        assert package in config["options"]["install_requires"]


def test_no_page_or_asset_points_outside_the_app():
    pattern = re.compile(r"(src|href|url)\s*[=(:]\s*[\"']?https?://|cdn\.|cdnjs|jsdelivr|unpkg|"
                         r"googleapis|tile\.openstreetmap")
    for folder in ("disaster_support/templates", "static"):
        for path in (ROOT / folder).rglob("*"):
            if path.suffix in (".html", ".js", ".css", ".svg"):
                assert not pattern.search(path.read_text(encoding="utf-8")), path
