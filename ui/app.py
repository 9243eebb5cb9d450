"""The review screen: a thin multipage shell; every page calls into `reviewer` for its logic."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

PAGES = Path(__file__).resolve().parent / "pages"

st.set_page_config(page_title="Collateral Reviewer", page_icon="📝", layout="wide")
page = st.navigation(
    [
        st.Page(PAGES / "review.py", title="Review a draft", icon=":material/rate_review:", default=True),
        st.Page(PAGES / "objections.py", title="Objections", icon=":material/forum:"),
        st.Page(PAGES / "batch.py", title="Batch reviews", icon=":material/folder_open:"),
        st.Page(PAGES / "insights.py", title="Flags & insights", icon=":material/insights:"),
    ]
)
page.run()
