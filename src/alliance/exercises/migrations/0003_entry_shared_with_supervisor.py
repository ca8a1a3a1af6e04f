"""An entry shared with the therapist may also be shared with the therapist's supervisor.

The client chose "Share it with my therapist"; the supervisor read those entries too. Every
existing entry keeps its therapist sharing and is not shared with the supervisor until the
client chooses so.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("exercises", "0002_assignment_goal"),
    ]

    operations = [
        migrations.AddField(
            model_name="entry",
            name="shared_with_supervisor",
            field=models.BooleanField(
                default=False, verbose_name="also share with my therapist's supervisor"
            ),
        ),
        migrations.AddConstraint(
            model_name="entry",
            constraint=models.CheckConstraint(
                condition=models.Q(("shared", True)) | models.Q(("shared_with_supervisor", False)),
                name="exercise_entry_supervisor_only_with_therapist",
            ),
        ),
    ]
