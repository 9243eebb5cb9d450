"""Language detection: stop words settle English and German, the packaged model the rest, offline."""

from __future__ import annotations

import subprocess
import sys

import pytest

from reviewer.text import detect_language


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Honestly, the price is too high for what we would get in the first year.", "en"),
        ("Ehrlich gesagt ist uns der Preis für das erste Jahr zu hoch.", "de"),
        ("Preis zu hoch", "de"),  # no stop word, but the model is sure
        ("Bonjour, nous trouvons le prix de votre logiciel beaucoup trop élevé pour notre équipe.", "fr"),
        ("Hola, el precio de la licencia nos parece demasiado alto para este año.", "es"),
        ("Dit is een Nederlandse zin over de prijs van het product.", "nl"),
    ],
)
def test_languages_are_told_apart(text: str, expected: str) -> None:
    assert detect_language(text) == expected


def test_too_little_text_gives_the_default() -> None:
    assert detect_language("Too expensive.", default="en") == "en"  # the model is unsure of two words
    assert detect_language("1234 5678", default="de") == "de"  # no letters at all
    assert detect_language("", default="en") == "en"


def test_the_model_loads_from_the_package_without_network() -> None:
    # A fresh interpreter with every socket refused still detects French: the model is in the wheel.
    code = (
        "import socket\n"
        "def refuse(*a, **k): raise OSError('network disabled in this test')\n"
        "socket.socket.connect = refuse\n"
        "socket.create_connection = refuse\n"
        "from reviewer.text import detect_language\n"
        "print(detect_language('Nous trouvons le prix beaucoup trop élevé pour notre équipe.'))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "fr"
