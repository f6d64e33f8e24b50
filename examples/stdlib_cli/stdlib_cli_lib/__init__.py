"""Helpers for the stdlib_cli example."""
