"""The engine knows no product domain: no name of the demo's company, products, rivals or systems."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from tests.demo import CORPUS_DIR

PACKAGE = Path(__file__).resolve().parent.parent / "reviewer"
GENERAL = re.compile(r"API|Q[1-4]")  # in the taxonomy's keywords, but no one's product or system


def demo_names() -> set[str]:
    """Names read from the demo's own files, so the list follows the demo when it changes."""
    readme = (CORPUS_DIR / "README.md").read_text("utf-8")
    names = set(re.findall(r"\*\*([^*]+)\*\*", readme))  # the products
    heading = re.search(r"^# .*?: (\w+)", readme, re.MULTILINE)
    assert heading, "corpus/README.md names its company in the heading"
    names.add(heading.group(1))
    rivals = re.search(r"competitors ([\w ,]+?) and (\w+)", readme)
    assert rivals, "corpus/README.md names the competitors"
    names |= {n.strip() for n in rivals.group(1).split(",")} | {rivals.group(2)}
    names |= set(re.findall(r"fictional (\w+) company", readme))  # its city
    guidelines = (CORPUS_DIR / "guidelines" / "guidelines.md").read_text("utf-8")
    names |= set(re.findall(r"\b([A-Z]\w+) am Main\b", guidelines))
    names |= {p.name for p in (CORPUS_DIR / "guidelines" / "styles").iterdir() if p.is_dir()}  # the style
    taxonomy = yaml.safe_load((CORPUS_DIR / "objections.yaml").read_text("utf-8"))
    for theme in taxonomy["themes"] if isinstance(taxonomy, dict) else taxonomy:
        for keyword in theme.get("keywords", []):
            systems = " " not in keyword and (re.fullmatch(r"[A-Z]{3,}", keyword) or re.search(r"[a-z][A-Z]", keyword))
            if systems or (re.search(r"[A-Z]", keyword) and re.search(r"\d", keyword)):  # NetSuite, SAP, ISO 27001
                names.add(keyword)
    return {" ".join(n.split()) for n in names if not GENERAL.fullmatch(n)}


def test_the_names_are_read_from_the_demo() -> None:
    names = demo_names()
    assert len(names) >= 10, names


def test_the_package_names_none_of_them() -> None:
    names = sorted(demo_names(), key=len, reverse=True)
    pattern = re.compile(r"\b(?:" + "|".join(re.escape(n).replace(r"\ ", r"\s+") for n in names) + r")\b")
    found = [
        f"{path.relative_to(PACKAGE.parent)}:{number}: {match.group()}"
        for path in sorted(PACKAGE.rglob("*.py"))
        for number, line in enumerate(path.read_text("utf-8").splitlines(), start=1)
        for match in pattern.finditer(line)
    ]
    assert not found, "the engine names the demo:\n" + "\n".join(found)
