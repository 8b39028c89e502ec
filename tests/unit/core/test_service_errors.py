"""One service-error → page adapter (kolony.core.service_errors), used by every app's views."""

import pytest
from django import forms
from django.core.exceptions import ValidationError

from kolony.core import service_errors


class TargetingForm(forms.Form):
    name = forms.CharField(required=False)
    budget = forms.IntegerField(required=False)
    countries = forms.CharField(required=False)


def _bound():
    form = TargetingForm({"name": "x", "budget": "5", "countries": "US"})
    assert form.is_valid()
    return form


@pytest.mark.parametrize("exc, field_errors, non_field", [
    (ValidationError({"name": ["Name is taken."]}), {"name": ["Name is taken."]}, []),
    (ValidationError({"budget_minor": ["Too small."]}), {"budget": ["Too small."]}, []),  # through field_map
    (ValidationError({"currency": ["Unknown code."]}), {}, ["currency: Unknown code."]),  # no such form field
    (ValidationError({"__all__": ["Archived."]}), {}, ["Archived."]),
    (ValidationError(["Plain list."]), {}, ["Plain list."]),
    (ValidationError("One message.", code="x"), {}, ["One message."]),
    (ValidationError({"targeting": ["countries[1]: 'XX' is not a country."]}),
     {"countries": ["'XX' is not a country."]}, []),  # the field's own label says where
    (ValidationError({"targeting": ["interests: too many."]}), {}, ["interests: too many."]),
    (ValidationError({"plan": ["The plan changed."]}), {}, ["The plan changed."]),
])
def test_every_kind_of_service_error_lands_where_the_person_sees_it(exc, field_errors, non_field):
    form = _bound()
    service_errors.apply_service_errors(form, exc, {"budget_minor": "budget"})
    assert {k: v for k, v in form.errors.items() if k != "__all__"} == field_errors
    assert list(form.non_field_errors()) == non_field
    assert not form.is_valid()


def test_repeated_messages_show_once():
    form = _bound()
    exc = ValidationError({"name": ["Name is taken."], "currency": ["Unknown code."]})
    service_errors.apply_service_errors(form, exc)
    service_errors.apply_service_errors(form, exc)
    assert form.errors["name"] == ["Name is taken."]
    assert list(form.non_field_errors()) == ["currency: Unknown code."]


def test_errors_as_text_labels_fields_but_not_the_object():
    exc = ValidationError({"__all__": ["Archived."], "duration_s": ["Too long.", "Not a number."], "brief": ["Empty."]})
    assert service_errors.errors_as_text(exc) == ["Archived.", "duration s: Too long.", "duration s: Not a number.", "Empty."]
    assert service_errors.errors_as_text(ValidationError(["a", "b"])) == ["a", "b"]


def test_every_app_uses_the_one_adapter():
    from campaigns import forms as campaign_forms
    from campaigns import views as campaign_views
    from kolony.accounts import views as account_views
    from videogen import views as studio_views

    assert campaign_views.apply_service_errors is service_errors.apply_service_errors
    assert account_views.apply_service_errors is service_errors.apply_service_errors
    assert studio_views.apply_service_errors is service_errors.apply_service_errors
    assert studio_views.errors_as_text is account_views.errors_as_text is service_errors.errors_as_text
    for module in (campaign_forms, campaign_views, account_views, studio_views):
        assert not hasattr(module, "_errors_as_text")
    assert not hasattr(campaign_forms, "apply_service_errors")


def test_the_api_gets_the_same_errors_with_drfs_key_for_the_object():
    from campaigns import serializers as campaign_serializers
    from kolony.core import api_errors

    exc = ValidationError({"__all__": ["Archived."], "name": ["Name is taken."]})
    assert service_errors.api_error_detail(exc) == {"non_field_errors": ["Archived."], "name": ["Name is taken."]}
    assert service_errors.api_error_detail(ValidationError(["Plain."])) == {"non_field_errors": ["Plain."]}
    assert campaign_serializers.api_error_detail is api_errors.api_error_detail is service_errors.api_error_detail
