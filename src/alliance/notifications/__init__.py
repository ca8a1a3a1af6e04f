"""Reminders and e-mail sent by the task-queue worker, with no health information."""
