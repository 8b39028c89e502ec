"""Query parameters of the notifications list (page and API)."""

from __future__ import annotations

from django import forms

TRUE, FALSE = ("true", "1", "yes", "on"), ("", "false", "0", "no", "off")


class ListQuery(forms.Form):
    """``?unread=true|false`` (anything else: 400 naming ``unread``), ``?page=`` 1 … 100000."""

    unread = forms.CharField(required=False, strip=True)
    page = forms.IntegerField(required=False, min_value=1, max_value=100_000)

    def clean_unread(self) -> bool:
        raw = (self.cleaned_data.get("unread") or "").lower()
        if raw in TRUE:
            return True
        if raw in FALSE:
            return False
        raise forms.ValidationError("Use unread=true or unread=false.")
