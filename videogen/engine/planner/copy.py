"""Copywriting helpers for the planners: clause splitting, offer detection, blog-to-video
condensing, and copy that never breaks.

*Copy that never breaks* (issue 14 §2): a line that is too long — for its scene at the voice's
words per minute, or for its text box — is shortened by :func:`shorten`, which only ever

1. rephrases (drops parentheticals and filler words, compresses wordy English phrases),
2. drops whole sentences, then whole clauses, from the end (clauses without a protected span
   first), then
3. drops a trailing phrase at a phrase boundary (before a preposition, article or conjunction),

and never cuts inside an *atomic span*: the product name, the call to action, prices,
percentages and URLs (:func:`atomic_spans`). No result ends on a stop word
(:func:`ends_on_stop_word`). When even the atomic content alone is too long, it is returned whole:
a name is never cut (the voiceover then speeds up, ``render/voiceover.py``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence

_OFFER = re.compile(r"(\d+\s?%|\boff\b|\bfree\b|\bsale\b|\bdeal\b|\bsave\b|[$€£¥]\s?\d|\d\s?[$€£¥]"
                    r"|\bdiscount\b|\btoday\b|\bthis week\b|\blimited\b)", re.I)
# content-word filter for blog-to-video matching (not a line-end rule)
_STOP = set("a an the and or but for to of in on at by with from this that these those is are be your our you we it its as".split())

#: Words a line must not end on, per language (ISO 639-1 code). Each list is a subset of the
#: Snowball stop-word list for that language (https://snowballstem.org/algorithms/<language>/stop.txt,
#: e.g. .../english/stop.txt, .../german/stop.txt): the articles, prepositions, conjunctions and
#: possessive determiners — words that open a phrase and never close one. Left out on purpose, as
#: they close phrases normally: object pronouns ("made for you"), adverbs ("learn more", "shop
#: now"), English phrasal-verb particles ("sign up", "50% off", "check it out"), German and Dutch
#: separable-verb particles ("probieren Sie es aus", "meld je aan") and German auxiliaries (verb-final
#: clauses: "…, was wichtig ist").
STOP_WORDS: dict[str, frozenset[str]] = {
    "en": frozenset(
        "a an the and or but nor if because as than that which whose of at by for with from to into onto"
        " about through during via per in on upon within without between among towards toward"
        " my your our their his its this these those every each is are was were am will would should"
        " could shall".split()),
    "de": frozenset(
        "der die das den dem des eine einen einem einer eines und oder aber denn sondern als wie wenn"
        " dass ob weil für von zur zum bei beim im ins durch gegen ohne um bis seit mein meine meinen"
        " dein deine unser unsere unseren seine seinen ihre ihren jede jeden jeder dieser diese dieses".split()),
    "fr": frozenset(
        "le la les l' un une des du de d' au aux et ou mais donc car que qu' si à en dans par pour sur"
        " avec sans sous chez vers entre mon ma mes ton ta tes son sa ses notre nos votre vos leurs ce cet"
        " cette ces est sont ne".split()),
    "es": frozenset(
        "el la los las un una unos unas y e o u ni pero que de del al a en con por para sin sobre entre"
        " mi mis tu tus su sus nuestro nuestra nuestros nuestras este esta estos estas ese esa si".split()),
    "it": frozenset(
        "il lo la i gli le un uno una un' l' e ed o ma che di del dello della dei degli delle a al allo"
        " alla ai agli alle da dal dalla dai in nel nella nei con su sul sulla per tra fra mio mia miei"
        " mie tuo tua suo sua nostro nostra vostro vostra questo questa questi queste".split()),
    "pt": frozenset(
        "o a os as um uma uns umas e ou mas que de do da dos das em no na nos nas por pelo pela para"
        " com sem sobre entre ao à aos às meu minha seu sua seus suas nosso nossa este esta esse essa".split()),
    "nl": frozenset(
        "de het een en of maar dat die van voor met naar bij tot zonder mijn jouw uw onze deze te".split()),
}
_ALL_STOP = frozenset().union(*STOP_WORDS.values())

#: Filler words dropped first when a line is too long (rephrasing step 1), per language.
_FILLER: dict[str, frozenset[str]] = {
    "en": frozenset("really very truly simply just actually totally incredibly absolutely extremely literally".split()),
    "de": frozenset("wirklich sehr einfach echt ganz total absolut".split()),
    "fr": frozenset("vraiment très simplement totalement absolument".split()),
    "es": frozenset("realmente muy simplemente totalmente absolutamente".split()),
    "it": frozenset("davvero molto veramente semplicemente totalmente assolutamente".split()),
    "pt": frozenset("realmente muito simplesmente totalmente absolutamente".split()),
    "nl": frozenset("echt heel zeer gewoon totaal absoluut".split()),
}
#: Wordy English phrases and their short forms (rephrasing step 2).
_EN_SHORTER = [
    (r"\bin order to\b", "to"), (r"\ba lot of\b", "lots of"), (r"\b(is|are) able to\b", "can"),
    (r"\bat the same time\b", "at once"), (r"\beach and every\b", "every"), (r"\bas well as\b", "and"),
    (r"\bdue to the fact that\b", "because"), (r"\bin addition\b", "also"), (r"\bmake sure\b", "ensure"),
    (r"\bfor the first time\b", "first"), (r"\bright now\b", "now"),
]
#: Coordinators that start a new clause, per language (clause-dropping step).
_COORD: dict[str, tuple[str, ...]] = {
    "en": ("and", "but", "with", "while", "so"), "de": ("und", "aber", "mit", "sowie"),
    "fr": ("et", "mais", "avec"), "es": ("y", "pero", "con"), "it": ("e", "ma", "con"),
    "pt": ("e", "mas", "com"), "nl": ("en", "maar", "met"),
}

_URL_RE = re.compile(r"(?:https?://)?(?:www\.)?[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}(?::\d+)?(?:/[^\s]*[^\s.,;:!?)])?/?", re.I)
_NUM = r"\d+(?:[.,\u202f ]\d{3})*(?:[.,]\d+)?"
_PRICE_RE = re.compile(
    rf"(?:(?:[$€£¥₹]|US\$|R\$|CHF|EUR|USD|GBP)\s?{_NUM}(?:\s?(?:k|K|m|M))?)"
    rf"|(?:{_NUM}\s?(?:[$€£¥₹]|€|EUR|USD|GBP|CHF|kr|zł|Kč)(?![A-Za-z]))")
_PERCENT_RE = re.compile(
    rf"[-−+]?{_NUM}\s?(?:%|\s(?:percent|per cent|Prozent|pour cent|por ciento|per cento|por cento|procent)\b)", re.I)
_SENT_END = ".!?。！？"


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
    """Split text into sentences (also on line breaks and CJK full stops). A full stop inside a
    URL or a number ("kolony.test", "19.99") does not end a sentence."""
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


# ---------------------------------------------------------------- stop words and atomic spans

def stop_words(lang: str | None) -> frozenset[str]:
    """The line-end stop words of ``lang`` (a BCP 47 tag such as ``"de"`` or ``"pt-BR"``; only the
    language part counts). ``None``: the union of every list (for text whose language is unknown);
    a language without a list (ja, zh, ...): empty."""
    if lang is None:
        return _ALL_STOP
    return STOP_WORDS.get(lang.split("-")[0].lower(), frozenset())


def _bare(word: str) -> str:
    """A word as looked up in the stop lists: lower case, surrounding punctuation removed; an
    elided article keeps its apostrophe (``l'``, ``d'``, ``un'``)."""
    w = word.lower().replace("’", "'")
    w = w.strip(".,;:!?\"“”„«»()[]…–—-¡¿")
    return w


def is_stop_word(word: str, lang: str | None = "en") -> bool:
    """True when ``word`` (with any punctuation) is a line-end stop word of ``lang``."""
    w = _bare(word)
    return bool(w) and w in stop_words(lang)


def atomic_spans(text: str, protect: Iterable[str] = ()) -> list[tuple[int, int]]:
    """Character spans (start, end) of ``text`` that must never be split or cut: each string of
    ``protect`` (product name, call to action; matched case-insensitively, whole words), URLs,
    prices (``$19.99``, ``19,99 €``, ``EUR 20``) and percentages (``20%``, ``-30 %``,
    ``15 Prozent``). Sorted, overlapping spans merged."""
    spans: list[tuple[int, int]] = []
    for p in protect:
        p = " ".join(p.split())
        if not p:
            continue
        spans += [m.span() for m in re.finditer(_name_pattern(p), text, re.I)]
    for rx in (_URL_RE, _PRICE_RE, _PERCENT_RE):
        for m in rx.finditer(text):
            s, e = m.span()
            if rx is _URL_RE and not re.search(r"[A-Za-z]{2,}", m.group().rsplit(".", 1)[-1]):
                continue
            if rx is _URL_RE and re.fullmatch(r"[\d.,]+", m.group()):
                continue
            spans.append((s, e))
    spans.sort()
    merged: list[tuple[int, int]] = []
    for s, e in spans:
        if merged and s <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(e, merged[-1][1]))
        else:
            merged.append((s, e))
    return merged


def units(text: str, protect: Iterable[str] = ()) -> list[str]:
    """``text`` split at spaces, except inside atomic spans: each atomic span is one unit
    (``["Meet", "Ridgeback Motors Café Racer."]``). Joining the units with spaces gives the
    text back (whitespace normalised)."""
    text = " ".join(text.split())
    spans = atomic_spans(text, protect)
    out: list[str] = []
    for m in re.finditer(r"\S+", text):
        s, e = m.span()
        inside = next((sp for sp in spans if sp[0] < e and s < sp[1]), None)
        if inside and out and inside[0] < s:  # continues a span that began in an earlier word
            out[-1] += " " + m.group()
        else:
            out.append(m.group())
    return out


def ends_on_stop_word(text: str, lang: str | None = "en", protect: Iterable[str] = ()) -> bool:
    """True when the last word of ``text`` is a stop word of ``lang`` and not the end of an
    atomic span (a product called "Made For You" may end a line)."""
    us = units(text, protect)
    if not us:
        return False
    last = us[-1]
    if " " in last:  # an atomic span of several words
        return False
    return is_stop_word(last, lang)


def strip_trailing_stop_words(text: str, lang: str | None = "en", protect: Iterable[str] = ()) -> str:
    """``text`` without the stop words (and the dangling punctuation) at its end; at least one
    unit is kept."""
    us = units(text, protect)
    while len(us) > 1 and " " not in us[-1] and is_stop_word(us[-1], lang):
        us.pop()
    return _join(us)


def _join(us: Sequence[str]) -> str:
    return " ".join(us).rstrip(" ,;:–—-")


# ---------------------------------------------------------------- shortening

def _rephrasings(text: str, lang: str | None) -> list[str]:
    """Ever-shorter rephrasings of ``text`` keeping every clause: without parentheticals and
    asides, without filler words, with wordy English phrases compressed."""
    out = []
    t = re.sub(r"\s*\([^)]*\)", "", text)
    t = re.sub(r"\s+[–—]\s+[^–—]+?\s+[–—]\s+", " ", t)
    t = " ".join(t.split())
    if t != text:
        out.append(t)
    code = (lang or "en").split("-")[0].lower()
    fill = _FILLER.get(code, frozenset())
    if fill:
        kept = [w for w in t.split() if _bare(w) not in fill or not w.isalpha()]
        if len(kept) < len(t.split()) and kept:
            t = " ".join(kept)
            out.append(t)
    if code == "en":
        t2 = t
        for pat, rep in _EN_SHORTER:
            t2 = re.sub(pat, rep, t2, flags=re.I)
        if t2 != t:
            out.append(t2)
    return out


def _protected_chars(text: str, protect: Iterable[str]) -> set[int]:
    return {i for s, e in atomic_spans(text, protect) for i in range(s, e)}


def _clause_pieces(sentence: str, lang: str | None, protect: Sequence[str]) -> list[str]:
    """A sentence split into clauses at , ; : dashes and before coordinators (``and``, ``und``,
    ``et``...), never inside an atomic span. Each piece keeps its leading punctuation/coordinator."""
    code = (lang or "en").split("-")[0].lower()
    coords = _COORD.get(code, ())
    protected = _protected_chars(sentence, protect)
    cuts = []
    for m in re.finditer(r"\s*[,;:–—]\s+|\s+-\s+|[，、；]", sentence):
        if m.start() not in protected:
            cuts.append(m.start())
    if coords:
        for m in re.finditer(r"\s+(?=(?:" + "|".join(map(re.escape, coords)) + r")\s)", sentence, re.I):
            if m.start() not in protected and m.start() > 0:
                cuts.append(m.start())
    cuts = sorted(set(c for c in cuts if c > 0))
    pieces, prev = [], 0
    for c in cuts:
        if sentence[prev:c].strip():
            pieces.append(sentence[prev:c])
            prev = c
    pieces.append(sentence[prev:])
    return [p for p in pieces if p.strip()]


def _phrase_prefixes(text: str, lang: str | None, protect: Sequence[str]) -> list[str]:
    """Prefixes of ``text`` that end at a phrase boundary: right before a stop word (which opens a
    prepositional phrase, a noun phrase or a clause), never inside an atomic span, never ending on
    a stop word. Longest first."""
    us = units(text, protect)
    out = []
    for i in range(len(us) - 1, 0, -1):
        if " " not in us[i] and is_stop_word(us[i], lang):
            prefix = us[:i]
            if " " in prefix[-1] or not is_stop_word(prefix[-1], lang):
                out.append(_join(prefix))
    return out


def _word_prefixes(text: str, lang: str | None, protect: Sequence[str]) -> list[str]:
    """Every prefix at a unit boundary (atomic spans whole) that does not end on a stop word.
    Longest first. The last resort, for a noun stack without any phrase boundary."""
    us = units(text, protect)
    out = []
    for i in range(len(us) - 1, 0, -1):
        prefix = us[:i]
        if " " in prefix[-1] or not is_stop_word(prefix[-1], lang):
            out.append(_join(prefix))
    return out


def _end(text: str) -> str:
    return text.rstrip(" ,;:–—-")


def shorten(
    text: str, fits: Callable[[str], bool], *, lang: str | None = "en", protect: Sequence[str] = (),
    allow_word_cut: bool = True,
) -> str:
    """The longest version of ``text`` for which ``fits(version)`` is true, made only by
    rephrasing and dropping whole sentences, clauses and trailing phrases (see the module
    docstring); atomic spans (``protect`` + prices, percentages, URLs) are never cut and the result
    never ends on a stop word of ``lang``.

    ``allow_word_cut``: as a very last resort, drop trailing words at any unit boundary (still not
    inside an atomic span, still not ending on a stop word) — for a noun stack without a phrase
    boundary. When nothing fits, returns the shortest candidate (the first clause's core, or the
    atomic span alone): over budget but never broken. CJK text without spaces is cut between
    characters after its sentences and clauses are tried. Sentence punctuation inside the kept
    text is kept; a dropped tail takes its punctuation with it.
    """
    text = " ".join(text.split())
    if not text or fits(text):
        return text
    protect = tuple(p for p in protect if p and p.strip())
    candidates: list[str] = []

    def consider(c: str) -> str | None:
        c = _end(c)
        if not c:
            return None
        if ends_on_stop_word(c, lang, protect):
            c = strip_trailing_stop_words(c, lang, protect)
        candidates.append(c)
        return c if fits(c) else None

    base = text
    for r in _rephrasings(text, lang):
        if consider(r):
            return candidates[-1]
        base = r
    sents = sentences(base) or [base]
    # whole sentences, from the end (the first sentence stays)
    for k in range(len(sents) - 1, 0, -1):
        if consider(" ".join(sents[:k])):
            return candidates[-1]
    head = sents[0]
    pieces = _clause_pieces(head, lang, protect)
    if len(pieces) > 1:
        protected = [bool(atomic_spans(p, protect)) for p in pieces]
        # drop unprotected clauses from the end first, then protected ones (the first stays)
        order = [i for i in range(len(pieces) - 1, 0, -1) if not protected[i]]
        order += [i for i in range(len(pieces) - 1, 0, -1) if protected[i]]
        keep = list(range(len(pieces)))
        for i in order:
            keep.remove(i)
            if consider("".join(pieces[j] for j in keep)):
                return candidates[-1]
        head = pieces[0]
    if is_cjk(head) and " " not in head.strip():
        for n in range(len(head) - 1, 0, -1):
            if consider(head[:n]):
                return candidates[-1]
    tails = _phrase_prefixes(head, lang, protect) + (_word_prefixes(head, lang, protect) if allow_word_cut else [])
    for p in tails:
        if consider(p):
            return _keep_name(candidates[-1], head, fits, protect)
    return min(candidates, key=len) if candidates else text


def _name_pattern(name: str) -> str:
    return r"(?<!\w)" + r"\s+".join(re.escape(w) for w in name.split()) + r"(?!\w)"


def _keep_name(result: str, head: str, fits: Callable[[str], bool], protect: Sequence[str]) -> str:
    """A cut that lost the protected name ("Shop" from "Shop the new Ridgeback Motors Café Racer")
    gives way to the name alone (as the brief spells it) when that fits: the name matters more
    than a verb."""
    def named(t: str) -> bool:
        return any(re.search(_name_pattern(p), t, re.I) for p in protect)

    if not protect or named(result) or not named(head):
        return result
    for p in protect:
        if re.search(_name_pattern(p), head, re.I) and fits(" ".join(p.split())):
            return " ".join(p.split())
    return result


def fit_words(text: str, max_words: float, *, lang: str | None = "en", protect: Sequence[str] = ()) -> str:
    """Shorten ``text`` to at most ``max_words`` spoken words with :func:`shorten` (never inside
    ``protect``/prices/percentages/URLs, never ending on a stop word of ``lang``). A line whose
    atomic content alone is longer comes back over budget but whole."""
    return shorten(text, lambda t: word_count(t) <= max_words + 1e-9, lang=lang, protect=protect)


def fit_chars(text: str, max_chars: int, *, lang: str | None = "en", protect: Sequence[str] = ()) -> str:
    """``text`` in at most ``max_chars`` characters (a schema field's limit), shortened with
    :func:`shorten`; a text whose atomic content alone is longer is cut at the last space before
    the limit (the field limit is hard)."""
    out = shorten(text, lambda t: len(t) <= max_chars, lang=lang, protect=protect)
    if len(out) > max_chars:
        out = strip_trailing_stop_words(out[:max_chars].rsplit(" ", 1)[0] if " " in out[:max_chars] else out[:max_chars], lang)
    return out


def headline(text: str, max_words: int = 6, *, lang: str | None = "en", protect: Sequence[str] = ()) -> str:
    """On-screen headline from a clause: ≤ ``max_words`` words (atomic spans whole), first letter
    capitalised, never ending on a stop word."""
    t = fit_words(text.strip(), max_words, lang=lang, protect=protect).rstrip(".")
    if ends_on_stop_word(t, lang, protect):
        t = strip_trailing_stop_words(t, lang, protect)
    return t[:1].upper() + t[1:] if t else t


def first_fitting(options: Sequence[str], max_words: float) -> str | None:
    """The first of ``options`` (rephrasings in order of preference) with at most ``max_words``
    spoken words, or None."""
    for o in options:
        if word_count(o) <= max_words + 1e-9:
            return o
    return None


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
