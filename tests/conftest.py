import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from disaster_support import create_app
from disaster_support.cli import main
from disaster_support.db import connect

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT.parent / "shared" / "data" / "shelters"
SHIPPED = ROOT / "shelters"
GSI_SHELTERS = SHIPPED / "sagamihara_gsi_designated_shelters.csv"
GSI_SITES = SHIPPED / "sagamihara_gsi_emergency_sites.csv"
KANAZAWA = SAMPLES / "kanazawa_municipal_standard_emergency_sites.csv"


@pytest.fixture
def instance(tmp_path):
    return tmp_path / "instance"


@pytest.fixture
def app(instance):
    return create_app({"TESTING": True}, instance_path=instance)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def db(app):
    database = connect(app.config["DATABASE"])
    yield database
    database.close()


@pytest.fixture
def cli(instance):
    """Run the real ``disaster-support`` command on the test instance."""
    runner = CliRunner()

    def run(*args, input=None):
        return runner.invoke(main, [*args, "--instance", str(instance)], input=input,
                             catch_exceptions=False)

    return run


@pytest.fixture
def sagamihara(app, cli):
    """The app with Sagamihara's two GSI files imported."""
    result = cli("import-shelters", str(GSI_SHELTERS), str(GSI_SITES))
    assert result.exit_code == 0, result.output
    return app


@pytest.fixture
def demo_app(app, cli):
    assert cli("demo").exit_code == 0
    return app


def csrf_token(client, url):
    page = client.get(url).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


@pytest.fixture
def kanazawa_city(tmp_path):
    """A city profile for Kanazawa (no wards), as another city would write it."""
    folder = tmp_path / "kanazawa"
    folder.mkdir()
    (folder / "city.json").write_text(
        '{"name": {"ja": "金沢市", "en": "Kanazawa"}, "prefecture": "石川県", '
        '"code": "172014", "center": [36.56, 136.65], "wards": [], '
        '"shelter_files": ["kanazawa.csv"]}', encoding="utf-8")
    shutil.copy(KANAZAWA, folder / "kanazawa.csv")
    return folder
