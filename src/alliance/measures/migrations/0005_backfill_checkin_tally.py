"""Fill the check-in tallies from the administrations stored before tallies existed.

Nothing is counted as passed unanswered yet (``expired_at`` is new and empty): the
practice report adds those from the administrations until the worker's round counts
them. The SQL is frozen here as it stood when the table was made
(``alliance.measures.services.tally_rebuild`` keeps the current copy).
"""

from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

FROM_ADMINISTRATIONS = """
    SELECT episode_id,
        SUM(CASE WHEN completed_at IS NOT NULL AND cancelled_at IS NULL THEN 1 ELSE 0 END)
            AS completed,
        SUM(CASE WHEN completed_at IS NULL AND cancelled_at IS NULL
            AND expired_at IS NOT NULL THEN 1 ELSE 0 END) AS expired
    FROM measures_administration
    GROUP BY episode_id
"""


def backfill(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("DELETE FROM measures_checkintally")
        cursor.execute(
            "INSERT INTO measures_checkintally (episode_id, completed, expired) "  # noqa: S608
            f"SELECT * FROM ({FROM_ADMINISTRATIONS}) counted "
            "WHERE counted.completed + counted.expired > 0"
        )


class Migration(migrations.Migration):
    dependencies = [
        ("measures", "0004_checkin_tally"),
    ]

    operations = [
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
