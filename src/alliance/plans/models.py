"""Treatment plans."""
