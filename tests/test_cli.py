"""CLI habits: choices as enums, one format option name, --version, plurals, the exit reason, Vale's flags."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from reviewer.cli import app

REPO = Path(__file__).resolve().parent.parent
RULES = REPO / "tests" / "fixtures" / "rules"


def run(*args: str, stdin: str | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args), input=stdin, catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def last_line(text: str) -> str:
    return text.strip().splitlines()[-1]


def test_a_wrong_choice_exits_2_naming_the_choices(tmp_path: Path) -> None:
    code, _, err = run("stats", "--format", "xml", "--data-dir", str(tmp_path))
    assert code == 2 and "'xml' is not one of 'table', 'json'" in err
    code, _, err = run("review", "x.md", "--fail-on", "sometimes")
    assert code == 2 and "sometimes" in err


def test_choices_are_case_insensitive_and_one_option_name_fits_every_command(tmp_path: Path) -> None:
    code, out, _ = run("stats", "--format", "JSON", "--data-dir", str(tmp_path))
    assert code == 0 and json.loads(out)["notes"] == 0
    code, out, _ = run("stats", "--output", "json", "--data-dir", str(tmp_path))
    assert code == 0 and json.loads(out)["notes"] == 0
    for command in ("stats", "objections", "review", "batch", "eval", "lint"):
        code, out, _ = run(command, "--help")
        assert code == 0 and "--format" in out and "--output" in out, command


def test_help_lists_choices_not_python_types() -> None:
    _, out, _ = run("review", "--help")
    assert "<text|markdown|html|json>" in out and "<error|warning|never>" in out
    assert "<str>" not in out and "<bool>" not in out
    _, out, _ = run("lint", "--help")
    assert "<line|json|cli>" in out and "--minAlertLevel" in out and "--no-exit" in out


def test_every_help_names_values_by_metavar_or_choices_never_by_python_type() -> None:
    import re

    from typer.main import get_command

    commands = sorted(get_command(app).commands)  # type: ignore[attr-defined]
    assert {"review", "ingest", "serve", "batch", "lint"} <= set(commands)
    for command in ["", *commands]:
        code, out, _ = run(*([command] if command else []), "--help")
        assert code == 0, command
        for shown in re.findall(r"<([^<>]*)>", out):
            # <text|json> lists choices; <str>, <int>, <path> or <list[Path]> would be a Python type.
            assert "|" in shown and "[" not in shown, f"{command} --help shows <{shown}>"
        usage = out.splitlines()[0]
        assert "{" not in usage and "<" not in usage, usage
    _, out, _ = run("review", "--help")
    assert "review [OPTIONS] FILE..." in out and "  FILE...  Drafts" in out
    _, out, _ = run("serve", "--help")
    assert "--host ADDRESS" in out and "--port PORT" in out


def test_a_missing_argument_is_named_by_its_metavar() -> None:
    code, _, err = run("review")
    assert code == 2 and "Missing argument 'FILE'" in err and "review [OPTIONS] FILE..." in err


def test_version() -> None:
    code, out, _ = run("--version")
    assert code == 0 and out.startswith("reviewer ") and out.split()[1][0].isdigit()


def test_counts_are_plural_only_when_they_should_be(tmp_path: Path) -> None:
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "call.md").write_text("---\noutcome: lost\n---\nCustomer: It is too expensive for us.\n", "utf-8")
    code, out, _ = run("ingest", str(notes), "--data-dir", str(tmp_path / "data"), "--no-themes")
    assert code == 0
    assert out.startswith("1 file ingested (1 note, 1 chunk)"), out


def test_a_non_zero_exit_says_why_on_the_last_line(tmp_path: Path) -> None:
    code, _, err = run("review", str(tmp_path / "missing.md"), "--data-dir", str(tmp_path))
    assert code == 2 and last_line(err) == "exit 2: 1 draft of 1 could not be read (see above)"
    draft = tmp_path / "d.md"
    draft.write_text("A seamless tool.\n", "utf-8")
    code, _, err = run("lint", str(draft), "--config", str(RULES / ".vale.ini"))
    assert code == 1
    assert last_line(err).startswith("exit 1: 1 error-level alert (1 error, 0 warnings and 0 suggestions in 1 file)")


@pytest.mark.parametrize("module", ["reviewer.batch.command", "reviewer.feedback.command", "reviewer.rules.command"])
def test_command_modules_import_on_their_own(module: str) -> None:
    """No import cycle: a command module imported first (before reviewer.cli) loads and registers."""
    code = (
        f"import {module}; import reviewer.cli; "
        "print(sorted(c.name or c.callback.__name__ for c in reviewer.cli.app.registered_commands))"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "lint" in done.stdout and "batch" in done.stdout


# ---- lint: Vale's own flags and habits -------------------------------------------------------------


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A marketing site with a .vale.ini naming MDX the way Vale styles do."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".vale.ini").write_text(
        f"StylesPath = {RULES / 'styles'}\n\n[formats]\nmarkdoc = md\n\n[*.{{md,mdx,markdoc}}]\nBasedOnStyles = Demo\n"
        "Demo.Quiet = NO\nDemo.Spelling = NO\n",
        "utf-8",
    )
    (tmp_path / "page.mdx").write_text(
        'import Hero from "./seamless-hero"\nexport const meta = {title: "seamless"}\n\n'
        "# Pricing\n\n<Hero />\n\nA seamless checkout. {/* seamless */}\n",
        "utf-8",
    )
    (tmp_path / "notes.markdoc").write_text("A best-in-class tool.\n", "utf-8")
    (tmp_path / "legacy.md").write_text("A seamless start.\n", "utf-8")
    return tmp_path


def test_lint_reads_mdx_without_its_imports_and_formats_section(site: Path) -> None:
    code, out, _ = run("lint", ".", "--no-exit")
    assert code == 0
    assert out.splitlines() == [
        "legacy.md:1:3:Demo.Hype:Avoid 'seamless'.",
        "notes.markdoc:1:3:Demo.Hype:Avoid 'best-in-class'.",
        "page.mdx:8:3:Demo.Hype:Avoid 'seamless'.",
    ]


def test_lint_json_output_min_alert_level_and_glob(site: Path) -> None:
    code, out, _ = run("lint", ".", "--output=JSON", "--glob", "*.mdx")
    assert code == 0  # Demo.Hype is a warning here: no error
    assert list(json.loads(out)) == ["page.mdx"]
    code, out, _ = run("lint", ".", "--output", "json", "--glob", "!*.mdx", "--minAlertLevel", "error")
    assert code == 0 and json.loads(out) == {}
    code, out, _ = run("lint", ".", "--minAlertLevel", "warning", "--glob", "!*.{mdx,markdoc}")
    assert out.strip() == "legacy.md:1:3:Demo.Hype:Avoid 'seamless'."


def test_lint_stdin_with_ext(site: Path) -> None:
    code, out, _ = run("lint", "--ext", ".md", stdin="Our seamless tool.\n")
    assert code == 0 and out.strip() == "stdin.md:1:5:Demo.Hype:Avoid 'seamless'."


def test_lint_honours_vale_comment_switches(site: Path) -> None:
    (site / "legacy.md").write_text(
        "One seamless start.\n\n<!-- vale off -->\n\nTwo seamless steps.\n\n<!-- vale on -->\n\n"
        "Three seamless days.\n\n<!-- vale Demo.Hype = NO -->\n\nFour seamless weeks.\n\n"
        "<!-- vale Demo.Hype = YES -->\n\nFive seamless years.\n",
        "utf-8",
    )
    _, out, _ = run("lint", "legacy.md")
    assert [line.split(":")[1] for line in out.splitlines()] == ["1", "9", "17"]


def lint_and_review(site: Path, monkeypatch: pytest.MonkeyPatch, name: str) -> tuple[list, list]:
    """(line, col, rule, matched text) of every brand finding `reviewer lint` and `reviewer review` give."""
    code, out, _ = run("lint", name, "--output", "json", "--no-exit")
    assert code == 0
    linted = [(a["Line"], a["Span"][0], a["Check"], a["Match"]) for a in json.loads(out).get(name, [])]
    monkeypatch.setenv("REVIEWER_GUIDELINES", str(site))  # the site's .vale.ini is the team's rules
    monkeypatch.setenv("REVIEWER_EMBEDDINGS", "hash")
    code, out, _ = run("review", name, "--format", "json", "--fail-on", "never")
    assert code == 0
    review = json.loads(out)
    assert review["draft"]["path"] == name
    reviewed = [(f["line"], f["col"], f["rule"], f["span"]["text"]) for f in review["brand"]]
    return linted, reviewed


@pytest.mark.parametrize("encoding", ["cp1252", "utf-32"])
def test_a_cp1252_draft_lints_as_it_reviews(site: Path, monkeypatch: pytest.MonkeyPatch, encoding: str) -> None:
    """One charset order for lint, review and call notes: the same bytes give the same text in each."""
    from reviewer.ingest.files import read_text_file

    text = "Caf\xe9 teams love a seamless start. Na\xefve \u201cseamless\u201d.\n"
    (site / "legacy.md").write_bytes(text.encode(encoding))
    assert read_text_file(site / "legacy.md") == text
    code, out, _ = run("lint", "legacy.md")
    assert code == 0 and out.splitlines()[0] == "legacy.md:1:19:Demo.Hype:Avoid 'seamless'."
    linted, reviewed = lint_and_review(site, monkeypatch, "legacy.md")
    assert linted == reviewed == [(1, 19, "Demo.Hype", "seamless"), (1, 42, "Demo.Hype", "seamless")]


def test_an_mdx_draft_reviews_as_it_lints(site: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The review's brand step reads the draft's own parse: MDX imports and JSX comments are not copy."""
    linted, reviewed = lint_and_review(site, monkeypatch, "page.mdx")
    assert linted == reviewed == [(8, 3, "Demo.Hype", "seamless")]


def test_a_thematic_break_on_the_first_line_is_not_front_matter_in_lint_or_review(
    site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (site / "legacy.md").write_text("---\nA seamless start.\n\n---\n\nTitle: seamless\n", "utf-8")
    linted, reviewed = lint_and_review(site, monkeypatch, "legacy.md")
    assert linted == reviewed == [(2, 3, "Demo.Hype", "seamless"), (6, 8, "Demo.Hype", "seamless")]


def test_the_api_key_is_a_secret_and_env_example_names_real_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    from reviewer.settings import Settings

    monkeypatch.setenv("REVIEWER_API_KEY", "sk-very-secret")
    settings = Settings()
    assert "sk-very-secret" not in repr(settings) and "sk-very-secret" not in str(settings.model_dump())
    assert settings.api_key_value == "sk-very-secret"
    names = [
        line.lstrip("# ").split("=", 1)[0]
        for line in (REPO / ".env.example").read_text("utf-8").splitlines()
        if line.lstrip("# ").startswith("REVIEWER_")
    ]
    assert names and all(name.removeprefix("REVIEWER_").lower() in Settings.model_fields for name in names), names


def test_compose_waits_for_healthy_services() -> None:
    import yaml

    compose = yaml.safe_load((REPO / "docker-compose.yml").read_text("utf-8"))
    services = compose["services"]
    for name in ("chroma", "ui"):
        assert services[name]["healthcheck"]["test"], name
    for name in ("ui", "worker"):
        assert services[name]["depends_on"]["chroma"]["condition"] == "service_healthy", name
