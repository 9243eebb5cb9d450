"""What reps flagged and what it changed: flags over time, top missed themes, noisy rules, recall."""

from __future__ import annotations

import components as ui  # ui/components.py: the main script's folder is on the path
import pandas as pd
import streamlit as st

from reviewer.errors import ReviewerError
from reviewer.feedback import open_flags


def main() -> None:
    st.title("Flags & insights")
    st.caption("Reps' flags on reviews, and how well reviews now catch what they missed before.")
    settings = ui.settings()
    try:
        ctx = ui.review_context(settings)
        facts = open_flags(settings).insights(ctx)
    except ReviewerError as exc:
        st.error(f"The flags cannot be read: {ui.md(str(exc))}")
        return
    totals = facts.get("totals", {})
    recall = facts.get("recall")
    cols = st.columns(4)
    cols[0].metric("Missed objections flagged", totals.get("missed", 0))
    cols[1].metric("Findings marked wrong", totals.get("wrong", 0))
    cols[2].metric("Good catches", totals.get("good", 0))
    cols[3].metric(
        "Recall on past misses",
        "—" if recall is None else f"{recall:.0%}",
        help="Share of past missed-objection flags the current review catches (from the last `reviewer eval`).",
    )
    if not any(totals.values()):
        st.info("No flags yet. Flag a miss or a wrong finding on the Review page; it shows up here.")
        return
    if recall is None:
        st.caption("Run `reviewer eval` to measure recall on past misses.")

    st.subheader("Flags over time")
    weeks = pd.DataFrame(facts.get("per_week", []))
    if not weeks.empty:
        chart = weeks.rename(columns={"missed": "Missed", "wrong": "Wrong", "good": "Good catch"}).set_index("week")
        st.bar_chart(chart, x_label="Week", y_label="Flags", color=["#b42318", "#dc6803", "#079455"])

    left, right = st.columns(2)
    with left:
        st.subheader("Top missed objections")
        top = facts.get("top_missed_themes", [])
        if top:
            st.dataframe(
                pd.DataFrame(
                    [
                        {"Objection": t["label"], "Flags": t["flags"], "New theme": "yes" if t.get("founded") else ""}
                        for t in top
                    ]
                ),
                hide_index=True,
                width="stretch",
            )
        else:
            st.caption("No missed objections flagged.")
    with right:
        st.subheader("Noisy rules and objections")
        st.caption("Findings reps marked wrong, by the brand rule or objection that raised them.")
        wrong = facts.get("wrong_by_target", [])
        labels = {f"objection:{t.theme_id}": t.label for t in ctx.themes}
        if wrong:
            st.dataframe(
                pd.DataFrame(
                    [
                        {
                            "Rule or objection": target_name(w["target"], labels),
                            "Wrong": w["wrong"],
                            "Good catch": w.get("good", 0),
                            "Noisy": "noisy" if w.get("noisy") else "",
                        }
                        for w in wrong
                    ]
                ),
                hide_index=True,
                width="stretch",
            )
        else:
            st.caption("No finding marked wrong.")
    last = facts.get("last_eval")
    if last:
        with st.expander("Last evaluation run"):
            st.json(last)


def target_name(target: str, labels: dict[str, str]) -> str:
    """A flag's target in words: an objection by its label, a brand rule by its name."""
    if target in labels:
        return f"Objection: {labels[target]}"
    if target.startswith("objection:"):
        return "Objection: " + target.removeprefix("objection:").replace("_", " ").capitalize()
    return f"Brand rule {target}"


main()
