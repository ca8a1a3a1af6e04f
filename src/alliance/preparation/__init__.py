"""Session preparation: what happened in an episode of care since the session before.

A read-only gathering of the other features' records for the clinician's page before a
session (issue 17); it owns no data. The reply to the last session's summary belongs
here too once summaries exist (a later part of issue 17).
"""
