"""Batch review of a folder: discovery, the manifest of finished reviews, the runner, the summary, watch mode."""
