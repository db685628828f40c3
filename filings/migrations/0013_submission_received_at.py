from django.db import migrations, models
from django.db.models import Min, OuterRef, Subquery


def received_at_from_timeline(apps, schema_editor):  # type: ignore[no-untyped-def]
    """Until now the time of the receipt lived only on the timeline (its first 'received')."""
    Submission = apps.get_model("filings", "Submission")
    ReportEvent = apps.get_model("filings", "ReportEvent")
    first = (
        ReportEvent.objects.filter(submission=OuterRef("pk"), status="received")
        .values("submission")
        .annotate(first=Min("at"))
        .values("first")
    )
    Submission.objects.exclude(receipt_number="").update(received_at=Subquery(first))


class Migration(migrations.Migration):
    dependencies = [
        ("filings", "0012_agency_file_replaced_by"),
    ]

    operations = [
        migrations.AddField(
            model_name="submission",
            name="received_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="접수 시각"),
        ),
        migrations.RunPython(received_at_from_timeline, migrations.RunPython.noop),
    ]
