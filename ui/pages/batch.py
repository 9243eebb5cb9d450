"""Batch reviews: placeholder until the batch summary lands."""

import streamlit as st

st.title("Batch reviews")
