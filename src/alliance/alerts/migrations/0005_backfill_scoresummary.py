"""Fill the score summaries from the responses stored before summaries existed.

The SQL is frozen here as it stood when the table was made (alerts.reports keeps the
current copy as ``summary_rebuild``), so that later changes to the app cannot change
what this migration does.
"""

from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

COLUMNS = "episode_id, instrument_id, first_response_id, first_at, first_total, latest_response_id, latest_at, latest_total, scores, total_sum"

FROM_RESPONSES = """
    SELECT episode_id, instrument_id,
        MAX(CASE WHEN from_first = 1 THEN id END),
        MAX(CASE WHEN from_first = 1 THEN submitted_at END),
        MAX(CASE WHEN from_first = 1 THEN total END),
        MAX(CASE WHEN from_last = 1 THEN id END),
        MAX(CASE WHEN from_last = 1 THEN submitted_at END),
        MAX(CASE WHEN from_last = 1 THEN total END),
        COUNT(*), SUM(total)
    FROM (
        SELECT id, episode_id, instrument_id, total, submitted_at,
            ROW_NUMBER() OVER (
                PARTITION BY episode_id, instrument_id ORDER BY submitted_at, id
            ) AS from_first,
            ROW_NUMBER() OVER (
                PARTITION BY episode_id, instrument_id ORDER BY submitted_at DESC, id DESC
            ) AS from_last
        FROM measures_response
        WHERE total IS NOT NULL
    ) ordered
    GROUP BY episode_id, instrument_id
"""


def backfill(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("DELETE FROM alerts_scoresummary")
        cursor.execute(f"INSERT INTO alerts_scoresummary ({COLUMNS}) {FROM_RESPONSES}")


class Migration(migrations.Migration):
    dependencies = [
        ("alerts", "0004_scoresummary"),
    ]

    operations = [
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
