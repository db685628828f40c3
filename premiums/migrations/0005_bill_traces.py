from django.db import migrations, models


def traces_moved_to_bills(apps, schema_editor):
    # Each bill keeps its distinct traces once; its lines keep the index of theirs.
    Bill = apps.get_model("premiums", "Bill")
    BillLine = apps.get_model("premiums", "BillLine")
    for bill in Bill.objects.iterator():
        traces: list = []
        for line in BillLine.objects.filter(bill=bill).only("id", "trace").iterator():
            if line.trace not in traces:
                traces.append(line.trace)
            line.trace_index = traces.index(line.trace)
            line.save(update_fields=["trace_index"])
        bill.traces = traces
        bill.save(update_fields=["traces"])


class Migration(migrations.Migration):
    dependencies = [
        ("premiums", "0004_bill_stale"),
    ]

    operations = [
        migrations.AddField(
            model_name="bill",
            name="traces",
            field=models.JSONField(blank=True, default=list, verbose_name="계산 내역"),
        ),
        migrations.AddField(
            model_name="billline",
            name="trace_index",
            field=models.PositiveSmallIntegerField(default=0),
        ),
        migrations.RunPython(traces_moved_to_bills, migrations.RunPython.noop),
        migrations.RemoveField(
            model_name="billline",
            name="trace",
        ),
    ]
