import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    """
    The screening answers get a model of their own so that deleting a warning
    cannot delete them (PROTECT). The table stays the one Django made for the
    plain many-to-many field: only the state changes, no data moves.
    """

    dependencies = [
        ("accounts", "0005_weekly_target_range"),
        ("exercises", "0002_red_flags_retired_seed_rows"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="ScreeningAnswer",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        (
                            "contraindication",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="answers",
                                to="exercises.contraindication",
                            ),
                        ),
                        (
                            "user",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={
                        "db_table": "accounts_user_conditions",
                        "unique_together": {("user", "contraindication")},
                    },
                ),
                migrations.AlterField(
                    model_name="user",
                    name="conditions",
                    field=models.ManyToManyField(
                        blank=True,
                        help_text="Screening answers: the warnings the person said apply to them.",
                        related_name="+",
                        through="accounts.ScreeningAnswer",
                        to="exercises.contraindication",
                    ),
                ),
            ],
            database_operations=[],
        ),
    ]
