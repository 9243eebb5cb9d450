"""The flag book: reps' flags in SQLite under the data dir, or Postgres when configured (see reviewer/database.py)."""

from __future__ import annotations

import builtins
import hashlib
import json
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypedDict, Unpack

from reviewer.feedback.models import FLAG_KINDS, FLAG_NOTE_PREFIX, Flag
from reviewer.ingest.redact import redact_text
from reviewer.settings import Settings

if TYPE_CHECKING:
    from reviewer.drafts import Draft
    from reviewer.graph.context import ReviewContext
    from reviewer.models import BrandFinding, ObjectionFinding
    from reviewer.review.relevance import RelevantTheme

_FLAG_COLUMNS = (
    "id, kind, text, theme_id, account, rep, who, source, created_at, "
    "draft_sha256, draft_path, review_id, finding_id, reason"
)

# Each entry moves the schema one version up (`Database.migrate`). Never edit an entry, append one.
MIGRATIONS: list[list[str]] = [
    [
        """CREATE TABLE flags (
            id TEXT PRIMARY KEY,
            kind TEXT NOT NULL,
            text TEXT,
            theme_id TEXT,
            account TEXT,
            rep TEXT,
            who TEXT,
            source TEXT NOT NULL,
            created_at TEXT NOT NULL,
            draft_sha256 TEXT,
            draft_path TEXT,
            review_id TEXT,
            finding_id TEXT,
            reason TEXT,
            import_key TEXT UNIQUE
        )""",
        "CREATE INDEX flags_kind ON flags (kind, created_at)",
        "CREATE INDEX flags_draft ON flags (draft_sha256)",
        # The text of each flagged draft, so a missed objection can be replayed as a regression case
        # and similar drafts recognised; keyed by the draft's sha256 (the same draft is stored once).
        """CREATE TABLE flag_drafts (
            sha256 TEXT PRIMARY KEY,
            path TEXT,
            text TEXT NOT NULL,
            text_sha256 TEXT NOT NULL
        )""",
        "CREATE TABLE evals (id TEXT PRIMARY KEY, created_at TEXT NOT NULL, figures TEXT NOT NULL)",
    ],
]

# What a finding flag is called in the error when it names no finding or draft.
_FINDING_FLAGS = {"wrong": "a wrong-finding flag", "good": "a good-catch flag"}


class FlagOrigin(TypedDict, total=False):
    """Who filed a wrong or good flag, from where (source: "cli" when not given), and on which draft file and text."""

    who: str | None
    source: str
    draft_path: str | None
    draft_text: str | None
    import_key: str | None


def text_sha256(text: str) -> str:
    """Hash of a draft's text (the file hash differs for HTML, DOCX or CRLF files of the same text)."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


class FlagBook:
    """Reps' flags: stored here, read by the review (retrieve and validate steps), replayed by eval."""

    def __init__(self, settings: Settings) -> None:
        from reviewer.database import open_database

        self.settings = settings
        self.db = open_database(settings, "feedback.sqlite3")
        self.db.migrate_once("feedback", MIGRATIONS)

    @property
    def location(self) -> str:
        return self.db.location

    # --- writing -------------------------------------------------------------------------------

    def add_missed(
        self,
        text: str,
        *,
        draft_sha256: str | None = None,
        draft_path: str | None = None,
        review_id: str | None = None,
        theme_id: str | None = None,
        account: str | None = None,
        rep: str | None = None,
        who: str | None = None,
        source: str = "cli",
        draft_text: str | None = None,
        import_key: str | None = None,
    ) -> Flag:
        """Store an objection a review missed; `draft_text` makes it a replayable regression case."""
        if not (text or "").strip():
            raise ValueError("a missed-objection flag needs the text of the objection")
        return self._add(
            "missed",
            text=text,
            draft_sha256=draft_sha256,
            draft_path=draft_path,
            review_id=review_id,
            theme_id=theme_id,
            account=account,
            rep=rep,
            who=who,
            source=source,
            draft_text=draft_text,
            import_key=import_key,
        )

    def add_wrong(
        self, *, review_id: str, finding_id: str, reason: str, draft_sha256: str, **origin: Unpack[FlagOrigin]
    ) -> Flag:
        """Store that a finding of a review is wrong; it is suppressed for that draft from now on."""
        return self._add_on_finding("wrong", review_id, finding_id, draft_sha256, reason=reason, **origin)

    def add_good(self, *, review_id: str, finding_id: str, draft_sha256: str, **origin: Unpack[FlagOrigin]) -> Flag:
        """Store that a finding was a good catch; its theme weighs more in later reviews."""
        return self._add_on_finding("good", review_id, finding_id, draft_sha256, **origin)

    def _add_on_finding(
        self,
        kind: str,
        review_id: str,
        finding_id: str,
        draft_sha256: str,
        *,
        reason: str | None = None,
        **origin: Unpack[FlagOrigin],
    ) -> Flag:
        """A wrong or good flag: both name one finding of one draft, and take the finding's theme."""
        if not finding_id or not draft_sha256:
            raise ValueError(f"{_FINDING_FLAGS[kind]} needs the finding id and the draft's sha256")
        return self._add(
            kind,
            review_id=review_id,
            finding_id=finding_id,
            reason=reason,
            theme_id=_theme_of(finding_id),
            draft_sha256=draft_sha256,
            **origin,
        )

    def _add(self, kind: str, *, draft_text: str | None = None, import_key: str | None = None, **fields: Any) -> Flag:
        names = [n for n in (fields.get("rep"), fields.get("who")) if n]
        for key in ("text", "reason"):
            if fields.get(key):
                fields[key] = redact_text(fields[key].strip(), names) if self.settings.redact else fields[key].strip()
        flag = Flag.model_validate(
            {
                "id": uuid.uuid4().hex[:12],
                "kind": kind,
                "created_at": datetime.now(UTC).isoformat(timespec="microseconds"),
                **{k: (v.strip() if isinstance(v, str) else v) or None for k, v in fields.items()},
            }
        )
        if kind == "missed" and not flag.text:
            raise ValueError("a missed-objection flag needs the text of the objection")
        row = flag.model_dump()
        with self.db.transaction(write=True) as db:
            if import_key and db.execute("SELECT 1 FROM flags WHERE import_key = ?", (import_key,)).fetchone():
                raise DuplicateFlag(import_key)
            db.execute(
                f"INSERT INTO flags ({_FLAG_COLUMNS}, import_key) VALUES ({', '.join('?' * 15)})",
                [row[c.strip()] for c in _FLAG_COLUMNS.split(",")] + [import_key],
            )
            if draft_text and flag.draft_sha256:
                db.execute(
                    "INSERT INTO flag_drafts (sha256, path, text, text_sha256) VALUES (?, ?, ?, ?) "
                    "ON CONFLICT (sha256) DO NOTHING",
                    (flag.draft_sha256, flag.draft_path, draft_text, text_sha256(draft_text)),
                )
        return flag

    def save_eval(self, figures: dict[str, Any]) -> None:
        """Keep an eval run's figures; `insights()` shows the last one."""
        with self.db.transaction(write=True) as db:
            db.execute(
                "INSERT INTO evals (id, created_at, figures) VALUES (?, ?, ?)",
                (uuid.uuid4().hex[:12], datetime.now(UTC).isoformat(timespec="seconds"), json.dumps(figures)),
            )

    # --- reading -------------------------------------------------------------------------------

    def list(self, kind: str | None = None) -> list[Flag]:
        """Flags, oldest first; only those of one kind when given."""
        if kind is not None and kind not in FLAG_KINDS:
            raise ValueError(f"unknown flag kind {kind!r}: use one of {', '.join(FLAG_KINDS)}")
        sql = f"SELECT {_FLAG_COLUMNS} FROM flags"
        params: tuple[str, ...] = ()
        if kind:
            sql += " WHERE kind = ?"
            params = (kind,)
        with self.db.transaction() as db:
            rows = db.execute(sql + " ORDER BY created_at, id", params).fetchall()
        return [Flag.model_validate(dict(row)) for row in rows]

    def get(self, flag_id: str) -> Flag | None:
        with self.db.transaction() as db:
            row = db.execute(f"SELECT {_FLAG_COLUMNS} FROM flags WHERE id = ?", (flag_id,)).fetchone()
        return Flag.model_validate(dict(row)) if row else None

    def texts(self, note_ids: Sequence[str]) -> dict[str, str]:
        """Texts of missed-objection flags cited as evidence (`flag-<id>`), for grounding checks."""
        ids = [i.removeprefix(FLAG_NOTE_PREFIX) for i in note_ids if i.startswith(FLAG_NOTE_PREFIX)]
        if not ids:
            return {}
        with self.db.transaction() as db:
            rows = db.execute(
                f"SELECT id, text FROM flags WHERE kind = 'missed' AND id IN ({', '.join('?' * len(ids))})", ids
            ).fetchall()
        return {f"{FLAG_NOTE_PREFIX}{row['id']}": row["text"] for row in rows if row["text"]}

    def draft_texts(self) -> dict[str, tuple[str | None, str, str]]:
        """Flagged drafts by sha256: (path, text, text sha256)."""
        with self.db.transaction() as db:
            rows = db.execute("SELECT sha256, path, text, text_sha256 FROM flag_drafts").fetchall()
        return {row["sha256"]: (row["path"], row["text"], row["text_sha256"]) for row in rows}

    def version(self) -> str:
        """Changes whenever a flag is added: a key for caches of reviews (batch skips)."""
        with self.db.transaction() as db:
            row = db.execute("SELECT COUNT(*) AS n, MAX(created_at) AS latest FROM flags").fetchone()
        return f"{row['n']}-{row['latest'] or ''}"

    def last_eval(self) -> dict[str, Any] | None:
        with self.db.transaction() as db:
            row = db.execute("SELECT created_at, figures FROM evals ORDER BY created_at DESC, id LIMIT 1").fetchone()
        if row is None:
            return None
        return {"created_at": row["created_at"], **json.loads(row["figures"])}

    def insights(self, ctx: ReviewContext | None = None) -> dict[str, Any]:
        """Flags per week, top missed themes, noisy rules and themes, recall on past misses (last eval).

        With a review context, flags without a theme are grouped the way the review groups them.
        """
        from reviewer.feedback.effects import insights

        return insights(self, ctx)

    # --- effects on a review -------------------------------------------------------------------

    def apply_to_themes(
        self, draft: Draft, themes: builtins.list[RelevantTheme], ctx: ReviewContext
    ) -> builtins.list[RelevantTheme]:
        """Missed objections and good catches reshape the relevant themes of this draft."""
        from reviewer.feedback.effects import apply_to_themes

        return apply_to_themes(self, draft, themes, ctx)

    def suppress_wrong(
        self, draft: Draft, objections: builtins.list[ObjectionFinding], brand: builtins.list[BrandFinding]
    ) -> tuple[builtins.list[ObjectionFinding], builtins.list[BrandFinding]]:
        """Findings reps marked wrong on this very draft are left out."""
        from reviewer.feedback.effects import suppress_wrong

        return suppress_wrong(self, draft, objections, brand)


class DuplicateFlag(Exception):
    """A feedback row that was imported before."""


def _theme_of(finding_id: str) -> str | None:
    """The theme of an objection finding id (`objection:<theme>`); None for brand and tone rules."""
    return finding_id.split(":", 1)[1] if finding_id.startswith("objection:") else None


def open_flags(settings: Settings) -> FlagBook:
    """The flag book of these settings, on the process's one connection to its database (migrated once)."""
    return FlagBook(settings)
