"""A client's check-in from submission to the therapist's e-mail, in one place.

Submitting a response touches three apps: ``measures`` scores and stores it, ``alerts``
raises what it trips, ``notifications`` queues the e-mail. This package sits above all
three so that none of them imports another upwards (pyproject.toml, import-linter). It
has no models and is not a Django app.
"""
