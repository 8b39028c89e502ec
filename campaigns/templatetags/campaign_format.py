"""Formatting of money (minor units), ratios and changes for campaign pages."""

from decimal import Decimal

from django import template
from django.contrib.humanize.templatetags.humanize import intcomma

from campaigns.choices import currency_exponent

register = template.Library()

SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "AUD": "A$", "CAD": "C$", "NZD": "NZ$", "INR": "₹", "BRL": "R$"}
DASH = "—"


@register.filter
def money(minor, currency="USD"):
    """1234567 minor units of USD → "$12,345.67"; None → "—"."""
    if minor is None or minor == "":
        return DASH
    currency = (currency or "USD").upper()
    exponent = currency_exponent(currency)
    amount = Decimal(str(minor)) / (Decimal(10) ** exponent)
    text = intcomma(f"{amount:.{exponent}f}")
    symbol = SYMBOLS.get(currency)
    return f"{symbol}{text}" if symbol else f"{text} {currency}"


@register.filter
def money_short(minor, currency="USD"):
    """Money without the minor unit for big numbers ("$12,346")."""
    if minor is None:
        return DASH
    currency = (currency or "USD").upper()
    amount = Decimal(str(minor)) / (Decimal(10) ** currency_exponent(currency))
    text = intcomma(f"{amount:.0f}")
    symbol = SYMBOLS.get(currency)
    return f"{symbol}{text}" if symbol else f"{text} {currency}"


@register.filter
def pct(ratio, digits=2):
    """0.01234 → "1.23%"; None → "—"."""
    if ratio is None or ratio == "":
        return DASH
    return f"{float(ratio) * 100:.{int(digits)}f}%"


@register.filter
def times(ratio):
    """ROAS 2.456 → "2.46×"; None → "—"."""
    if ratio is None or ratio == "":
        return DASH
    return f"{float(ratio):.2f}×"


@register.filter
def num(value):
    if value is None:
        return DASH
    return intcomma(int(value))


@register.filter
def delta(change):
    """Relative change 0.123 → "+12.3%"; None → "—"."""
    if change is None:
        return DASH
    return f"{change * 100:+.1f}%"


@register.filter
def delta_class(change, lower_is_better=False):
    """"up" (good) / "down" (bad) for a change; costs (CPC, CPM, CPA) are better when lower."""
    if change is None or change == 0:
        return ""
    good = change < 0 if lower_is_better else change > 0
    return "up" if good else "down"


@register.simple_tag(takes_context=True)
def query_with(context, **changes):
    """The current query string with ``changes`` applied (None or "" removes a key)."""
    params = context["request"].GET.copy()
    for key, value in changes.items():
        if value in (None, ""):
            params.pop(key, None)
        else:
            params[key] = value
    encoded = params.urlencode()
    return f"?{encoded}" if encoded else "?"


@register.filter
def choice_labels(values, vocabulary: str) -> str:
    """Stored codes as people read them, joined: ``["instagram_reels"]|choice_labels:"Placement"``
    → "Instagram Reels". ``vocabulary`` names a TextChoices class of :mod:`campaigns.choices`
    (Placement, SpecialAdCategory, Platform, Objective…); unknown codes are shown in words."""
    from campaigns import choices

    labels = dict(getattr(choices, vocabulary).choices)
    if isinstance(values, str):
        values = [values]
    return ", ".join(str(labels.get(v, str(v).replace("_", " "))) for v in values or [])


@register.filter
def code_names(values, kind: str) -> str:
    """ISO codes as names, joined: ``["US", "CA"]|code_names:"country"`` → "United States, Canada";
    ``["en"]|code_names:"language"`` → "English". Unknown codes are shown as they are."""
    from campaigns.validators import country_choices, language_choices

    table = dict(country_choices() if kind == "country" else language_choices())
    return ", ".join(table.get(v, str(v)).rsplit(" (", 1)[0] for v in values or [])
