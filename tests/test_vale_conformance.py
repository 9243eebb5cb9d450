"""Vale conformance: every scenario of the shared style fixtures gives exactly Vale's alerts."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from reviewer.rules import lint_paths, load_rules

CONFORMANCE = Path(
    os.environ.get(
        "REVIEWER_CONFORMANCE_DIR",
        Path(__file__).resolve().parents[2] / "shared" / "conformance" / "vale",
    )
)
STYLES = ("Microsoft", "Google", "write-good", "proselint", "alex")

# Scenarios whose expected alerts cannot be produced as written, with the reason.
XFAIL = {
    ("alex", "Basic test case"): "stale upstream scenario (see its notes): alex.Profanity was split "
    "into ProfanityLikely/Maybe/Unlikely, messages changed, and alex.OCD also matches fail.md",
    ("write-good", "Weasel words"): "stale upstream scenario: fixtures/Weasel/test.md line 5 gained "
    "'fairly' (a listed Weasel token, which Vale reports) after features/rules.feature was written",
    ("Google", "Use of contractions"): "Vale versions disagree: Microsoft's scenarios (2024) expect "
    "replace suggestions re-cased to a capitalised match ('Aren't'), Google's (2025) expect them as "
    "written ('it's'); we follow the former, overridable per rule with `capitalize: false`",
}


def _scenarios() -> list:
    if not CONFORMANCE.is_dir():
        return [
            pytest.param(
                None,
                None,
                marks=pytest.mark.skip(
                    reason=f"Vale conformance data not found at {CONFORMANCE} (set REVIEWER_CONFORMANCE_DIR)"
                ),
            )
        ]
    params = []
    for style in STYLES:
        for scenario in json.loads((CONFORMANCE / style / "expected.json").read_text(encoding="utf-8")):
            reason = XFAIL.get((style, scenario["scenario"]))
            marks = [pytest.mark.xfail(reason=reason, strict=True)] if reason else []
            params.append(pytest.param(style, scenario, id=f"{style}:{scenario['scenario']}", marks=marks))
    return params


def run_scenario(style: str, scenario: dict) -> tuple[set, set]:
    """(expected, actual) alerts of one scenario, run inside its fixture folder as Vale would."""
    folder = CONFORMANCE / style / scenario["fixture_dir"]
    ruleset = load_rules(folder / ".vale.ini")
    actual = set()
    for path, findings in lint_paths([folder], ruleset).items():
        relative = Path(path).relative_to(folder).as_posix()
        actual |= {(relative, f.line, f.col, f.rule, f.message) for f in findings}
    expected = {(e["file"], e["line"], e["col"], e["check"], e["message"]) for e in scenario["expected"]}
    return expected, actual


@pytest.mark.parametrize(("style", "scenario"), _scenarios())
def test_scenario(style: str, scenario: dict) -> None:
    expected, actual = run_scenario(style, scenario)
    missing, extra = sorted(expected - actual), sorted(actual - expected)
    print(
        f"{style} / {scenario['scenario']}: matched {len(expected & actual)}/{len(expected)}, "
        f"missing {len(missing)}, extra {len(extra)}"
    )
    assert not missing and not extra, f"missing={missing}\nextra={extra}"


def test_summary_per_style(capsys: pytest.CaptureFixture[str]) -> None:
    """Prints matched/total per style; every scenario not marked xfail matches exactly."""
    if not CONFORMANCE.is_dir():
        pytest.skip(f"Vale conformance data not found at {CONFORMANCE}")
    lines = []
    for style in STYLES:
        matched = total = missing = extra = 0
        for scenario in json.loads((CONFORMANCE / style / "expected.json").read_text(encoding="utf-8")):
            expected, actual = run_scenario(style, scenario)
            matched, total = matched + len(expected & actual), total + len(expected)
            missing, extra = missing + len(expected - actual), extra + len(actual - expected)
            if (style, scenario["scenario"]) not in XFAIL:
                assert expected == actual, (style, scenario["scenario"])
        lines.append(f"{style}: matched {matched}/{total}, missing {missing}, extra {extra}")
    with capsys.disabled():
        print("\nVale conformance\n" + "\n".join(lines))
