"""Treatment preferences, the client's session agenda and their cultural profile.

DESIGN.md places preferences and the agenda inside ``plans``. They live in their own app
because they are the client's voice across the whole course of care rather than parts
of the treatment plan, and because they were built in parallel with it.
"""
