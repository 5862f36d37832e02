"""What the browser tests share: Debian's Chromium as the guide asks, and the real
``disaster-support serve`` in a subprocess, started (and restarted) as a user would."""

import os
import re
import subprocess
from pathlib import Path

from test_cli import ACCOUNT_LINE, SCRIPT, answering, free_port

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-background-networking",
                 "--disable-component-update", "--disable-gpu"]


def have_chromium():
    """Whether to run; on CI a missing Chromium is an error, not a skip."""
    if Path(CHROMIUM).exists():
        return True
    if os.environ.get("CI"):
        raise RuntimeError("CI needs Debian's chromium for the browser tests (.ci/run installs it)")
    return False


def launch(playwright):
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                      args=CHROMIUM_ARGS)


class Server:
    """``disaster-support serve`` on one instance and port; a test may restart it."""

    def __init__(self, instance, port=None):
        self.instance, self.port = Path(instance), port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = None
        self.passwords, self.tablet = {}, None

    def start(self, *extra):
        """Start it and wait until it answers; ``--demo`` also reads the accounts and
        the tablet link it prints."""
        self.process = subprocess.Popen(
            [str(SCRIPT), "serve", *extra, "--port", str(self.port), "--instance",
             str(self.instance)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            env={**os.environ, "LANG": "C.UTF-8"})
        printed = []
        for line in self.process.stdout:
            printed.append(line)
            if line.startswith("Press Ctrl+C"):
                break
        text = "".join(printed)
        if "--demo" in extra:
            self.passwords = {name: pw for name, pw, _ in ACCOUNT_LINE.findall(text)}
            self.tablet = re.search(r"^      (http\S+/join/\S+)$", text, re.M).group(1)
        answering(self.url + "/healthz")
        return text

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=20)
        self.process.stdout.close()
