"""Reporters: consumers of stored results (JSON, CSV, HTML)."""
