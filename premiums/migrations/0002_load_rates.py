# Loads the packaged rate schedule (premiums/data/rates.json) into RateValue rows.
# A new schedule version ships as an updated rates.json plus a new migration calling load_schedule;
# rows are matched on (kind, key, valid_from) so loading is idempotent.

from datetime import date

from django.db import migrations


def load_schedule(apps, schema_editor):
    from premiums.rates import RateBook, rates_json_load

    RateValue = apps.get_model("premiums", "RateValue")
    data = rates_json_load()
    RateBook.from_dict(data)  # refuse to load an inconsistent file
    version = data["version"]
    for value in data["values"]:
        valid_to = value.get("valid_to")
        RateValue.objects.update_or_create(
            kind=value["kind"],
            key=value.get("key") or "",
            valid_from=date.fromisoformat(value["valid_from"]),
            defaults={
                "schedule_version": version,
                "label": value.get("label") or "",
                "numerator": value.get("numerator"),
                "denominator": value.get("denominator"),
                "amount": value.get("amount"),
                "valid_to": date.fromisoformat(valid_to) if valid_to else None,
                "source": value["source"],
                "verified": value["verified"],
            },
        )


def unload_schedule(apps, schema_editor):
    RateValue = apps.get_model("premiums", "RateValue")
    RateValue.objects.filter(schedule_version="2026-11-22.1").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("premiums", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(load_schedule, unload_schedule),
    ]
