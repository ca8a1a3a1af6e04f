"""Who reads each part of the client's voice: their therapist, and separately the supervisor.

Until now the portal told the client "My therapist may see this" (cultural profile) and
"Your therapist sees them" (preferences), while the episode's supervisor read the same.
Existing data keeps what the client was promised: what their therapist read stays shared
with the therapist (every saved preference version was), and nothing is shared with the
supervisor until the client chooses it.
"""

from django.db import migrations, models

CULTURAL_CODES = ("background", "beliefs", "family", "understand", "languages")


class Migration(migrations.Migration):
    dependencies = [
        ("preferences", "0001_initial"),
    ]

    operations = [
        *(
            migrations.AddField(
                model_name="culturalprofile",
                name=f"{code}_shared_supervisor",
                field=models.BooleanField(default=False),
            )
            for code in CULTURAL_CODES
        ),
        migrations.AddField(
            model_name="treatmentpreferences",
            name="shared",
            field=models.BooleanField(default=True, verbose_name="shared with my therapist"),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="treatmentpreferences",
            name="shared_with_supervisor",
            field=models.BooleanField(
                default=False, verbose_name="also shared with my therapist's supervisor"
            ),
        ),
        *(
            migrations.AddConstraint(
                model_name="culturalprofile",
                constraint=models.CheckConstraint(
                    condition=models.Q((f"{code}_shared", True))
                    | models.Q((f"{code}_shared_supervisor", False)),
                    name=f"cultural_{code}_supervisor_only_with_therapist",
                ),
            )
            for code in CULTURAL_CODES
        ),
        migrations.AddConstraint(
            model_name="treatmentpreferences",
            constraint=models.CheckConstraint(
                condition=models.Q(("shared", True)) | models.Q(("shared_with_supervisor", False)),
                name="preferences_supervisor_only_with_therapist",
            ),
        ),
    ]
