"""Flags and insights: placeholder until the feedback book lands."""

import streamlit as st

st.title("Flags & insights")
