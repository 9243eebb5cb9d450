"""The themes explorer: what customers object to, how often, and how often the deal is lost."""

from __future__ import annotations

import altair as alt
import components as ui  # ui/components.py: the main script's folder is on the path
import pandas as pd
import streamlit as st

from reviewer.errors import ReviewerError
from reviewer.models import Theme
from reviewer.objections import filter_themes

ANY = "Any"


def main() -> None:
    st.title("Objections customers raise")
    st.caption(
        "Learnt from your sales call notes, highest impact first: the calls raising an objection, weighted by "
        "how often those deals were lost (calls × (0.5 + share lost))."
    )
    try:
        ctx = ui.review_context(ui.settings())
    except ReviewerError as exc:
        st.error(f"The call notes cannot be read: {exc}")
        return
    if not ctx.themes:
        st.info(ui.NO_CORPUS, icon="📭")
        return
    themes = ctx.themes
    cols = st.columns(3)
    segment = cols[0].selectbox("Segment", [ANY, *sorted({s for t in themes for s in t.segments})])
    product = cols[1].selectbox("Product", [ANY, *sorted({p for t in themes for p in t.products})])
    language = cols[2].selectbox("Language", [ANY, *sorted({x for t in themes for x in t.languages})])
    shown = filter_themes(
        themes,
        segment=None if segment == ANY else segment,
        product=None if product == ANY else product,
        language=None if language == ANY else language,
    )
    if not shown:
        st.info("No objection matches these filters.")
        return
    st.altair_chart(chart(shown), width="stretch")
    for theme in shown:
        theme_card(theme)


def chart(themes: list[Theme]) -> alt.Chart:
    """One bar per objection, longest = most calls, coloured by the share of deals lost.

    Labels sit on the y axis, one per row, so they never overlap however many themes there are.
    """
    data = pd.DataFrame(
        [
            {
                "Objection": t.label,
                "Calls": t.frequency,
                "Lost": t.loss_rate if t.loss_rate is not None else 0.0,
                "Impact": round(t.impact, 2),
            }
            for t in themes
        ]
    )
    order = list(data.sort_values("Impact", ascending=False)["Objection"])
    return (
        alt.Chart(data)
        .mark_bar(cornerRadiusEnd=3)
        .encode(
            y=alt.Y("Objection:N", sort=order, title=None, axis=alt.Axis(labelLimit=320)),
            x=alt.X("Calls:Q", title="Calls raising it"),
            color=alt.Color(
                "Lost:Q",
                title="Deals lost",
                scale=alt.Scale(domain=[0, 1], scheme="orangered"),
                legend=alt.Legend(format="%"),
            ),
            tooltip=["Objection", "Calls", alt.Tooltip("Lost:Q", format=".0%", title="Deals lost"), "Impact"],
        )
        .properties(height=max(160, 34 * len(themes)))
    )


def theme_card(theme: Theme) -> None:
    loss = "loss rate unknown" if theme.loss_rate is None else f"{theme.loss_rate:.0%} lost"
    with st.expander(f"**{ui.md(theme.label)}** — {theme.frequency} calls · {loss}"):
        if theme.description:
            st.markdown(ui.md(theme.description))
        facts = [
            ("Segments", ", ".join(theme.segments)),
            ("Products", ", ".join(theme.products)),
            ("Languages", ", ".join(theme.languages)),
            ("Seen", " – ".join(x for x in (theme.first_seen, theme.last_seen) if x)),
        ]
        st.caption(" · ".join(f"{name}: {ui.md(value)}" for name, value in facts if value))
        if theme.quotes:
            st.markdown("**What customers said**")
            for q in theme.quotes:
                meta = " · ".join(x for x in (q.outcome, q.date, q.note_id) if x)
                st.markdown(f"> “{ui.md(q.quote)}”  \n> *{ui.md(meta)}*")
        if theme.answers:
            st.markdown("**What reps answered**")
            for a in sorted(theme.answers, key=lambda a: a.outcome != "won"):
                meta = " · ".join(x for x in (a.outcome, a.date, a.note_id) if x)
                st.markdown(f"- “{ui.md(a.quote)}” *({ui.md(meta)})*")


main()
