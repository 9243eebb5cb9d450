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
    st.caption("Learnt from your sales call notes. Bigger and higher means more calls and more lost deals.")
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


def chart(themes: list[Theme]) -> alt.LayerChart:
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
    base = alt.Chart(data).encode(
        x=alt.X("Calls:Q", title="Calls raising it", scale=alt.Scale(zero=True)),
        y=alt.Y("Lost:Q", title="Share of those deals lost", axis=alt.Axis(format="%"), scale=alt.Scale(domain=[0, 1])),
    )
    points = base.mark_circle(opacity=0.75, color="#4f46e5").encode(
        size=alt.Size("Impact:Q", legend=None, scale=alt.Scale(range=[80, 900])),
        tooltip=["Objection", "Calls", alt.Tooltip("Lost:Q", format=".0%"), "Impact"],
    )
    labels = base.mark_text(align="left", dx=12, fontSize=12, color="#344054").encode(text="Objection")
    return (points + labels).properties(height=380)


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
