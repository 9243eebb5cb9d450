"""Brand rules engine: each rule type, markup scoping, bad rule files, the lint command, Corvane style."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
import yaml
from typer.testing import CliRunner

from reviewer.errors import ConfigError
from reviewer.rules import lint_paths, lint_text, load_rules
from reviewer.rules.command import lint

FIXTURES = Path(__file__).parent / "fixtures" / "rules"
GUIDELINES = Path(__file__).resolve().parents[1] / "corpus" / "guidelines"


def ruleset_with(tmp_path: Path, rules: dict[str, dict], extra_ini: str = ""):
    """A RuleSet of one style 'T' holding the given rules (name -> YAML mapping)."""
    style = tmp_path / "styles" / "T"
    style.mkdir(parents=True)
    for name, spec in rules.items():
        (style / f"{name}.yml").write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    ini = tmp_path / ".vale.ini"
    ini.write_text(f"StylesPath = styles\n{extra_ini}\n[*]\nBasedOnStyles = T\n", encoding="utf-8")
    return load_rules(ini)


def brief(findings) -> list[tuple]:
    return [(f.rule, f.line, f.col, f.span.text, f.message, f.suggestion) for f in findings]


def test_existence_word_boundaries_ignorecase_and_exceptions(tmp_path: Path) -> None:
    rs = ruleset_with(
        tmp_path,
        {
            "Hype": {
                "extends": "existence",
                "message": "Avoid '%s'.",
                "level": "error",
                "ignorecase": True,
                "tokens": ["seamless(?:ly)?", "magic"],
                "exceptions": ["Magic Quadrant"],
            }
        },
    )
    text = "Seamlessly done. A seamlesser word, magical, Magic Quadrant and magic."
    assert brief(lint_text(text, rs)) == [
        ("T.Hype", 1, 1, "Seamlessly", "Avoid 'Seamlessly'.", None),
        ("T.Hype", 1, 65, "magic", "Avoid 'magic'.", None),
    ]


def test_existence_nonword_raw_and_action(tmp_path: Path) -> None:
    rs = ruleset_with(
        tmp_path,
        {
            "Bang": {
                "extends": "existence",
                "message": "Drop '%s' for '%s'.",
                "nonword": True,
                "tokens": ["!+"],
                "action": {"name": "edit", "params": ["trim_right", "!"]},
            }
        },
    )
    [finding] = lint_text("Great!!", rs)
    assert (finding.col, finding.span.text, finding.message, finding.suggestion) == (6, "!!", "Drop '!!' for ''.", "")


def test_substitution_with_case_and_group_reference(tmp_path: Path) -> None:
    rs = ruleset_with(
        tmp_path,
        {
            "Terms": {
                "extends": "substitution",
                "message": "Use '%s' instead of '%s'.",
                "ignorecase": True,
                "action": {"name": "replace"},
                "swap": {"e ?invoice(s?)": "e-invoice$1", "e-mail": "email|mail"},
            }
        },
    )
    found = brief(lint_text("E invoices by e-mail, e-invoice ok.", rs))
    assert found == [
        ("T.Terms", 1, 1, "E invoices", "Use 'E-invoices' instead of 'E invoices'.", "E-invoices"),
        ("T.Terms", 1, 15, "e-mail", "Use 'email' or 'mail' instead of 'e-mail'.", "email"),
    ]


def test_occurrence_max_per_sentence(tmp_path: Path) -> None:
    rs = ruleset_with(
        tmp_path,
        {
            "Long": {
                "extends": "occurrence",
                "message": "Too long (%s words).",
                "scope": "sentence",
                "max": 5,
                "token": r"\b(\w+)\b",
            }
        },
    )
    found = lint_text("Short one here. This sentence has far too many words in it.", rs)
    assert brief(found) == [("T.Long", 1, 17, "This", "Too long (9 words).", None)]


def test_repetition(tmp_path: Path) -> None:
    rs = ruleset_with(
        tmp_path,
        {"Rep": {"extends": "repetition", "message": "'%s' is repeated!", "alpha": True, "tokens": [r"[^\s]+"]}},
    )
    assert brief(lint_text("the the book\n\nthe `the` the", rs)) == [
        ("T.Rep", 1, 1, "the the", "'the' is repeated!", None)
    ]


def test_consistency_flags_second_spelling(tmp_path: Path) -> None:
    rs = ruleset_with(
        tmp_path,
        {
            "Spell": {
                "extends": "consistency",
                "message": "Inconsistent '%s'.",
                "ignorecase": True,
                "either": {"colour": "color"},
            }
        },
    )
    assert brief(lint_text("A colour.\n\nA color.", rs)) == [("T.Spell", 3, 3, "color", "Inconsistent 'color'.", None)]


def test_conditional_acronym_needs_definition(tmp_path: Path) -> None:
    rs = ruleset_with(
        tmp_path,
        {
            "Acr": {
                "extends": "conditional",
                "message": "Define '%s'.",
                "first": r"\b([A-Z]{3,5})\b",
                "second": r"(?:\b[A-Z][a-z]+ )+\(([A-Z]{3,5})\)",
                "exceptions": ["API"],
            }
        },
    )
    text = "Enterprise Resource Planning (ERP) helps. ERP and API are fine; DATEV is not."
    assert brief(lint_text(text, rs)) == [("T.Acr", 1, 65, "DATEV", "Define 'DATEV'.", None)]


def test_capitalization_sentence_and_title(tmp_path: Path) -> None:
    rs = ruleset_with(
        tmp_path,
        {
            "Sent": {
                "extends": "capitalization",
                "message": "'%s' needs sentence case.",
                "scope": "heading.h1",
                "match": "$sentence",
                "exceptions": ["Corvane"],
            },
            "Title": {
                "extends": "capitalization",
                "message": "'%s' needs title case.",
                "scope": "heading.h2",
                "match": "$title",
                "style": "Chicago",
            },
        },
    )
    text = "# Meet Corvane Flow Today\n\n# Meet Corvane today\n\n## a guide to the close\n"
    assert brief(lint_text(text, rs)) == [
        (
            "T.Sent",
            1,
            3,
            "Meet Corvane Flow Today",
            "'Meet Corvane Flow Today' needs sentence case.",
            None,
        ),  # no replacement offered: re-casing cannot tell proper nouns apart
        ("T.Title", 5, 4, "a guide to the close", "'a guide to the close' needs title case.", None),
    ]


def test_readability_and_metric_are_document_level(tmp_path: Path) -> None:
    rs = ruleset_with(
        tmp_path,
        {
            "Grade": {
                "extends": "readability",
                "message": "Grade %s is too high.",
                "metrics": ["Flesch-Kincaid"],
                "grade": 1,
            },
            "Words": {"extends": "metric", "message": "%s words.", "formula": "words", "condition": "> 3"},
        },
    )
    found = brief(lint_text("Comprehensive organisational transformation necessitates deliberation.", rs))
    assert [(f[0], f[1], f[2], f[3]) for f in found] == [("T.Grade", 1, 1, ""), ("T.Words", 1, 1, "")]
    assert found[1][4] == "5.00 words."


def test_markup_scoping_front_matter_code_urls_lists_headings() -> None:
    rs = load_rules(FIXTURES / ".vale.ini")
    text = (FIXTURES / "sample.md").read_text(encoding="utf-8")
    found = lint_text(text, rs, "md")
    assert [(f.line, f.col, f.span.text, f.severity) for f in found] == [
        (4, 3, "Seamless", "error"),
        (6, 5, "seamless", "error"),
        (12, 5, "best-in-class", "error"),
    ]
    for f in found:
        assert text[f.span.start : f.span.end] == f.span.text


def test_scopes_heading_negated_and_html(tmp_path: Path) -> None:
    rs = ruleset_with(
        tmp_path,
        {
            "H": {"extends": "existence", "message": "h:%s", "scope": "heading", "tokens": ["foo"]},
            "NotH": {"extends": "existence", "message": "nh:%s", "scope": "~heading", "tokens": ["foo"]},
            "L": {"extends": "existence", "message": "l:%s", "scope": "list", "tokens": ["foo"]},
        },
    )
    html = "<h1>foo</h1><p>foo <code>foo</code></p><ul><li>foo</li></ul><script>foo</script>"
    assert [(f.message, f.span.start) for f in lint_text(html, rs, "html")] == [
        ("h:foo", 4),
        ("nh:foo", 15),
        ("l:foo", 47),
        ("nh:foo", 47),
    ]


def test_plain_text_and_min_alert_level(tmp_path: Path) -> None:
    rs = ruleset_with(
        tmp_path,
        {
            "Low": {"extends": "existence", "message": "%s", "level": "suggestion", "tokens": ["alpha"]},
            "High": {"extends": "existence", "message": "%s", "level": "error", "tokens": ["beta"]},
        },
        extra_ini="MinAlertLevel = warning",
    )
    assert [f.rule for f in lint_text("alpha beta", rs, "txt")] == ["T.High"]


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("invalid_yaml.yml", "invalid YAML"),
        ("unknown_type.yml", "unknown rule type"),
        ("broken_regex.yml", "invalid regular expression"),
    ],
)
def test_bad_rule_files_name_the_file(tmp_path: Path, name: str, reason: str) -> None:
    style = tmp_path / "styles" / "Bad"
    style.mkdir(parents=True)
    (style / name).write_bytes((FIXTURES / "bad" / name).read_bytes())
    (tmp_path / ".vale.ini").write_text("StylesPath = styles\n[*]\nBasedOnStyles = Bad\n")
    with pytest.raises(ConfigError) as err:
        load_rules(tmp_path / ".vale.ini")
    assert err.value.path == str(style / name)
    assert reason in err.value.reason


def test_missing_styles_path_and_unsupported_types(tmp_path: Path) -> None:
    (tmp_path / ".vale.ini").write_text("MinAlertLevel = warning\n")
    with pytest.raises(ConfigError, match="StylesPath"):
        load_rules(tmp_path / ".vale.ini")
    rs = load_rules(FIXTURES / ".vale.ini")
    assert rs.warnings == ["Demo.Spelling: rule type 'spelling' is not supported; rule skipped"]


def test_lint_paths_walks_folders(tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "a.md").write_text("seamless\n")
    (tmp_path / "docs" / "skip.py").write_text("seamless\n")
    rs = load_rules(FIXTURES / ".vale.ini")
    results = lint_paths([tmp_path / "docs"], rs)
    assert list(results) == [str(tmp_path / "docs" / "a.md")]
    assert results[str(tmp_path / "docs" / "a.md")][0].rule == "Demo.Hype"


def _app() -> typer.Typer:
    app = typer.Typer()
    app.command("lint")(lint)
    app.command("noop")(lambda: None)  # two commands, so "lint" stays a subcommand
    return app


def test_cli_line_output_and_exit_codes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "draft.md").write_text("A seamless tool.\n")
    (tmp_path / "clean.md").write_text("A useful tool.\n")
    runner = CliRunner()
    config = str(FIXTURES / ".vale.ini")
    result = runner.invoke(_app(), ["lint", "draft.md", "clean.md", "--config", config], catch_exceptions=False)
    assert result.exit_code == 1
    assert result.stdout.strip() == "draft.md:1:3:Demo.Hype:Avoid 'seamless'."
    result = runner.invoke(_app(), ["lint", "clean.md", "--config", config, "--output", "json"])
    assert result.exit_code == 0 and json.loads(result.stdout) == {}
    result = runner.invoke(_app(), ["lint", "draft.md", "--config", config, "--output", "CLI"])
    assert result.exit_code == 1 and "Demo.Hype" in result.stdout
    assert "1 error, 0 warnings and 0 suggestions in 1 file." in result.stdout


def test_cli_bad_config_and_unreadable_file_exit_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "bad.ini").write_text("MinAlertLevel = error\n")
    (tmp_path / "latin1.md").write_bytes("caf\xe9".encode("latin-1"))
    runner = CliRunner()
    result = runner.invoke(_app(), ["lint", "latin1.md", "--config", "bad.ini"])
    assert result.exit_code == 2 and "bad.ini" in result.stderr and "StylesPath" in result.stderr
    (tmp_path / "binary.md").write_bytes(b"%PDF-1.7 \x00\x01\x02")
    result = runner.invoke(_app(), ["lint", "binary.md", "--config", str(FIXTURES / ".vale.ini")])
    assert result.exit_code == 2 and "binary.md" in result.stderr and "not a text file" in result.stderr


def test_cli_uses_local_vale_ini(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".vale.ini").write_text(f"StylesPath = {FIXTURES / 'styles'}\n[*.md]\nBasedOnStyles = Demo\n")
    (tmp_path / "d.md").write_text("best-in-class\n")
    result = CliRunner().invoke(_app(), ["lint", "d.md"])
    assert result.exit_code == 0 and "d.md:1:1:Demo.Hype:Avoid 'best-in-class'." in result.stdout


def test_corvane_demo_style_on_a_sample() -> None:
    rs = load_rules(GUIDELINES / ".vale.ini")
    assert rs.warnings == []
    text = (
        "# Our Revolutionary Platform\n\n"
        "Corvane flow is a seamless way to process e invoices. We guarantee 100% accuracy.\n\n"
        "## Die neue E-Rechnung\n\n"
        "Unsere revolutionäre Lösung ist nahtlos.\n"
    )
    found = [(f.rule, f.line, f.span.text, f.suggestion) for f in lint_text(text, rs)]
    assert found == [
        ("Corvane.Headings", 1, "Our Revolutionary Platform", None),
        ("Corvane.Hype", 1, "Revolutionary", None),
        ("Corvane.Products", 3, "Corvane flow", "Corvane Flow"),
        ("Corvane.Hype", 3, "seamless", None),
        ("Corvane.Terms", 3, "e invoices", "e-invoices"),
        ("Corvane.Claims", 3, "guarantee", None),
        ("Corvane.Claims", 3, "100%", None),
        ("Corvane.HypeDE", 7, "revolutionäre", None),
        ("Corvane.HypeDE", 7, "nahtlos", None),
    ]
