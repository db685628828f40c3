"""The PIPA 접속기록 becomes a hash chain (portal.access_log) and, on PostgreSQL, append-only.

Existing records are chained in the order they were written (time, then id). The digest below
is a copy of portal.access_log.access_record_digest as of this migration; that function must
never change, or every chain written before the change stops verifying.
"""

import hashlib
import json
from datetime import UTC

from django.db import migrations, models

GENESIS = "0" * 64

APPEND_ONLY = """
CREATE OR REPLACE FUNCTION portal_accessrecord_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'portal_accessrecord is append-only (PIPA 접속기록): % refused', TG_OP;
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER portal_accessrecord_append_only
    BEFORE UPDATE OR DELETE ON portal_accessrecord
    FOR EACH ROW EXECUTE FUNCTION portal_accessrecord_append_only();
"""
APPEND_ONLY_UNDO = """
DROP TRIGGER IF EXISTS portal_accessrecord_append_only ON portal_accessrecord;
DROP FUNCTION IF EXISTS portal_accessrecord_append_only();
"""


def _digest(r) -> str:  # type: ignore[no-untyped-def]
    fields = [
        r.prev_hash,
        r.seq,
        r.at.astimezone(UTC).isoformat(),
        r.user_id,
        r.ip or "",
        r.employee_id,
        str(r.action),
        r.reason,
    ]
    text = json.dumps(fields, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def chain_existing(apps, schema_editor) -> None:  # type: ignore[no-untyped-def]
    AccessRecord = apps.get_model("portal", "AccessRecord")
    prev = GENESIS
    for seq, record in enumerate(AccessRecord.objects.order_by("at", "id").iterator(), start=1):
        record.seq, record.prev_hash = seq, prev
        record.hash = prev = _digest(record)
        record.save(update_fields=["seq", "prev_hash", "hash"])


def append_only(apps, schema_editor) -> None:  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(APPEND_ONLY, params=None)


def append_only_undo(apps, schema_editor) -> None:  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(APPEND_ONLY_UNDO, params=None)


class Migration(migrations.Migration):
    dependencies = [("portal", "0005_workplace_management_number_provisional")]

    operations = [
        migrations.AddField(
            model_name="accessrecord",
            name="seq",
            field=models.PositiveBigIntegerField(
                editable=False, null=True, unique=True, verbose_name="순번"
            ),
        ),
        migrations.AddField(
            model_name="accessrecord",
            name="prev_hash",
            field=models.CharField(default="", editable=False, max_length=64),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="accessrecord",
            name="hash",
            field=models.CharField(default="", editable=False, max_length=64, verbose_name="해시"),
            preserve_default=False,
        ),
        migrations.RunPython(chain_existing, migrations.RunPython.noop, elidable=False),
        migrations.AlterField(
            model_name="accessrecord",
            name="seq",
            field=models.PositiveBigIntegerField(editable=False, unique=True, verbose_name="순번"),
        ),
        migrations.RunPython(append_only, append_only_undo, elidable=False),
    ]
