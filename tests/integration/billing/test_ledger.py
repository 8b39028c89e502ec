"""The credit ledger: the balance is the sum, grants are idempotent per period, staff adjustments
need a reason and may not take the balance below zero, and rows can be neither changed nor deleted."""

from datetime import UTC, datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError, transaction

from billing import selectors
from billing.models import CreditLedger, LedgerKind
from billing.services import billing_account_refresh, credit_adjust, credit_grant_for_period
from kolony.accounts.audit_display import audit_sentence
from kolony.accounts.models import AuditEvent, Organization
from tests.integration.billing.b1_fixtures import give_credits, set_plan

pytestmark = pytest.mark.django_db
START = datetime(2026, 11, 1, tzinfo=UTC)


def test_balance_is_the_sum_of_every_movement(alice_org, charlie_org, alice):
    give_credits(alice_org, 100)
    give_credits(charlie_org, 7)
    credit_adjust(organization=alice_org, credits=-30, reason="Refund by card instead", actor=alice)
    credit_adjust(organization=alice_org, credits=5, reason="Goodwill", actor=alice)
    assert selectors.credit_balance(organization=alice_org) == 75
    assert selectors.credit_balance(organization=charlie_org) == 7
    assert sorted(CreditLedger.objects.filter(organization=alice_org).values_list("credits", flat=True)) == [-30, 5, 100]


def test_a_paid_period_is_granted_once(alice_org):
    for _ in range(3):  # invoice.paid retried, replayed under a new event id, or processed twice
        credit_grant_for_period(organization=alice_org, subscription_id="sub_1", period_start=START, period_end=None,
                                credits=1200, plan_name="Pro")
    credit_grant_for_period(organization=alice_org, subscription_id="sub_1", period_start=START.replace(month=12),
                            period_end=None, credits=1200, plan_name="Pro")
    assert selectors.credit_balance(organization=alice_org) == 2400
    assert CreditLedger.objects.filter(organization=alice_org, kind=LedgerKind.GRANT).count() == 2


@pytest.mark.parametrize("credits", [-1, -51, -1000])
def test_negative_adjustment_below_zero_is_refused_and_nothing_is_written(alice_org, alice, credits):
    give_credits(alice_org, 50)
    if 50 + credits >= 0:
        credit_adjust(organization=alice_org, credits=credits, reason="correction", actor=alice)
        assert selectors.credit_balance(organization=alice_org) == 50 + credits
        return
    with pytest.raises(ValidationError) as exc:
        credit_adjust(organization=alice_org, credits=credits, reason="correction", actor=alice)
    message = exc.value.message_dict["credits"][0]
    assert "has 50 credits" in message and "below zero" in message
    assert selectors.credit_balance(organization=alice_org) == 50
    assert CreditLedger.objects.filter(organization=alice_org, kind=LedgerKind.ADJUSTMENT).count() == 0


@pytest.mark.parametrize(("credits", "reason", "field"), [(5, "", "reason"), (5, "   ", "reason"), (0, "x", "credits")])
def test_adjustment_needs_a_reason_and_a_non_zero_amount(alice_org, alice, credits, reason, field):
    with pytest.raises(ValidationError) as exc:
        credit_adjust(organization=alice_org, credits=credits, reason=reason, actor=alice)
    assert field in exc.value.message_dict
    assert not CreditLedger.objects.filter(organization=alice_org).exists()


def test_adjustment_is_audited_in_words(alice_org, alice):
    credit_adjust(organization=alice_org, credits=25, reason="Support ticket 42", actor=alice)
    event = AuditEvent.objects.get(organization=alice_org, action="billing.credits_adjusted")
    assert audit_sentence(event).endswith("adjusted the render credits by +25 (Support ticket 42)")


def test_ledger_rows_cannot_be_updated_or_deleted(alice_org):
    row = give_credits(alice_org, 10)
    for statement in (lambda: CreditLedger.objects.filter(pk=row.pk).update(credits=1000),
                      lambda: CreditLedger.objects.filter(pk=row.pk).delete()):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            statement()
    assert CreditLedger.objects.get(pk=row.pk).credits == 10


def test_deleting_an_organization_removes_its_ledger(alice_org, alice):
    give_credits(alice_org, 10)
    org = Organization.objects.create(name="Short-lived")
    give_credits(org, 3)
    org.delete()
    assert not CreditLedger.objects.filter(organization_id=org.pk).exists()
    assert selectors.credit_balance(organization=alice_org) == 10


def test_free_plan_tops_up_once_a_month(billing_on, alice_org):
    set_plan(alice_org, "free")
    billing_account_refresh(organization=alice_org)
    billing_account_refresh(organization=alice_org)
    assert selectors.credit_balance(organization=alice_org) == 60
    assert selectors.credit_summary(organization=alice_org)["granted_this_period"] == 60
