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
