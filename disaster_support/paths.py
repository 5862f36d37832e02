"""Where the data folders are, and where an instance lives.

Data (shelters, notice templates, catalogs, static files) lives in top-level
folders beside the package so that city staff and translators edit it without
touching Python.
"""

import os
from pathlib import Path

import platformdirs

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SHELTERS_DIR = PROJECT_ROOT / "shelters"
MESSAGES_DIR = PROJECT_ROOT / "messages"
TRANSLATIONS_DIR = PROJECT_ROOT / "translations"
STATIC_DIR = PROJECT_ROOT / "static"

INSTANCE_ENV = "DISASTER_SUPPORT_INSTANCE"


def default_instance_path():
    """``--instance`` / DISASTER_SUPPORT_INSTANCE, else a per-user folder."""
    chosen = os.environ.get(INSTANCE_ENV)
    if chosen:
        return Path(chosen).expanduser().resolve()
    return platformdirs.user_data_path("disaster-support", appauthor=False)
