"""Storing reps' flags from the review page: what was missed, what is wrong, what was a good catch.

Each call says what will change, so a rep sees that the flag matters.
"""

from __future__ import annotations

from collections.abc import Callable

import components as ui  # ui/components.py: the main script's folder is on the path
import streamlit as st

from reviewer.drafts import Draft
from reviewer.errors import ReviewerError
from reviewer.feedback import FlagBook, open_flags
from reviewer.models import Review

SAVED = "flags-saved"  # session key: finding id -> what the rep said about it, shown under the finding


def finding_feedback(review: Review, finding_id: str, label: str) -> None:
    """“This is wrong” with a reason, or “Good catch”, for one finding; a saved flag stays confirmed.

    Both save in a callback, before the page is drawn again, so the confirmation under the finding
    appears at once and the toast survives the popover closing.
    """
    wrong, good, _ = st.columns([1, 1, 3])
    with wrong.popover("This is wrong", icon=":material/thumb_down:"), st.form(f"wrong-{finding_id}", border=False):
        st.text_input("Why is it wrong?", key=f"reason-{finding_id}")
        st.form_submit_button("Send", on_click=_send_wrong, args=(review, finding_id, label))
    good.button(
        "Good catch",
        icon=":material/thumb_up:",
        key=f"good-{finding_id}",
        on_click=flag_good,
        args=(review, finding_id, label, False),
    )
    saved = st.session_state.get(SAVED, {}).get(finding_id)
    if saved:
        st.caption(f":material/check_circle: {saved}")


def _send_wrong(review: Review, finding_id: str, label: str) -> None:
    reason = str(st.session_state.get(f"reason-{finding_id}", "")).strip()
    if not reason:
        st.toast("Tell us why the finding is wrong, in a few words.", icon=":material/edit:")
        return
    flag_wrong(review, finding_id, label, reason, inline=False)


def _book() -> FlagBook:
    return open_flags(ui.settings())


def _save(
    store: Callable[[FlagBook], object],
    message: str,
    finding_id: str | None = None,
    saved: str = "",
    inline: bool = True,
) -> None:
    """Store one flag, then confirm it with a toast that survives the rerun (a form in a popover
    collapses on submit, taking any message inside it along) and a line under the finding."""
    try:
        store(_book())
    except (ReviewerError, ValueError) as exc:
        st.error(f"The flag could not be saved: {ui.md(str(exc))}")
        return
    # No context reload: the review reads the flag book at every run, so the next review sees it.
    st.session_state["flagged"] = True
    if finding_id:
        st.session_state.setdefault(SAVED, {})[finding_id] = saved
    st.toast(message, icon=":material/check_circle:", duration="long")
    if inline:  # in a callback there is no place on the page yet: the toast and the line say it
        st.success(message, icon=":material/check_circle:")


def flag_missed(review: Review, draft: Draft, text: str, account: str | None, rep: str | None) -> None:
    _save(
        lambda book: book.add_missed(
            text,
            draft_sha256=draft.sha256,
            draft_path=draft.path,
            review_id=review.review_id,
            account=account,
            rep=rep,
            source="screen",
            draft_text=draft.text,
        ),
        "Thanks — flag saved. The next review of this draft (and of similar drafts) will include it, "
        "quoting your words, until the draft answers it.",
    )


def flag_wrong(review: Review, finding_id: str, label: str, reason: str, inline: bool = True) -> None:
    _save(
        lambda book: book.add_wrong(
            review_id=review.review_id,
            finding_id=finding_id,
            reason=reason,
            draft_sha256=review.draft.sha256,
            draft_path=review.draft.path,
            source="screen",
        ),
        f"Thanks — “{ui.md(label)}” is marked wrong. The next review of this draft will leave it out, "
        "and it counts against its rule or theme.",
        finding_id,
        f"You marked this wrong: “{ui.md(reason)}”. Saved; the next review leaves it out.",
        inline,
    )


def flag_good(review: Review, finding_id: str, label: str, inline: bool = True) -> None:
    _save(
        lambda book: book.add_good(
            review_id=review.review_id,
            finding_id=finding_id,
            draft_sha256=review.draft.sha256,
            draft_path=review.draft.path,
            source="screen",
        ),
        f"Thanks — “{ui.md(label)}” is confirmed. Its theme or rule now weighs more in future reviews.",
        finding_id,
        "You marked this a good catch. Saved; its theme or rule weighs more from now on.",
        inline,
    )
