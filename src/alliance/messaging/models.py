"""Secure messages."""
