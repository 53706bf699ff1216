"""Ingest: fetch what sources publish, normalise it, store articles and change events."""
