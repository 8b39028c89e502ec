"""Seeds the plans and makes the credit ledger append-only in PostgreSQL: a trigger refuses UPDATE
and DELETE, except unlinking a deleted job/render/user (ON DELETE SET NULL) and deleting a whole
organization (billing.apps sets ``kolony.ledger_purge`` for that transaction only)."""

from django.db import migrations

from billing.plan_catalog import PLANS  # the catalogue lives in code; plan_by_code re-seeds it if rows vanish

TRIGGER = """
CREATE OR REPLACE FUNCTION billing_ledger_append_only() RETURNS trigger AS $$
BEGIN
  IF current_setting('kolony.ledger_purge', true) = 'on' THEN
    IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
    RETURN NEW;
  END IF;
  IF TG_OP = 'UPDATE'
     AND NEW.organization_id = OLD.organization_id AND NEW.kind = OLD.kind AND NEW.credits = OLD.credits
     AND NEW.reason = OLD.reason AND NEW.created_at = OLD.created_at
     AND NEW.idempotency_key IS NOT DISTINCT FROM OLD.idempotency_key
     AND NEW.stripe_event_id = OLD.stripe_event_id
     AND NEW.closes_id IS NOT DISTINCT FROM OLD.closes_id
     AND NEW.period_start IS NOT DISTINCT FROM OLD.period_start
     AND NEW.period_end IS NOT DISTINCT FROM OLD.period_end
     AND (NEW.job_id IS NULL OR NEW.job_id = OLD.job_id)
     AND (NEW.render_id IS NULL OR NEW.render_id = OLD.render_id)
     AND (NEW.actor_id IS NULL OR NEW.actor_id = OLD.actor_id) THEN
    RETURN NEW;  -- only a deleted job/render/user being unlinked (ON DELETE SET NULL)
  END IF;
  RAISE EXCEPTION 'billing_creditledger is append-only (% refused)', TG_OP;
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS billing_ledger_append_only ON billing_creditledger;
CREATE TRIGGER billing_ledger_append_only BEFORE UPDATE OR DELETE ON billing_creditledger
  FOR EACH ROW EXECUTE FUNCTION billing_ledger_append_only();
"""
DROP_TRIGGER = """
DROP TRIGGER IF EXISTS billing_ledger_append_only ON billing_creditledger;
DROP FUNCTION IF EXISTS billing_ledger_append_only();
"""


def seed(apps, schema_editor):
    Plan = apps.get_model("billing", "Plan")
    for row in PLANS:
        Plan.objects.update_or_create(code=row["code"], defaults=row)


def trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(TRIGGER, params=None)


def drop_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_TRIGGER, params=None)


class Migration(migrations.Migration):
    dependencies = [("billing", "0001_initial")]

    operations = [
        migrations.RunPython(seed, migrations.RunPython.noop),
        migrations.RunPython(trigger, drop_trigger),
    ]
