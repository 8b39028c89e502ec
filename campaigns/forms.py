"""Page forms. They parse what people type (budgets in major units such as 12.50, countries as
"US, CA") into the keyword arguments of ``services``; the rules themselves live in the services,
whose per-field errors are put back on these forms by
:func:`kolony.core.service_errors.apply_service_errors`."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError

from kolony.core.request_validation import SafeDateField

from .choices import (
    OPTIMIZATION_GOALS_BY_OBJECTIVE,
    PLACEMENT_PLATFORM,
    STATUS_TRANSITIONS,
    BidStrategy,
    BillingEvent,
    BudgetLevel,
    BudgetType,
    CallToAction,
    Gender,
    Objective,
    OptimizationGoal,
    Placement,
    Platform,
    SpecialAdCategory,
    Status,
    currency_exponent,
)
from .validators import AGE_MAX, AGE_MIN, country_choices, language_choices

DATETIME_WIDGET = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
CREATE_STATUSES: list[tuple[str, str]] = [(s.value, str(s.label)) for s in (Status.DRAFT, Status.ACTIVE, Status.PAUSED)]


def to_minor(amount: Decimal | None, currency: str) -> int | None:
    """12.5 USD → 1250; 500 JPY → 500. Raises ValidationError when ``amount`` has more decimals
    than the currency's minor unit (ISO 4217)."""
    if amount is None:
        return None
    exponent = currency_exponent(currency)
    minor = amount * (Decimal(10) ** exponent)
    if minor != minor.to_integral_value():
        raise ValidationError(
            f"{currency} amounts have {exponent} decimal place{'s' if exponent != 1 else ''}." if exponent else
            f"{currency} has no minor unit; use a whole number."
        )
    return int(minor)


def from_minor(minor: int | None, currency: str) -> Decimal | None:
    if minor is None:
        return None
    return Decimal(minor) / (Decimal(10) ** currency_exponent(currency))


def _codes(text: str | None, upper: bool) -> list[str]:
    parts = [p.strip() for p in (text or "").replace(";", ",").split(",")]
    return [(p.upper() if upper else p.lower()) for p in parts if p]


def status_choices(current: str | None) -> list[tuple[str, str]]:
    """The statuses an edit form may offer: the current one and those
    :data:`campaigns.choices.STATUS_TRANSITIONS` allows from it (never "Draft" after activation).
    Archiving has its own button, so "Archived" is not offered. ``None``: a new object."""
    if current is None:
        return list(CREATE_STATUSES)
    allowed = {current, *STATUS_TRANSITIONS.get(current, set())} - {Status.ARCHIVED} | {current}
    return [(value, label) for value, label in Status.choices if value in allowed]


class CodeListField(forms.Field):
    """A list of ISO codes picked in a searchable multi-select (``static/campaigns/campaigns.js``
    adds the search box) or typed as "US, CA": every posted value is split on commas and cased
    (``upper``). Codes are not checked here; the service names every unknown one at once."""

    def __init__(self, *, choices, upper: bool, **kwargs):
        self.upper = upper
        kwargs.setdefault("widget", forms.SelectMultiple(attrs={"data-filter": "", "size": 8}))
        super().__init__(**kwargs)
        self.widget.choices = choices() if callable(choices) else choices

    def to_python(self, value) -> list[str]:
        values = value if isinstance(value, (list, tuple)) else [value or ""]
        return list(dict.fromkeys(code for v in values for code in _codes(str(v), upper=self.upper)))

    def prepare_value(self, value):
        return _codes(value, self.upper) if isinstance(value, str) else value


class FieldsetsMixin:
    """``FIELDSETS = [(legend, [field names])]``: :meth:`fieldsets` gives ``(legend, [bound
    fields])`` for the template; a field no group names (added later) joins the first group."""

    FIELDSETS: list[tuple[str, list[str]]] = []

    def fieldsets(self):
        named = {name for _, names in self.FIELDSETS for name in names}
        rest = [name for name in self.fields if name not in named]
        groups = []
        for i, (legend, names) in enumerate(self.FIELDSETS):
            names = [n for n in names if n in self.fields] + (rest if i == 0 else [])
            groups.append((legend, [self[n] for n in names]))
        return groups


class CampaignFilterForm(forms.Form):
    q = forms.CharField(required=False, label="Search", widget=forms.TextInput(attrs={"placeholder": "Search by name", "type": "search"}))
    status = forms.ChoiceField(required=False, choices=[("", "Any status (not archived)"), *Status.choices])
    platform = forms.ChoiceField(required=False, choices=[("", "Any platform"), *Platform.choices])
    objective = forms.ChoiceField(required=False, choices=[("", "Any objective"), *Objective.choices])
    sort = forms.ChoiceField(required=False, choices=[
        ("-created", "Newest first"), ("created", "Oldest first"), ("name", "Name A–Z"), ("-name", "Name Z–A"),
        ("-starts", "Start (latest)"), ("starts", "Start (earliest)"), ("-budget", "Budget (highest)"),
        ("budget", "Budget (lowest)"), ("status", "Status"),
    ])
    per_page = forms.TypedChoiceField(required=False, coerce=int, empty_value=None,  # the list shows 25 then
                                      choices=[(10, "10 per page"), (25, "25 per page"), (50, "50 per page"), (100, "100 per page")])

    def selector_filters(self) -> dict:
        data = self.cleaned_data if self.is_valid() else {}
        return {
            "search": data.get("q") or "", "status": data.get("status") or "", "platform": data.get("platform") or "",
            "objective": data.get("objective") or "", "ordering": data.get("sort") or "-created",
        }


class CampaignForm(FieldsetsMixin, forms.Form):
    name = forms.CharField(max_length=200)
    objective = forms.ChoiceField(choices=Objective.choices,
                                  help_text="What you want people to do; Meta and Google optimise your ads for it.")
    platforms = forms.MultipleChoiceField(choices=Platform.choices, widget=forms.CheckboxSelectMultiple, initial=[Platform.META])
    status = forms.ChoiceField(choices=CREATE_STATUSES, initial=Status.DRAFT)
    special_ad_categories = forms.MultipleChoiceField(
        choices=SpecialAdCategory.choices, widget=forms.CheckboxSelectMultiple, required=False,
        help_text="Declare these if your ads are about housing, jobs, credit or politics (Meta requires it).",
    )
    budget_level = forms.ChoiceField(choices=BudgetLevel.choices, initial=BudgetLevel.AD_SET)
    budget_type = forms.ChoiceField(choices=BudgetType.choices, initial=BudgetType.DAILY)
    budget = forms.DecimalField(required=False, min_value=None, decimal_places=4, max_digits=18,
                                help_text="Campaign budget in the currency (e.g. 50.00); only with a campaign budget.")
    currency = forms.CharField(max_length=3, initial="USD", help_text="Three-letter code, e.g. USD, EUR, GBP, JPY.",
                               widget=forms.TextInput(attrs={"list": "currency-codes", "autocapitalize": "characters"}))
    starts_at = forms.DateTimeField(required=False, widget=DATETIME_WIDGET, label="Start")
    ends_at = forms.DateTimeField(required=False, widget=DATETIME_WIDGET, label="End")

    FIELD_MAP = {"budget_minor": "budget"}
    FIELDSETS = [
        ("Campaign", ["name", "objective", "platforms", "status", "special_ad_categories"]),
        ("Budget & schedule", ["budget_level", "budget_type", "budget", "currency", "starts_at", "ends_at"]),
    ]

    def __init__(self, *args, campaign=None, **kwargs):
        if campaign is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "name": campaign.name, "objective": campaign.objective, "platforms": campaign.platforms,
                "status": campaign.status, "special_ad_categories": campaign.special_ad_categories,
                "budget_level": campaign.budget_level, "budget_type": campaign.budget_type,
                "budget": from_minor(campaign.budget_minor, campaign.currency), "currency": campaign.currency,
                "starts_at": campaign.starts_at, "ends_at": campaign.ends_at,
            }
        super().__init__(*args, **kwargs)
        self.creating = campaign is None
        if campaign is not None:
            self.fields["status"].choices = status_choices(campaign.status)

    def service_kwargs(self) -> dict:
        data = dict(self.cleaned_data)
        if self.creating:  # a field whose own error is shown: passed as empty so the rest is still checked
            data = {**{name: None for name in self.fields}, **data}
        currency = (data.pop("currency", None) or "").strip().upper()
        budget = data.pop("budget", None)
        try:
            budget_minor = to_minor(budget, currency)
        except ValidationError as exc:
            self.partial_kwargs = {**data, "currency": currency, "budget_minor": None}
            raise ValidationError({"budget_minor": exc.messages}) from exc
        return {**data, "currency": currency, "budget_minor": budget_minor}


def _age_choices():
    return [(a, f"{a}+" if a == AGE_MAX else str(a)) for a in range(AGE_MIN, AGE_MAX + 1)]


class AdSetForm(FieldsetsMixin, forms.Form):
    name = forms.CharField(max_length=200)
    status = forms.ChoiceField(choices=CREATE_STATUSES, initial=Status.DRAFT)
    budget = forms.DecimalField(required=False, decimal_places=4, max_digits=18,
                                help_text="Daily or lifetime budget, as the campaign says (e.g. 25.00).")
    starts_at = forms.DateTimeField(required=False, widget=DATETIME_WIDGET, label="Start")
    ends_at = forms.DateTimeField(required=False, widget=DATETIME_WIDGET, label="End")
    optimization_goal = forms.ChoiceField(choices=OptimizationGoal.choices)
    billing_event = forms.ChoiceField(choices=BillingEvent.choices, initial=BillingEvent.IMPRESSIONS)
    bid_strategy = forms.ChoiceField(choices=BidStrategy.choices, initial=BidStrategy.LOWEST_COST_WITHOUT_CAP)
    bid_amount = forms.DecimalField(required=False, decimal_places=4, max_digits=18, help_text="Needed for bid cap and cost cap.")
    placements = forms.MultipleChoiceField(choices=Placement.choices, widget=forms.CheckboxSelectMultiple, required=False,
                                           help_text="Leave empty for automatic placements.")
    countries = CodeListField(choices=country_choices, upper=True, initial=["US"],
                              error_messages={"required": "Choose at least one country."},
                              help_text="Search and pick one or more (Ctrl/⌘-click to add more).")
    age_min = forms.TypedChoiceField(choices=_age_choices, coerce=int, initial=18, label="Minimum age")
    age_max = forms.TypedChoiceField(choices=_age_choices, coerce=int, initial=AGE_MAX, label="Maximum age")
    genders = forms.MultipleChoiceField(choices=Gender.choices, widget=forms.CheckboxSelectMultiple, required=False,
                                        help_text="Leave empty for everyone.")
    languages = CodeListField(choices=language_choices, upper=False, required=False,
                              help_text="Leave empty for all languages.")
    interests = forms.CharField(required=False, help_text="Comma-separated, e.g. coffee, espresso.")

    FIELD_MAP = {"budget_minor": "budget", "bid_amount_minor": "bid_amount"}
    FIELDSETS = [
        ("Ad set", ["name", "status", "optimization_goal"]),
        ("Budget & schedule", ["budget", "starts_at", "ends_at", "billing_event", "bid_strategy", "bid_amount"]),
        ("Audience", ["countries", "age_min", "age_max", "genders", "languages", "interests"]),
        ("Placements", ["placements"]),
    ]

    def __init__(self, *args, campaign, ad_set=None, **kwargs):
        self.campaign = campaign
        if ad_set is not None and "initial" not in kwargs:
            t = ad_set.targeting or {}
            kwargs["initial"] = {
                "name": ad_set.name, "status": ad_set.status, "budget": from_minor(ad_set.budget_minor, ad_set.currency),
                "starts_at": ad_set.starts_at, "ends_at": ad_set.ends_at, "optimization_goal": ad_set.optimization_goal,
                "billing_event": ad_set.billing_event, "bid_strategy": ad_set.bid_strategy,
                "bid_amount": from_minor(ad_set.bid_amount_minor, ad_set.currency), "placements": ad_set.placements,
                "countries": list(t.get("countries", [])), "age_min": t.get("age_min", 18), "age_max": t.get("age_max", AGE_MAX),
                "genders": t.get("genders", []), "languages": list(t.get("languages", [])),
                "interests": ", ".join(t.get("interests", [])),
            }
        super().__init__(*args, **kwargs)
        goals = OPTIMIZATION_GOALS_BY_OBJECTIVE.get(campaign.objective, [])
        self.fields["optimization_goal"].choices = [(g.value, g.label) for g in goals]
        self.fields["optimization_goal"].initial = goals[0].value if goals else None
        self.fields["placements"].choices = [
            (p.value, p.label) for p in Placement if PLACEMENT_PLATFORM[p] in campaign.platforms
        ]
        if ad_set is not None:
            self.fields["status"].choices = status_choices(ad_set.status)
        if campaign.budget_level == BudgetLevel.CAMPAIGN:
            self.fields["budget"].widget.attrs["disabled"] = True
            self.fields["budget"].help_text = "This campaign's budget is set on the campaign."
        else:
            self.fields["budget"].help_text = f"{campaign.get_budget_type_display()} budget in {campaign.currency} (e.g. 25.00)."

    def service_kwargs(self) -> dict:
        """Service keyword arguments; works on a form with field errors too (those fields empty),
        so the service can still report every other problem at once."""
        d = self.cleaned_data
        currency = self.campaign.currency
        errors = {}
        budget_minor = bid_minor = None
        try:
            budget_minor = to_minor(d.get("budget"), currency)
        except ValidationError as exc:
            errors["budget_minor"] = exc.messages
        try:
            bid_minor = to_minor(d.get("bid_amount"), currency)
        except ValidationError as exc:
            errors["bid_amount_minor"] = exc.messages
        interests = [p.strip() for p in (d.get("interests") or "").split(",") if p.strip()]
        kwargs = {
            "name": d.get("name"), "status": d.get("status") or Status.DRAFT, "budget_minor": budget_minor,
            "starts_at": d.get("starts_at"), "ends_at": d.get("ends_at"), "optimization_goal": d.get("optimization_goal") or "",
            "billing_event": d.get("billing_event") or BillingEvent.IMPRESSIONS,
            "bid_strategy": d.get("bid_strategy") or BidStrategy.LOWEST_COST_WITHOUT_CAP, "bid_amount_minor": bid_minor,
            "placements": d.get("placements") or [],
            "targeting": {
                "countries": d.get("countries") or [], "age_min": d.get("age_min", 18), "age_max": d.get("age_max", AGE_MAX),
                "genders": d.get("genders") or [], "languages": d.get("languages") or [],
                "interests": list(dict.fromkeys(interests)),
            },
        }
        if errors:
            self.partial_kwargs = {**kwargs, **{name: None for name in errors}}
            raise ValidationError(errors)
        return kwargs


class AdForm(FieldsetsMixin, forms.Form):
    name = forms.CharField(max_length=200)
    status = forms.ChoiceField(choices=CREATE_STATUSES, initial=Status.DRAFT)
    creative = forms.FileField(required=False, label="Video creative",
                               help_text="MP4, MOV or WebM. 9:16 for Reels and Shorts, 1:1 or 4:5 for feeds.",
                               widget=forms.ClearableFileInput(
                                   attrs={"accept": "video/mp4,video/quicktime,video/webm,.mp4,.mov,.m4v,.webm"}))
    primary_text = forms.CharField(required=False, max_length=2200, widget=forms.Textarea(attrs={"rows": 3}),
                                   help_text="Meta shows about 125 characters before “See more”.")
    headline = forms.CharField(required=False, max_length=255, help_text="Up to 40 characters shows in full.")
    description = forms.CharField(required=False, max_length=255)
    call_to_action = forms.ChoiceField(choices=CallToAction.choices, initial=CallToAction.LEARN_MORE, label="Call to action")
    destination_url = forms.CharField(required=False, max_length=1000, label="Destination URL",
                                      widget=forms.URLInput(attrs={"placeholder": "https://"}))
    utm_source = forms.CharField(required=False, max_length=100, label="utm_source")
    utm_medium = forms.CharField(required=False, max_length=100, label="utm_medium")
    utm_campaign = forms.CharField(required=False, max_length=100, label="utm_campaign")
    utm_content = forms.CharField(required=False, max_length=100, label="utm_content")
    utm_term = forms.CharField(required=False, max_length=100, label="utm_term")
    studio_render = forms.ChoiceField(
        required=False, label="Or use a Studio render",
        help_text="A finished video from the Studio; the formats that fit this ad set's placements come first.",
        widget=forms.Select(attrs={"data-testid": "studio-render"}))

    FIELD_MAP = {"creative_render": "studio_render", "creative_ratio": "studio_render"}
    FIELDSETS = [
        ("Ad", ["name", "status", "creative", "studio_render"]),
        ("Text", ["primary_text", "headline", "description", "call_to_action"]),
        ("Destination & tracking", ["destination_url", "utm_source", "utm_medium", "utm_campaign", "utm_content", "utm_term"]),
    ]

    def __init__(self, *args, ad=None, organization=None, ad_set=None, **kwargs):
        from .creatives import grouped_choices, render_options

        self._linked = f"{ad.creative_render_id}|{ad.creative_ratio}" if ad is not None and ad.creative_render_id else ""
        if ad is not None and "initial" not in kwargs:
            kwargs["initial"] = {f: getattr(ad, f) for f in (
                "name", "status", "primary_text", "headline", "description", "call_to_action", "destination_url",
                "utm_source", "utm_medium", "utm_campaign", "utm_content", "utm_term")}
            kwargs["initial"]["studio_render"] = self._linked
        super().__init__(*args, **kwargs)
        if ad is not None:
            self.fields["status"].choices = status_choices(ad.status)
        ad_set = ad_set if ad_set is not None else getattr(ad, "ad_set", None)
        placements = list(ad_set.placements) if ad_set is not None else []
        choices = grouped_choices(render_options(organization=organization, placements=placements), placements) \
            if organization is not None else [("", "No Studio render")]
        if self._linked and not any(self._linked == v for _, group in choices[1:] for v, _ in group):
            choices.append(("Current", [(self._linked, f"Current render ({ad.creative_ratio})")]))
        self.fields["studio_render"].choices = choices

    def service_kwargs(self) -> dict:
        """The service's keywords: ``studio_render`` ("<render id>|<ratio>") becomes
        ``creative_render`` + ``creative_ratio``; clearing it unlinks the render."""
        data = dict(getattr(self, "cleaned_data", None) or {})
        if not data.get("creative"):
            data.pop("creative", None)
        picked = data.pop("studio_render", "") or ""
        if picked and picked != self._linked:
            render_id, _, ratio = picked.partition("|")
            data["creative_render"], data["creative_ratio"] = render_id, ratio
        elif not picked and self._linked and not data.get("creative"):
            data["creative_render"] = None
        return data


class DateRangeForm(forms.Form):
    """A period: ``range`` = 7, 30, 90 or custom (with ``from``/``to``)."""

    range = forms.ChoiceField(required=False, choices=[("7", "Last 7 days"), ("30", "Last 30 days"), ("90", "Last 90 days"),
                                                       ("custom", "Custom")])
    from_ = SafeDateField(required=False, widget=forms.DateInput(attrs={"type": "date"}), label="From")
    to = SafeDateField(required=False, widget=forms.DateInput(attrs={"type": "date"}), label="To")
    #: form field → query parameter, for the 400 page (kolony.core.request_validation.query_params)
    PARAMS = {"from_": "from"}

    def __init__(self, data=None, **kwargs):
        if data is not None:
            data = data.copy()
            if "from" in data:
                data["from_"] = data.get("from")
        super().__init__(data, **kwargs)

    #: on a page (:class:`PageDateRangeForm`) a custom range that doesn't make sense is shown
    #: with its problem and the dates as typed; for exports and the API it is an error (400).
    soft_range_problems = False
    problems: list[tuple[str, str]] = []  # (field, message), set by clean()

    def _range_problems(self, data) -> list[tuple[str, str]]:
        if data.get("range") != "custom":
            return []
        start, end = data.get("from_"), data.get("to")
        problems = []
        if not start and "from_" not in self.errors:
            problems.append(("from_", "Choose the first day."))
        if not end and "to" not in self.errors:
            problems.append(("to", "Choose the last day."))
        if start and end and end < start:
            problems.append(("to", "The last day must be on or after the first day."))
        if start and end and (end - start).days > 730:
            problems.append(("to", "Choose at most two years."))
        return problems

    def clean(self):
        data = super().clean()
        self.problems = self._range_problems(data)
        if not self.soft_range_problems:
            for field, message in self.problems:
                self.add_error(field, message)
        return data

    def date_range(self, default_days: int = 30):
        from .selectors import DateRange

        data = self.cleaned_data if self.is_valid() and not self.problems else {}
        choice = data.get("range") or str(default_days)
        if choice == "custom" and data.get("from_") and data.get("to"):
            return DateRange(data["from_"], data["to"])
        return DateRange.last(int(choice) if choice.isdigit() else default_days)

    def range_key(self) -> str:
        if self.is_bound and self.is_valid() and self.problems:
            return "custom"  # keep the custom inputs open, with what was typed
        data = self.cleaned_data if self.is_valid() else {}
        return data.get("range") or "30"

    @property
    def typed(self) -> dict:
        """{"from", "to"}: the custom dates as the user typed them (ISO strings), while the range
        has a problem; empty otherwise."""
        if not (self.is_bound and self.is_valid() and self.problems):
            return {}
        return {"from": self.data.get("from_") or "", "to": self.data.get("to") or ""}

    @property
    def problem_messages(self) -> list[str]:
        return [message for _, message in self.problems]


class PageDateRangeForm(DateRangeForm):
    """The period picker of the dashboard and the campaign pages: a custom range that doesn't make
    sense (last day before the first, a day missing, over two years) keeps the dates typed and says
    why, and the page shows the default period meanwhile. Malformed input is still an error."""

    soft_range_problems = True

