"""Copywriting helpers for the rule-based planner: clause splitting, offer detection,
blog-to-video condensing, and sizing voiceover lines to a speaking rate."""

from __future__ import annotations

import re

_OFFER = re.compile(r"(\d+\s?%|\boff\b|\bfree\b|\bsale\b|\bdeal\b|\bsave\b|[$€£¥]\s?\d|\d\s?[$€£¥]"
                    r"|\bdiscount\b|\btoday\b|\bthis week\b|\blimited\b)", re.I)
_STOP = set("a an the and or but for to of in on at by with from this that these those is are be your our you we it its as".split())


def clean_markdown(md: str) -> str:
    """Strip Markdown syntax (headings, links, images, emphasis, code, lists) to plain text."""
    text = re.sub(r"```.*?```", " ", md, flags=re.S)
    text = re.sub(r"!\[[^\]]*\]\([^)]*\)", " ", text)
    text = re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"`([^`]*)`", r"\1", text)
    text = re.sub(r"^\s{0,3}(#{1,6}|[-*+]|\d+\.|>)\s*", "", text, flags=re.M)
    text = re.sub(r"(\*\*|__|\*|_)(\S.*?\S|\S)\1", r"\2", text)
    text = re.sub(r"<[^>]+>", " ", text)
    return re.sub(r"[ \t]+", " ", text)


def sentences(text: str) -> list[str]:
    """Split text into sentences (also on line breaks and CJK full stops)."""
    parts = re.split(r"(?<=[.!?。！？])\s+|\n+|(?<=[。！？])", text)
    return [p.strip() for p in parts if p and len(p.strip()) > 1]


def clauses(text: str) -> list[str]:
    """Split a prompt into short selling points: sentences, then commas/semicolons/dashes."""
    out = []
    for s in sentences(text):
        for c in re.split(r"\s*[,;:–—]\s+|\s+-\s+|[，、；]", s):
            c = c.strip(" .!?。")
            if len(c) >= 2:
                out.append(c)
    return out


def is_offer(text: str) -> bool:
    """True when a clause reads like an offer: a percentage, price, 'free', 'off', 'sale'..."""
    return bool(_OFFER.search(text))


def words(text: str) -> list[str]:
    return text.split()


def is_cjk(text: str) -> bool:
    return bool(re.search(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]", text))


def word_count(text: str) -> float:
    """Spoken word count; CJK text counts 1.5 characters per word."""
    if is_cjk(text):
        return len(re.sub(r"\s", "", text)) / 1.5
    return len(words(text))


def fit_words(text: str, max_words: float) -> str:
    """Shorten ``text`` to at most ``max_words`` spoken words, cutting at a word boundary
    (CJK: character boundary)."""
    if word_count(text) <= max_words:
        return text
    if is_cjk(text):
        return text[: max(1, int(max_words * 1.5))]
    kept = words(text)[: max(1, int(max_words))]
    while len(kept) > 2 and kept[-1].lower().strip(",.") in _STOP:
        kept.pop()
    return " ".join(kept).rstrip(",;:")


def headline(text: str, max_words: int = 6) -> str:
    """On-screen headline from a clause: ≤ ``max_words`` words, first letter capitalised."""
    t = fit_words(text.strip(), max_words)
    return t[:1].upper() + t[1:] if t else t


def summarize(source: str, query: str, k: int) -> list[str]:
    """Blog-to-video: pick the ``k`` sentences of Markdown ``source`` that best match ``query``
    (shared content words, favouring early, medium-length sentences), in document order."""
    sents = sentences(clean_markdown(source))[:400]
    if not sents:
        return []
    q = {w.lower().strip(".,!?") for w in words(query)} - _STOP
    scored = []
    for i, s in enumerate(sents):
        ws = [w.lower().strip(".,!?") for w in words(s)]
        if not 4 <= len(ws) <= 40:
            continue
        overlap = len(q & set(ws))
        score = overlap * 2 + (1.5 if is_offer(s) else 0) - i * 0.02 - abs(len(ws) - 12) * 0.03
        scored.append((score, i, s))
    best = sorted(scored, key=lambda t: (-t[0], t[1]))[:k]
    return [s for _, _, s in sorted(best, key=lambda t: t[1])]
