"""Vocabularies of the campaign hierarchy, with the platform values each maps to.

Sources:
- Meta Marketing API: campaign ``objective`` (ODAX ``OUTCOME_*`` values), ``special_ad_categories``,
  ad set ``bid_strategy`` / ``billing_event`` / ``optimization_goal``, ad creative
  ``call_to_action.type`` (developers.facebook.com/docs/marketing-api/reference/ad-campaign-group,
  .../ad-campaign, .../ad-creative-link-data-call-to-action).
- Google Ads API: campaign goals / advertising channel of Demand Gen campaigns
  (developers.google.com/google-ads/api/docs/demand-gen).
- ISO 4217 minor units (the exponent of each currency) for budgets stored as integer minor units.
"""

from django.db import models


class Platform(models.TextChoices):
    META = "meta", "Meta"
    GOOGLE = "google", "Google"


class Objective(models.TextChoices):
    AWARENESS = "awareness", "Awareness"
    TRAFFIC = "traffic", "Traffic"
    ENGAGEMENT = "engagement", "Engagement"
    LEADS = "leads", "Leads"
    APP_PROMOTION = "app_promotion", "App promotion"
    SALES = "sales", "Sales"


#: Objective → Meta campaign ``objective`` (the six ODAX outcome objectives).
META_OBJECTIVE = {
    Objective.AWARENESS: "OUTCOME_AWARENESS",
    Objective.TRAFFIC: "OUTCOME_TRAFFIC",
    Objective.ENGAGEMENT: "OUTCOME_ENGAGEMENT",
    Objective.LEADS: "OUTCOME_LEADS",
    Objective.APP_PROMOTION: "OUTCOME_APP_PROMOTION",
    Objective.SALES: "OUTCOME_SALES",
}

#: Objective → Google Ads campaign goal (the goal picked when creating a Demand Gen campaign).
GOOGLE_GOAL = {
    Objective.AWARENESS: "BRAND_AWARENESS_AND_REACH",
    Objective.TRAFFIC: "WEBSITE_TRAFFIC",
    Objective.ENGAGEMENT: "PRODUCT_AND_BRAND_CONSIDERATION",
    Objective.LEADS: "LEADS",
    Objective.APP_PROMOTION: "APP_PROMOTION",
    Objective.SALES: "SALES",
}


class Status(models.TextChoices):
    DRAFT = "draft", "Draft"
    ACTIVE = "active", "Active"
    PAUSED = "paused", "Paused"
    ARCHIVED = "archived", "Archived"


#: Allowed status changes. Archived is final (like Meta's ARCHIVED: no more edits).
STATUS_TRANSITIONS: dict[str, set[str]] = {
    Status.DRAFT: {Status.ACTIVE, Status.PAUSED, Status.ARCHIVED},
    Status.ACTIVE: {Status.PAUSED, Status.ARCHIVED},
    Status.PAUSED: {Status.ACTIVE, Status.ARCHIVED},
    Status.ARCHIVED: set(),
}


class SpecialAdCategory(models.TextChoices):
    """Meta's ``special_ad_categories`` (an empty list means none). Meta renamed CREDIT to
    FINANCIAL_PRODUCTS_SERVICES in 2025 (the API value to send for ``credit``)."""

    HOUSING = "housing", "Housing"
    EMPLOYMENT = "employment", "Employment"
    CREDIT = "credit", "Credit / financial products"
    ISSUES_ELECTIONS_POLITICS = "issues_elections_politics", "Social issues, elections or politics"




class BudgetType(models.TextChoices):
    DAILY = "daily", "Daily"
    LIFETIME = "lifetime", "Lifetime"


class BudgetLevel(models.TextChoices):
    """Where the budget lives: on the campaign (Meta's Advantage campaign budget, Google's campaign
    budget) or on each ad set."""

    CAMPAIGN = "campaign", "Campaign budget"
    AD_SET = "ad_set", "Ad set budgets"


class BidStrategy(models.TextChoices):
    """Meta ad set ``bid_strategy`` values."""

    LOWEST_COST_WITHOUT_CAP = "LOWEST_COST_WITHOUT_CAP", "Highest volume (lowest cost)"
    LOWEST_COST_WITH_BID_CAP = "LOWEST_COST_WITH_BID_CAP", "Bid cap"
    COST_CAP = "COST_CAP", "Cost per result goal"
    LOWEST_COST_WITH_MIN_ROAS = "LOWEST_COST_WITH_MIN_ROAS", "ROAS goal"


#: Strategies that need ``bid_amount_minor`` (Meta: ``bid_amount`` is required for caps).
BID_AMOUNT_STRATEGIES = (BidStrategy.LOWEST_COST_WITH_BID_CAP, BidStrategy.COST_CAP)


class BillingEvent(models.TextChoices):
    """Meta ad set ``billing_event`` values used for video ads."""

    IMPRESSIONS = "IMPRESSIONS", "Impressions"
    LINK_CLICKS = "LINK_CLICKS", "Link clicks"
    THRUPLAY = "THRUPLAY", "ThruPlay"
    APP_INSTALLS = "APP_INSTALLS", "App installs"


class OptimizationGoal(models.TextChoices):
    """Meta ad set ``optimization_goal`` values."""

    REACH = "REACH", "Reach"
    IMPRESSIONS = "IMPRESSIONS", "Impressions"
    AD_RECALL_LIFT = "AD_RECALL_LIFT", "Ad recall lift"
    THRUPLAY = "THRUPLAY", "ThruPlay"
    LINK_CLICKS = "LINK_CLICKS", "Link clicks"
    LANDING_PAGE_VIEWS = "LANDING_PAGE_VIEWS", "Landing page views"
    POST_ENGAGEMENT = "POST_ENGAGEMENT", "Post engagement"
    LEAD_GENERATION = "LEAD_GENERATION", "Leads"
    APP_INSTALLS = "APP_INSTALLS", "App installs"
    OFFSITE_CONVERSIONS = "OFFSITE_CONVERSIONS", "Conversions"
    VALUE = "VALUE", "Conversion value"


#: Optimization goals Meta accepts for each outcome objective (a subset of its compatibility
#: table, limited to goals that make sense for video ads); the first is the default.
OPTIMIZATION_GOALS_BY_OBJECTIVE: dict[str, list[str]] = {
    Objective.AWARENESS: [OptimizationGoal.REACH, OptimizationGoal.IMPRESSIONS, OptimizationGoal.AD_RECALL_LIFT, OptimizationGoal.THRUPLAY],
    Objective.TRAFFIC: [OptimizationGoal.LINK_CLICKS, OptimizationGoal.LANDING_PAGE_VIEWS, OptimizationGoal.REACH,
                        OptimizationGoal.IMPRESSIONS],
    Objective.ENGAGEMENT: [OptimizationGoal.THRUPLAY, OptimizationGoal.POST_ENGAGEMENT, OptimizationGoal.LINK_CLICKS],
    Objective.LEADS: [OptimizationGoal.LEAD_GENERATION, OptimizationGoal.OFFSITE_CONVERSIONS, OptimizationGoal.LINK_CLICKS],
    Objective.APP_PROMOTION: [OptimizationGoal.APP_INSTALLS, OptimizationGoal.LINK_CLICKS],
    Objective.SALES: [OptimizationGoal.OFFSITE_CONVERSIONS, OptimizationGoal.VALUE, OptimizationGoal.LINK_CLICKS,
                      OptimizationGoal.LANDING_PAGE_VIEWS],
}


class Placement(models.TextChoices):
    """Placements (an empty list means automatic: Meta's Advantage+ placements, Google's
    Demand Gen channels chosen by Google)."""

    FACEBOOK_FEED = "facebook_feed", "Facebook Feed"
    FACEBOOK_REELS = "facebook_reels", "Facebook Reels"
    FACEBOOK_STORIES = "facebook_stories", "Facebook Stories"
    INSTAGRAM_FEED = "instagram_feed", "Instagram Feed"
    INSTAGRAM_REELS = "instagram_reels", "Instagram Reels"
    INSTAGRAM_STORIES = "instagram_stories", "Instagram Stories"
    AUDIENCE_NETWORK = "audience_network", "Audience Network"
    YOUTUBE_INSTREAM = "youtube_instream", "YouTube in-stream"
    YOUTUBE_SHORTS = "youtube_shorts", "YouTube Shorts"
    DISCOVER = "discover", "Google Discover"
    GMAIL = "gmail", "Gmail"


PLACEMENT_PLATFORM: dict[str, str] = {
    **{p: Platform.META for p in (Placement.FACEBOOK_FEED, Placement.FACEBOOK_REELS, Placement.FACEBOOK_STORIES,
                                 Placement.INSTAGRAM_FEED, Placement.INSTAGRAM_REELS, Placement.INSTAGRAM_STORIES,
                                 Placement.AUDIENCE_NETWORK)},
    **{p: Platform.GOOGLE for p in (Placement.YOUTUBE_INSTREAM, Placement.YOUTUBE_SHORTS, Placement.DISCOVER, Placement.GMAIL)},
}


class CallToAction(models.TextChoices):
    """Meta ad creative ``call_to_action.type`` values usable with video ads."""

    LEARN_MORE = "LEARN_MORE", "Learn more"
    SHOP_NOW = "SHOP_NOW", "Shop now"
    ORDER_NOW = "ORDER_NOW", "Order now"
    BUY_NOW = "BUY_NOW", "Buy now"
    SIGN_UP = "SIGN_UP", "Sign up"
    SUBSCRIBE = "SUBSCRIBE", "Subscribe"
    GET_OFFER = "GET_OFFER", "Get offer"
    GET_QUOTE = "GET_QUOTE", "Get quote"
    BOOK_TRAVEL = "BOOK_TRAVEL", "Book now"
    CONTACT_US = "CONTACT_US", "Contact us"
    APPLY_NOW = "APPLY_NOW", "Apply now"
    DOWNLOAD = "DOWNLOAD", "Download"
    INSTALL_APP = "INSTALL_APP", "Install now"
    USE_APP = "USE_APP", "Use app"
    WATCH_MORE = "WATCH_MORE", "Watch more"
    SEE_MENU = "SEE_MENU", "See menu"
    GET_DIRECTIONS = "GET_DIRECTIONS", "Get directions"
    SEND_MESSAGE = "SEND_MESSAGE", "Send message"
    DONATE_NOW = "DONATE_NOW", "Donate now"
    NO_BUTTON = "NO_BUTTON", "No button"


class Gender(models.TextChoices):
    FEMALE = "female", "Women"
    MALE = "male", "Men"


#: ISO 4217 currencies whose minor unit is not 2 decimal places (the exponent). All others: 2.
CURRENCY_EXPONENT_EXCEPTIONS = {
    "BIF": 0, "CLP": 0, "DJF": 0, "GNF": 0, "ISK": 0, "JPY": 0, "KMF": 0, "KRW": 0, "PYG": 0, "RWF": 0,
    "UGX": 0, "UYI": 0, "VND": 0, "VUV": 0, "XAF": 0, "XOF": 0, "XPF": 0,
    "BHD": 3, "IQD": 3, "JOD": 3, "KWD": 3, "LYD": 3, "OMR": 3, "TND": 3, "CLF": 4, "UYW": 4,
}


def currency_exponent(code: str) -> int:
    """Decimal places of ``code``'s minor unit (ISO 4217): 2 for USD (cents), 0 for JPY, 3 for KWD."""
    return CURRENCY_EXPONENT_EXCEPTIONS.get((code or "").upper(), 2)
