"""Preferences and cultural profile."""
