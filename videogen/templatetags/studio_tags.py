from django import template

register = template.Library()


@register.filter
def get_item(mapping, key):
    """``{{ dict|get_item:key }}``."""
    try:
        return mapping.get(key)
    except AttributeError:
        return None


@register.filter
def ratio_slug(ratio: str) -> str:
    """"9:16" → "9x16" (for URLs and file names)."""
    return str(ratio).replace(":", "x")


@register.filter
def label(value: str) -> str:
    """"end_card" → "End card"."""
    return str(value).replace("_", " ").capitalize()


@register.simple_tag
def job_fallbacks(job):
    """``{% job_fallbacks job as fallbacks %}``: what the latest render could not use as planned
    (see :func:`videogen.selectors.job_fallbacks`)."""
    from videogen.selectors import job_fallbacks as fallbacks

    return fallbacks(job=job)


@register.simple_tag
def media_url(kind, key, download=False):
    """``{% media_url "asset" asset.pk %}``: a customer file through the tenancy-checked media view."""
    from kolony.core.media import media_url as url

    return url(kind, key, download=bool(download))
