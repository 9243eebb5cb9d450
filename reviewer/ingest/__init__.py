"""Ingestion: find note files, read them into redacted call notes with speaker turns, chunk them."""
