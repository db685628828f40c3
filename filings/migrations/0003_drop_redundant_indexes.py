"""Drop indexes that other indexes cover; each cost every filing an index write or four.

- report.workplace_id: the (workplace, -filed_at) index leads with it;
- submission.report_id: the (report, agency, action) unique index leads with it;
- submission.status, and its LIKE-pattern twin: the (status, next_attempt_at) index leads with it.

Only the indexes go. Django's own AlterField would also drop and re-add the two foreign keys,
which re-checks every row of both tables under lock.
"""

import django.db.models.deletion
from django.db import migrations, models

DROPS = [
    ("filings_report_workplace_id_ec468750", 'ON "filings_report" ("workplace_id")'),
    ("filings_submission_report_id_eac1761b", 'ON "filings_submission" ("report_id")'),
    ("filings_submission_status_e4eb45d0", 'ON "filings_submission" ("status")'),
    (
        "filings_submission_status_e4eb45d0_like",
        'ON "filings_submission" ("status" varchar_pattern_ops)',
    ),
]


def indexes_drop(apps, schema_editor) -> None:  # type: ignore[no-untyped-def]
    for name, _target in DROPS:
        schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"', params=None)


def indexes_restore(apps, schema_editor) -> None:  # type: ignore[no-untyped-def]
    for name, target in DROPS:
        if "varchar_pattern_ops" in target and schema_editor.connection.vendor != "postgresql":
            continue  # only PostgreSQL has (or needs) the LIKE-pattern twin
        schema_editor.execute(f'CREATE INDEX IF NOT EXISTS "{name}" {target}', params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("filings", "0002_api_webhooks_bulk"),
        ("portal", "0004_drop_redundant_indexes"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="report",
                    name="workplace",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="reports",
                        to="portal.workplace",
                    ),
                ),
                migrations.AlterField(
                    model_name="submission",
                    name="report",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="submissions",
                        to="filings.report",
                    ),
                ),
                migrations.AlterField(
                    model_name="submission",
                    name="status",
                    field=models.CharField(
                        choices=[
                            ("queued", "대기"),
                            ("sending", "전송 중"),
                            ("received", "접수"),
                            ("accepted", "처리완료"),
                            ("rejected", "반려"),
                            ("failed", "전송 실패"),
                            ("cancelled", "취소"),
                            ("manual", "수동 처리"),
                        ],
                        default="queued",
                        max_length=10,
                        verbose_name="상태",
                    ),
                ),
            ],
            database_operations=[
                migrations.RunPython(indexes_drop, indexes_restore, elidable=False)
            ],
        )
    ]
