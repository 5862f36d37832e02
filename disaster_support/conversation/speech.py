"""Phrases read aloud, for evacuees who cannot read, where the machine has a speech
engine: Debian's espeak-ng and its voices. No engine, or no voice for a language:
no speaker button, never an error."""

import functools
import shutil
import subprocess

ENGINE = "espeak-ng"
# The tool's tags to espeak-ng voices, tried in order.
VOICES = {"ja": ("ja",), "ja-x-easy": ("ja",), "en": ("en-gb", "en"),
          "zh-Hans": ("cmn", "zh"), "zh-Hant": ("cmn", "zh"), "ko": ("ko",), "vi": ("vi",),
          "pt": ("pt-br", "pt"), "es": ("es-419", "es"), "tl": ("fil", "tl"), "ne": ("ne",),
          "id": ("id",), "th": ("th",), "my": ("my",), "km": ("km",), "mn": ("mn",)}


def engine():
    return shutil.which(ENGINE)


@functools.lru_cache(maxsize=4)
def _installed(path):
    try:
        listing = subprocess.run([path, "--voices"], capture_output=True, text=True,
                                 timeout=10, check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return frozenset()
    names = set()
    for line in listing.splitlines()[1:]:
        parts = line.split()
        if len(parts) >= 2:
            names.add(parts[1].lower())  # the "Language" column: cmn, vi, pt-br...
    return frozenset(names)


def voice(tag):
    """The voice that reads ``tag``, or None."""
    path = engine()
    if not path:
        return None
    installed = _installed(path)
    return next((v for v in VOICES.get(tag, ()) if v in installed), None)


@functools.lru_cache(maxsize=512)
def speak(tag, text):
    """WAV bytes of ``text`` read in ``tag``, or None."""
    name, path = voice(tag), engine()
    if not name:
        return None
    try:
        result = subprocess.run([path, "-v", name, "-s", "140", "--stdout", text],
                                capture_output=True, timeout=30, check=True)
    except (OSError, subprocess.SubprocessError):
        return None
    return result.stdout if result.stdout.startswith(b"RIFF") else None
