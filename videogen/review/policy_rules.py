# ruff: noqa: E501  (the rule tables: one regular expression per line reads better than split strings)
"""Policy rules as data: what Meta and Google reject in an ad's words, which topics are Meta's
special ad categories, where each placement's interface covers the frame (safe zones) and what
file each placement accepts (spec limits). Every rule names the platform page it comes from.

Pure data plus the text matcher; :mod:`videogen.review.policy` runs the rules on a render.

Text is matched after :func:`normalize`: lower case, accents removed (NFKD, combining marks
dropped: "pérdida" → "perdida", "über" → "uber"), typographic apostrophes and dashes made plain,
whitespace collapsed. Patterns are regular expressions written against that normal form, each
wrapped in word boundaries, per language (ISO 639-1 code of the brief's ``language``). A rule's
``exceptions`` are patterns that, when they match text overlapping a hit, cancel it (e.g.
"before and after work" is not a before/after body claim).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property

BLOCKING = "blocking"
WARNING = "warning"

#: Languages with their own patterns (the planner writes in the brief's language; these are the
#: ones we check natively). Any other language is checked against every set.
LANGUAGES: tuple[str, ...] = ("en", "es", "fr", "de", "pt", "it")

# ---------------------------------------------------------------------------------------------
# Policy pages (the rule sources)

META_PERSONAL_ATTRIBUTES = "https://transparency.meta.com/policies/ad-standards/objectionable-content/privacy-violations-personal-attributes"
META_PERSONAL_HEALTH = "https://transparency.meta.com/policies/ad-standards/objectionable-content/personal-health-and-appearance"
META_SPECIAL_AD_CATEGORIES = "https://developers.facebook.com/documentation/ads-commerce/marketing-api/audiences/special-ad-category"
META_VIDEO_SPECS = "https://www.facebook.com/business/ads-guide/video"
META_SAFE_ZONES = "https://www.facebook.com/business/help/980593475366490"
GOOGLE_UNRELIABLE_CLAIMS = "https://support.google.com/adspolicy/answer/15936857"
GOOGLE_MISLEADING_CLAIMS = "https://support.google.com/adspolicy/answer/6086777"
GOOGLE_MISREPRESENTATION = "https://support.google.com/adspolicy/answer/6020955"
GOOGLE_DESTINATION_MISMATCH = "https://support.google.com/adspolicy/answer/6368661"
GOOGLE_DESTINATION_REQUIREMENTS = "https://support.google.com/adspolicy/answer/6368661#destination_requirements"
GOOGLE_VIDEO_AD_FORMATS = "https://support.google.com/google-ads/answer/2375464"
GOOGLE_SHORTS_SPECS = "https://support.google.com/google-ads/answer/16041697"
YOUTUBE_UPLOAD_ENCODING = "https://support.google.com/youtube/answer/1722171"
TITLE_SAFE = "https://pub.smpte.org/doc/st2046-1/"  # SMPTE ST 2046-1 safe areas (5 % title-safe margins)


# ---------------------------------------------------------------------------------------------
# Text normal form and matching

_PUNCT = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "\u2013": "-", "\u2014": "-", "\u00a0": " ",
                        "\u00bf": " ", "\u00a1": " "})


def normalize(text: str) -> tuple[str, list[int]]:
    """``text`` in the matching normal form, and for each of its characters the index of the
    original character it came from (so a hit can be quoted as the user wrote it)."""
    out: list[str] = []
    index: list[int] = []
    prev_space = True
    for i, ch in enumerate(text.translate(_PUNCT)):
        for c in unicodedata.normalize("NFKD", ch.casefold()):
            if unicodedata.combining(c):
                continue
            if c.isspace():
                if prev_space:
                    continue
                c = " "
            prev_space = c == " "
            out.append(c)
            index.append(i)
    return "".join(out), index


@dataclass(frozen=True)
class Hit:
    """One match: ``excerpt`` is the original text that matched (as written), ``start``/``end``
    its character offsets in the original."""

    excerpt: str
    start: int
    end: int


def _compile(patterns: tuple[str, ...]) -> re.Pattern[str] | None:
    if not patterns:
        return None
    return re.compile("|".join(rf"(?:(?<!\w){p}(?!\w))" for p in patterns))


@dataclass(frozen=True)
class TextRule:
    """A rule matched against ad text.

    ``id`` (stored as the finding's ``rule``), ``severity`` (blocking | warning), ``title`` (a
    short name), ``message`` (what the finding tells the marketer: the problem and the fix),
    ``source_url`` (the platform policy page), ``patterns`` (language → regexes over the normal
    form), ``exceptions`` (language → regexes that cancel an overlapping hit). ``category`` is set
    for special-ad-category rules (a :class:`campaigns.choices.SpecialAdCategory` value).
    """

    id: str
    severity: str
    title: str
    message: str
    source_url: str
    patterns: Mapping[str, tuple[str, ...]]
    exceptions: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    category: str = ""

    @cached_property
    def _compiled(self) -> dict[str, tuple[re.Pattern[str] | None, re.Pattern[str] | None]]:
        return {lang: (_compile(pats), _compile(tuple(self.exceptions.get(lang, ())) + tuple(self.exceptions.get("*", ()))))
                for lang, pats in self.patterns.items()}

    def find(self, text: str, languages: tuple[str, ...]) -> Iterator[Hit]:
        """Every hit of this rule in ``text`` for ``languages`` (see :func:`languages_for`), in
        text order, each span once."""
        if not text or not text.strip():
            return
        norm, index = normalize(text)
        seen: set[tuple[int, int]] = set()
        hits: list[Hit] = []
        for lang in languages:
            pat, exc = self._compiled.get(lang, (None, None))
            if pat is None:
                continue
            cancels = [m.span() for m in exc.finditer(norm)] if exc is not None else []
            for m in pat.finditer(norm):
                a, b = m.span()
                if a == b or any(ca < b and a < cb for ca, cb in cancels):
                    continue
                start, end = index[a], index[b - 1] + 1
                if (start, end) not in seen:
                    seen.add((start, end))
                    hits.append(Hit(text[start:end], start, end))
        yield from sorted(hits, key=lambda h: h.start)


def languages_for(language: str | None) -> tuple[str, ...]:
    """Pattern sets to use for a brief's ``language`` ("pt-BR" → ("pt", "en")): its own and
    English (ads mix in English words everywhere); an unsupported language gets every set."""
    primary = (language or "en").split("-")[0].lower()
    if primary not in LANGUAGES:
        return LANGUAGES
    return (primary,) if primary == "en" else (primary, "en")


# Reusable fragments (normal form: no accents, lower case)
_NUM = r"\d+(?:[.,]\d+)?"
_KG = r"(?:kg|kgs|kilos?|kilogram(?:s|me|mes|os|mi|m)?|lbs?|pounds?|libras?|livres?|pfund|chili)"
_MONEY = r"(?:[$€£]\s?\d[\d.,]*k?|\d[\d.,]*\s?k?\s?(?:[$€£]|usd|eur|dollars?|euros?|pounds?|dolares|reais|r\$))"

# ---------------------------------------------------------------------------------------------
# Claims (on-screen text, subtext, voiceover, captions)

CLAIM_RULES: tuple[TextRule, ...] = (
    TextRule(
        id="claims.guaranteed_results", severity=BLOCKING, title="Guaranteed results",
        message="Promises a guaranteed result. Google and Meta reject ads that present an improbable outcome as what "
                "people can expect; say what the product does instead.",
        source_url=GOOGLE_MISLEADING_CLAIMS,
        patterns={
            "en": (r"guaranteed (?:results?|success|weight loss|income|returns?|profits?|earnings|approval|cure|to (?:work|lose|cure|make|earn|double))",
                   r"results? (?:are )?guaranteed", r"(?:success|weight loss|income|returns?|profits?) guaranteed",
                   r"100 ?% (?:guaranteed )?results"),
            "es": (r"resultados? garantizad[oa]s?", r"(?:exito|ganancias|ingresos) garantizad[oa]s?",
                   r"garantizad[oa]s? (?:el |los )?(?:resultados?|exito)", r"garantizamos (?:los )?resultados"),
            "fr": (r"resultats? garantis?", r"(?:succes|gains|revenus) garantis?", r"garantit (?:les |des )?resultats",
                   r"resultats? (?:a|a) 100 ?%"),
            "de": (r"garantierte[nr]? (?:ergebnisse?|erfolge?|gewinne?|einnahmen)", r"(?:ergebnisse?|erfolg) garantiert",
                   r"garantiert (?:abnehmen|reich)"),
            "pt": (r"resultados? garantidos?", r"(?:sucesso|lucros?|ganhos) garantidos?", r"garantimos (?:os )?resultados"),
            "it": (r"risultati garantiti", r"(?:successo|guadagni) garantit[oi]", r"risultato garantito",
                   r"garantiamo (?:i )?risultati"),
        },
    ),
    TextRule(
        id="claims.risk_free", severity=WARNING, title="Risk-free claim",
        message="Says the offer is risk-free. Platforms treat absolute no-risk promises as misleading unless the terms "
                "(e.g. a refund policy) are stated on the landing page; check and accept, or reword.",
        source_url=GOOGLE_MISLEADING_CLAIMS,
        patterns={
            "en": (r"risk[- ]?free", r"(?:with )?(?:zero|no) risk"),
            "es": (r"sin riesgos?", r"libre de riesgos?", r"cero riesgos?"),
            "fr": (r"sans (?:aucun )?risques?", r"zero risque"),
            "de": (r"risikofrei", r"ohne (?:jedes )?risiko", r"null risiko"),
            "pt": (r"sem riscos?", r"livre de riscos?", r"risco zero"),
            "it": (r"senza rischi?", r"rischio zero", r"zero rischi"),
        },
    ),
    TextRule(
        id="claims.before_after", severity=WARNING, title="Before/after comparison",
        message="Mentions a before/after comparison. Meta does not allow before-and-after content that shows "
                "idealised health or appearance results; accept only if it compares something else.",
        source_url=META_PERSONAL_HEALTH,
        patterns={
            "en": (r"before ?(?:and|&|/|-|vs\.?) ?after", r"before-and-after"),
            "es": (r"antes ?(?:y|/|-) ?despues",),
            "fr": (r"avant ?(?:et|/|-) ?apres", r"avant-apres"),
            "de": (r"vorher ?(?:und|/|-) ?nachher", r"vorher-nachher"),
            "pt": (r"antes ?(?:e|/|-) ?depois",),
            "it": (r"prima ?(?:e|/|-) ?dopo",),
        },
        exceptions={
            "en": (r"before (?:and|&) after (?:work|school|class|lunch|dinner|meals?|breakfast|practice)",),
            "es": (r"antes y despues (?:del|de) (?:trabajo|clase|colegio|comer|cenar)",),
            "fr": (r"avant et apres (?:le |la |les )?(?:travail|boulot|ecole|cours|repas)",),
            "de": (r"vor und nach (?:der )?(?:arbeit|schule)",),
            "pt": (r"antes e depois do (?:trabalho|almoco|jantar)",),
            "it": (r"prima e dopo (?:il |la )?(?:lavoro|scuola|pasti?)",),
        },
    ),
    TextRule(
        id="claims.weight_loss", severity=BLOCKING, title="Unrealistic weight-loss claim",
        message="Promises weight loss in a set time or without effort. Google rejects unrealistic weight-loss claims "
                "and Meta rejects content that plays on body image; talk about the product, not the body.",
        source_url=GOOGLE_UNRELIABLE_CLAIMS,
        patterns={
            "en": (rf"lose (?:up to )?{_NUM} ?{_KG} (?:in|within) (?:a|one|{_NUM}|just|only) ?(?:\w+ )?(?:days?|weeks?|months?)",
                   rf"drop {_NUM} ?{_KG} (?:in|within)", r"lose weight (?:fast|quickly|overnight|without (?:diet|dieting|exercise|effort))",
                   r"burn (?:belly )?fat (?:fast|overnight)", r"melt (?:away )?(?:the )?(?:belly )?fat"),
            "es": (rf"(?:pierde|perder|baja|bajar|adelgaza|adelgazar) {_NUM} ?{_KG} en(?: (?:una|un|{_NUM}) (?:dias?|semanas?|mes(?:es)?))?", r"(?:adelgaza|adelgazar|bajar de peso) (?:rapido|sin dieta|sin ejercicio|sin esfuerzo)",
                   r"quema grasa (?:rapido|mientras duermes)"),
            "fr": (rf"(?:perdez|perdre|perds) {_NUM} ?{_KG} en(?: (?:une|un|{_NUM}) (?:jours?|semaines?|mois))?", r"maigri[rs] (?:vite|rapidement|sans (?:regime|effort|sport))",
                   r"perdre du poids (?:vite|rapidement|sans effort)"),
            "de": (rf"{_NUM} ?{_KG} in (?:einer|einem|{_NUM}|nur) ?(?:\w+ )?(?:tag|tagen|woche|wochen|monat|monaten)",
                   r"(?:schnell|muhelos) abnehmen", r"abnehmen ohne (?:diat|sport|hunger)"),
            "pt": (rf"(?:perca|perder|elimine|eliminar) {_NUM} ?{_KG} em(?: (?:uma|um|{_NUM}) (?:dias?|semanas?|mes(?:es)?))?", r"emagre(?:cer|ca) (?:rapido|rapidamente|sem dieta|sem esforco)"),
            "it": (rf"(?:perdi|perdere) {_NUM} ?{_KG} in(?: (?:una|un|{_NUM}) (?:giorni|giorno|settiman[ae]|mes[ei]))?", r"dimagri(?:re|sci) (?:velocemente|in fretta|senza dieta|senza fatica)"),
        },
    ),
    TextRule(
        id="claims.personal_attributes", severity=BLOCKING, title="Personal attributes",
        message="Asserts or asks about the viewer's personal attributes (health, weight, finances, relationship "
                "status…). Meta rejects ads that imply they know who the viewer is; speak about the product instead.",
        source_url=META_PERSONAL_ATTRIBUTES,
        patterns={
            "en": (r"are you (?:overweight|fat|obese|diabetic|depressed|in debt|broke|single|lonely|divorced|unemployed|bald(?:ing)?|anxious|infertile|gay|pregnant)",
                   r"(?:other |hot |local )?singles (?:in your area|near you|nearby)",
                   r"(?:struggling|suffering|dealing) with (?:your )?(?:weight|debt|depression|anxiety|acne|diabetes|hair loss|bad credit)",
                   r"do you (?:suffer from|have) (?:diabetes|depression|anxiety|acne|debt|bad credit|hair loss|erectile)",
                   r"(?:tired of|hate) being (?:fat|overweight|single|broke)", r"your (?:bad credit|debts?|diabetes|depression|belly fat)"),
            "es": (r"(?:estas|eres|te sientes) (?:con sobrepeso|gord[oa]|obes[oa]|endeudad[oa]|solter[oa]|deprimid[oa]|diabetic[oa])",
                   r"tienes (?:sobrepeso|deudas|diabetes|depresion|ansiedad|acne)", r"solter[oa]s (?:en tu (?:zona|ciudad|area)|cerca de ti)",
                   r"(?:sufres|luchas) (?:de|con) (?:sobrepeso|deudas|depresion|ansiedad|diabetes)"),
            "fr": (r"(?:etes-vous|es-tu|vous etes|tu es) (?:en surpoids|gros(?:se)?|obese|endette|celibataire|deprime|diabetique)",
                   r"(?:avez-vous|as-tu) des dettes", r"celibataires (?:pres de chez (?:vous|toi)|dans (?:votre|ta) (?:region|ville))",
                   r"(?:souffrez-vous|souffres-tu) (?:de|d')"),
            "de": (r"(?:bist du|sind sie) (?:ubergewichtig|dick|verschuldet|single|depressiv|diabetiker(?:in)?|pleite)",
                   r"(?:hast du|haben sie) (?:schulden|ubergewicht|diabetes|depressionen)",
                   r"singles (?:in (?:deiner|ihrer) (?:nahe|gegend|umgebung|stadt))", r"(?:leidest du|leiden sie) (?:an|unter)"),
            "pt": (r"(?:voce esta|voce e|esta|es) (?:acima do peso|gord[oa]|obes[oa]|endividad[oa]|solteir[oa]|deprimid[oa]|diabetic[oa])",
                   r"(?:voce )?tem (?:dividas|sobrepeso|diabetes|depressao)", r"solteir[oa]s (?:na sua (?:regiao|cidade|area)|perto de voce)",
                   r"(?:sofre|sofrendo) (?:de|com) (?:sobrepeso|dividas|depressao|ansiedade|diabetes)"),
            "it": (r"sei (?:ancora )?(?:in sovrappeso|sovrappeso|grass[oa]|obes[oa]|indebitat[oa]|single|depress[oa]|diabetic[oa])",
                   r"(?:hai|ha) (?:debiti|sovrappeso|il diabete)", r"single (?:nella tua (?:zona|citta)|vicino a te)",
                   r"(?:soffri|soffre) di"),
        },
    ),
    TextRule(
        id="claims.miracle_cure", severity=BLOCKING, title="Miracle cure",
        message="Claims a miracle or total cure. Google rejects unproven cures and cure-alls; Meta rejects "
                "misleading health claims. Remove the cure claim.",
        source_url=GOOGLE_UNRELIABLE_CLAIMS,
        patterns={
            "en": (r"miracle (?:cure|pill|drug|remedy|treatment|diet|supplement)s?", r"cure[- ]all",
                   r"100 ?% (?:cure|cured|cures)", r"(?:instant|permanent|guaranteed) cure",
                   r"cures? (?:cancer|diabetes|arthritis|alzheimer'?s|autism|hiv|everything|all diseases)"),
            "es": (r"(?:cura|remedio|pildora|tratamiento) milagros[oa]", r"cura (?:el |la )?(?:cancer|diabetes|artritis|alzheimer|todo)",
                   r"cura (?:al )?100 ?%"),
            "fr": (r"(?:remede|cure|pilule|traitement|guerison) miracle", r"guerit (?:le |la |l')?(?:cancer|diabete|arthrite|alzheimer|tout)",
                   r"guerison (?:a )?100 ?%"),
            "de": (r"wunder(?:mittel|heilung|pille|kur)", r"heilt (?:krebs|diabetes|arthritis|alzheimer|alles)",
                   r"100 ?% (?:heilung|geheilt)"),
            "pt": (r"(?:cura|remedio|pilula|tratamento) milagros[oa]", r"cura (?:o |a )?(?:cancer|diabetes|artrite|alzheimer|tudo)",
                   r"cura (?:de )?100 ?%"),
            "it": (r"(?:cura|rimedio|pillola) miracolos[oa]", r"guarisce (?:il |la |l')?(?:cancro|diabete|artrite|alzheimer|tutto)",
                   r"guarigione (?:al )?100 ?%"),
        },
    ),
    TextRule(
        id="claims.get_rich_quick", severity=BLOCKING, title="Get-rich-quick",
        message="Promises fast or effortless money. Google and Meta reject get-rich-quick schemes and improbable "
                "earnings claims; remove the earnings promise.",
        source_url=GOOGLE_UNRELIABLE_CLAIMS,
        patterns={
            "en": (r"get rich (?:quick|fast|overnight)", rf"(?:make|earn) (?:up to )?{_MONEY} (?:a|per|every|each) (?:day|week|hour)",
                   r"(?:make|earn) money (?:fast|quick|quickly|overnight|while you sleep|from home|doing nothing)",
                   r"double your (?:money|investment|income)", r"(?:guaranteed|effortless) (?:passive )?income",
                   r"financial freedom in \d+ (?:days|weeks)"),
            "es": (r"hazte rico", r"(?:gana|ganar) dinero (?:rapido|facil|desde casa|mientras duermes|sin hacer nada)",
                   rf"(?:gana|ganar) {_MONEY} (?:al|por) (?:dia|semana|hora)", r"duplica tu (?:dinero|inversion)",
                   r"dinero facil"),
            "fr": (r"devenez riche", r"devenir riche (?:rapidement|vite)",
                   r"(?:gagnez|gagner) de l'argent (?:facilement|rapidement|vite|en dormant|depuis chez vous|sans rien faire)",
                   rf"(?:gagnez|gagner) {_MONEY} par (?:jour|semaine|heure)", r"doublez votre (?:argent|investissement)",
                   r"argent facile"),
            "de": (r"schnell reich", r"reich (?:werden )?uber nacht", rf"(?:verdiene|verdienen sie) {_MONEY} (?:am|pro|jeden) (?:tag|woche|stunde)",
                   r"(?:verdopple dein|verdoppeln sie ihr) (?:geld|einkommen)", r"schnelles geld", r"leicht verdientes geld"),
            "pt": (r"fique rico", r"(?:ganhe|ganhar) dinheiro (?:rapido|facil|em casa|dormindo|sem fazer nada)",
                   rf"(?:ganhe|ganhar) {_MONEY} por (?:dia|semana|hora)", r"dobre (?:o )?seu dinheiro", r"dinheiro facil"),
            "it": (r"diventa(?:re)? ricco", r"(?:guadagna|guadagnare) (?:soldi|denaro) (?:facilmente|velocemente|da casa|dormendo)",
                   rf"(?:guadagna|guadagnare) {_MONEY} al (?:giorno|settimana|ora)", r"raddoppia i tuoi (?:soldi|risparmi)",
                   r"soldi facili"),
        },
    ),
)

# ---------------------------------------------------------------------------------------------
# Special ad categories (Meta): detected from the brief and the ad's words

_SPECIAL_MESSAGE = ("The ad is about {label}, one of Meta's special ad categories: the campaign must declare it "
                    "(limited targeting; political ads also need authorisation and a \"Paid for by\" disclaimer). "
                    "Declare it on the linked campaign, or link the job to a campaign that does.")

SPECIAL_CATEGORY_RULES: tuple[TextRule, ...] = (
    TextRule(
        id="special_category.credit", severity=BLOCKING, title="Special ad category: credit / financial products",
        message=_SPECIAL_MESSAGE.format(label="credit or financial products"), source_url=META_SPECIAL_AD_CATEGORIES,
        category="credit",
        patterns={
            "en": (r"loans?", r"credit (?:cards?|lines?|scores?|checks?|repair|limit|union)", r"line of credit", r"bad credit",
                   r"mortgages?", r"refinanc(?:e|ing)", r"\d+(?:[.,]\d+)? ?% apr", r"apr", r"(?:0|zero) ?% financing",
                   r"buy now,? pay later", r"financing (?:available|options?|plans?)"),
            "es": (r"prestamos?", r"tarjetas? de credito", r"creditos? (?:personal|rapido|hipotecario|al consumo)", r"hipotecas?",
                   r"financiacion", r"financiamiento", r"\d+(?:[.,]\d+)? ?% tae"),
            "fr": (r"pret (?:personnel|immobilier|auto|etudiant|a taux)", r"cartes? de credit", r"credit (?:conso|a la consommation|immobilier|renouvelable)",
                   r"hypotheques?", r"taeg", r"rachat de credits?"),
            "de": (r"kredit(?:e|karten?|rahmen|vergleich)?", r"darlehen", r"hypothek(?:en)?", r"ratenkauf", r"finanzierung",
                   r"effektiver jahreszins"),
            "pt": (r"emprestimos?", r"cartao de credito", r"credito (?:pessoal|consignado|imobiliario)", r"financiamento", r"hipotecas?"),
            "it": (r"prestit[oi]", r"carta di credito", r"mutu[oi]", r"finanziament[oi]", r"\d+(?:[.,]\d+)? ?% taeg"),
        },
    ),
    TextRule(
        id="special_category.employment", severity=BLOCKING, title="Special ad category: employment",
        message=_SPECIAL_MESSAGE.format(label="employment"), source_url=META_SPECIAL_AD_CATEGORIES, category="employment",
        patterns={
            "en": (r"(?:we'?re|we are|now) hiring", r"job (?:openings?|offers?|opportunit(?:y|ies)|vacanc(?:y|ies)|fair)",
                   r"apply (?:now |today )?for (?:this|the|our|a) (?:job|position|role)", r"join our team",
                   r"career opportunit(?:y|ies)", r"(?:open|vacant) positions?", r"vacanc(?:y|ies)", r"internships?"),
            "es": (r"estamos contratando", r"ofertas? de (?:empleo|trabajo)", r"vacantes?", r"unete a nuestro equipo",
                   r"buscamos (?:personal|empleados|camareros|repartidores)", r"trabaja con nosotros"),
            "fr": (r"(?:nous recrutons|on recrute)", r"offres? d'emploi", r"rejoignez (?:notre|nos) equipes?",
                   r"postes? a pourvoir", r"candidatez"),
            "de": (r"wir stellen ein", r"stellenangebote?", r"jetzt bewerben", r"offene stellen?", r"karriere bei",
                   r"werde teil unseres teams"),
            "pt": (r"estamos contratando", r"vagas? de (?:emprego|trabalho)", r"oportunidades? de emprego",
                   r"junte-se a nossa equipe", r"trabalhe conosco"),
            "it": (r"stiamo assumendo", r"offert[ae] di lavoro", r"lavora con noi", r"posizion[ei] apert[ae]", r"candidati ora"),
        },
    ),
    TextRule(
        id="special_category.housing", severity=BLOCKING, title="Special ad category: housing",
        message=_SPECIAL_MESSAGE.format(label="housing"), source_url=META_SPECIAL_AD_CATEGORIES, category="housing",
        patterns={
            "en": (r"(?:apartments?|homes?|houses?|condos?|flats?|rooms?|studios?) for (?:rent|sale|lease)", r"for rent",
                   r"real estate", r"homeowners?'? insurance", r"mortgages?", r"rental listings?", r"realtors?",
                   r"home equity", r"property listings?"),
            "es": (r"(?:pisos?|casas?|apartamentos?|departamentos?) en (?:venta|alquiler|renta)", r"se (?:alquila|renta|vende) (?:piso|casa|apartamento)",
                   r"inmobiliaria", r"bienes raices", r"hipotecas?"),
            "fr": (r"(?:appartements?|maisons?|studios?) a (?:louer|vendre)", r"a louer", r"agence immobiliere", r"immobilier",
                   r"hypotheques?"),
            "de": (r"(?:wohnung|haus|zimmer) (?:zu vermieten|zu verkaufen|mieten|kaufen)", r"zu vermieten", r"immobilien?",
                   r"makler", r"hypothek(?:en)?"),
            "pt": (r"(?:apartamentos?|casas?) (?:para alugar|a venda|para venda)", r"aluga-se", r"vende-se", r"imobiliaria",
                   r"imoveis"),
            "it": (r"(?:appartament[oi]|cas[ae]) in (?:affitto|vendita)", r"affittasi", r"vendesi", r"immobiliare", r"mutu[oi]"),
        },
    ),
    TextRule(
        id="special_category.issues_elections_politics", severity=BLOCKING,
        title="Special ad category: social issues, elections or politics",
        message=_SPECIAL_MESSAGE.format(label="social issues, elections or politics"), source_url=META_SPECIAL_AD_CATEGORIES,
        category="issues_elections_politics",
        patterns={
            "en": (r"vote (?:for|yes|no|on)", r"elections?", r"ballots?", r"candidates? for", r"referendum",
                   r"political (?:party|campaign|ad)", r"(?:senator|congress(?:man|woman)?|governor|mayor) \w+", r"sign (?:the|our) petition",
                   r"re-?elect"),
            "es": (r"vota (?:por|a|si|no)", r"elecciones", r"candidat[oa] a", r"referendum", r"partido politico", r"firma la peticion"),
            "fr": (r"votez", r"elections?", r"candidat(?:e)? a", r"referendum", r"parti politique", r"signez la petition"),
            "de": (r"(?:bundestags|landtags|kommunal|europa)?wahlen? (?:am|im|\d{4})", r"wahlkampf", r"(?:geh|geht|gehen sie) wahlen",
                   r"stimme fur", r"kandidat(?:in)? fur", r"volksabstimmung", r"partei"),
            "pt": (r"vote (?:em|no|na|sim|nao)", r"eleic(?:ao|oes)", r"candidat[oa] a", r"referendo", r"partido politico"),
            "it": (r"vota (?:per|si|no)", r"elezioni", r"candidat[oa] (?:a|sindaco)", r"referendum", r"partito politico"),
        },
        exceptions={
            "en": (r"vote for (?:your|the) (?:favou?rite|next|best) \w+", r"candidates? for (?:the )?(?:job|role|position)"),
            "es": (r"vota (?:por )?tu (?:favorit[oa]|sabor)",),
            "fr": (r"votez pour (?:votre|ton) (?:prefere|preferee|saveur)",),
            "it": (r"vota (?:il tuo|la tua) (?:preferit[oa]|gusto)",),
        },
    ),
)


# ---------------------------------------------------------------------------------------------
# Placements: formats, safe zones and file specs

@dataclass(frozen=True)
class SafeZone:
    """Where a placement's interface covers the frame, as fractions of its height (top, bottom)
    and width (left, right). Text, captions and logos must stay inside. ``source_url``: the page."""

    top: float
    bottom: float
    left: float
    right: float
    source_url: str
    note: str = ""

    def rect(self, width: int, height: int) -> tuple[int, int, int, int]:
        """The safe rectangle (left, top, right, bottom) in pixels of a ``width``×``height`` frame."""
        return (round(width * self.left), round(height * self.top),
                width - round(width * self.right), height - round(height * self.bottom))


@dataclass(frozen=True)
class PlacementSpec:
    """What a placement accepts.

    ``ratios``: the output formats it shows and their safe zones; ``min_seconds`` /
    ``max_seconds``: the duration limits (None = no limit); ``recommended_max_seconds``: longer
    serves but is cut or performs worse (a warning); ``min_width``: the narrowest frame accepted
    (px); ``codecs``: video codecs accepted; ``max_bytes``: file size limit; ``sources``: the
    pages the numbers come from. ``bumper``: YouTube in-stream, where a video of 6 s or less runs
    as a bumper and must be exactly 6 s, and skippable ads should run at least 12 s.
    """

    id: str
    label: str
    platform: str
    ratios: Mapping[str, SafeZone]
    min_seconds: float | None
    max_seconds: float | None
    sources: tuple[str, ...]
    recommended_max_seconds: float | None = None
    min_width: int = 500
    codecs: tuple[str, ...] = ("h264", "hevc")
    max_bytes: int = 4 * 1024**3
    bumper: bool = False


# Meta Reels: keep text out of the top 14 %, bottom 35 % and 6 % at each side (like/comment rail).
_REELS = SafeZone(0.14, 0.35, 0.06, 0.06, META_SAFE_ZONES, "Reels interface: top 14 %, bottom 35 %, sides 6 %")
# Meta Stories: the profile bar covers the top 14 %, the reply bar / CTA the bottom 20 %.
_STORIES = SafeZone(0.14, 0.20, 0.0, 0.0, META_SAFE_ZONES, "Stories interface: top 14 %, bottom 20 %")
# Feed shows a 9:16 video masked to 4:5 (1080×1350 of 1080×1920): 14.8 % off the top and bottom.
_FEED_9X16 = SafeZone(0.148, 0.148, 0.0, 0.0, META_VIDEO_SPECS, "Feed masks 9:16 to 4:5 (the centre 1080×1350)")
# No overlay: keep to the 5 % title-safe margins (SMPTE ST 2046-1), as the engine lays out.
_TITLE = SafeZone(0.05, 0.05, 0.05, 0.05, TITLE_SAFE, "title-safe area: 5 % margins")
# YouTube Shorts: the channel name, description and CTA cover the bottom and the like/comment panel the
# right (Google's Shorts ad specs); Google publishes no percentages, so the Reels zone is used.
_SHORTS = SafeZone(0.14, 0.35, 0.06, 0.06, GOOGLE_SHORTS_SPECS, "Shorts interface (as Reels): top 14 %, bottom 35 %, sides 6 %")

PLACEMENT_SPECS: dict[str, PlacementSpec] = {p.id: p for p in (
    PlacementSpec("facebook_feed", "Facebook Feed", "meta", {"1:1": _TITLE, "4:5": _TITLE, "16:9": _TITLE, "9:16": _FEED_9X16},
                  min_seconds=1, max_seconds=241 * 60, recommended_max_seconds=None, sources=(META_VIDEO_SPECS,), min_width=120),
    PlacementSpec("instagram_feed", "Instagram Feed", "meta", {"1:1": _TITLE, "4:5": _TITLE, "16:9": _TITLE, "9:16": _FEED_9X16},
                  min_seconds=1, max_seconds=60 * 60, sources=(META_VIDEO_SPECS,), min_width=500),
    PlacementSpec("facebook_reels", "Facebook Reels", "meta", {"9:16": _REELS},
                  min_seconds=1, max_seconds=90, sources=(META_VIDEO_SPECS, META_SAFE_ZONES), min_width=500),
    PlacementSpec("instagram_reels", "Instagram Reels", "meta", {"9:16": _REELS},
                  min_seconds=1, max_seconds=90, sources=(META_VIDEO_SPECS, META_SAFE_ZONES), min_width=500),
    PlacementSpec("facebook_stories", "Facebook Stories", "meta", {"9:16": _STORIES},
                  min_seconds=1, max_seconds=60, sources=(META_VIDEO_SPECS, META_SAFE_ZONES), min_width=500),
    PlacementSpec("instagram_stories", "Instagram Stories", "meta", {"9:16": _STORIES},
                  min_seconds=1, max_seconds=60, sources=(META_VIDEO_SPECS, META_SAFE_ZONES), min_width=500),
    PlacementSpec("audience_network", "Audience Network", "meta", {"9:16": _TITLE, "1:1": _TITLE, "4:5": _TITLE, "16:9": _TITLE},
                  min_seconds=1, max_seconds=120, sources=(META_VIDEO_SPECS,), min_width=500),
    PlacementSpec("youtube_instream", "YouTube in-stream", "google", {"16:9": _TITLE, "1:1": _TITLE, "9:16": _TITLE},
                  min_seconds=6, max_seconds=None, recommended_max_seconds=180, bumper=True,
                  sources=(GOOGLE_VIDEO_AD_FORMATS, YOUTUBE_UPLOAD_ENCODING), min_width=640, max_bytes=256 * 1024**3),
    PlacementSpec("youtube_shorts", "YouTube Shorts", "google", {"9:16": _SHORTS},
                  min_seconds=1, max_seconds=180, recommended_max_seconds=60,
                  sources=(GOOGLE_SHORTS_SPECS, GOOGLE_VIDEO_AD_FORMATS), min_width=600, max_bytes=256 * 1024**3),
    PlacementSpec("discover", "Google Discover", "google", {"16:9": _TITLE, "1:1": _TITLE, "4:5": _TITLE, "9:16": _TITLE},
                  min_seconds=5, max_seconds=None, recommended_max_seconds=180,
                  sources=(GOOGLE_VIDEO_AD_FORMATS,), min_width=480, max_bytes=256 * 1024**3),
    PlacementSpec("gmail", "Gmail", "google", {"16:9": _TITLE, "1:1": _TITLE, "4:5": _TITLE, "9:16": _TITLE},
                  min_seconds=5, max_seconds=None, recommended_max_seconds=180,
                  sources=(GOOGLE_VIDEO_AD_FORMATS,), min_width=480, max_bytes=256 * 1024**3),
)}

#: YouTube bumper ads: exactly 6 s (Google video ad formats: "6 seconds or shorter"; DESIGN §6 renders
#: bumpers at exactly 6 s, ± the 0.1 s tolerance of the quality checks).
BUMPER_SECONDS = 6.0
BUMPER_TOLERANCE = 0.1
#: Skippable in-stream: Google recommends at least 12 s (shorter videos cannot earn views from skips).
SKIPPABLE_MIN_SECONDS = 12.0
#: Aspect-ratio tolerance of an output against its nominal ratio (Meta ads guide: 1 % for Stories/Reels).
RATIO_TOLERANCE = 0.01
#: Loudness: −14 LUFS integrated ± 1 LU, true peak ≤ −1 dBTP (YouTube's playback normalisation
#: target; DESIGN §6; :mod:`videogen.engine.render.formats`).
TARGET_LUFS = -14.0
LUFS_TOLERANCE = 1.0
MAX_TRUE_PEAK = -1.0
#: Frame rate: Meta and YouTube take up to 60 fps; the engine renders constant 30 fps (DESIGN §6).
MAX_FPS = 60.0

#: Rule id → short title, for every finding a check can produce (text rules carry their own).
RULE_TITLES: dict[str, str] = {
    **{r.id: r.title for r in CLAIM_RULES + SPECIAL_CATEGORY_RULES},
    "landing_url.missing": "No landing URL",
    "landing_url.malformed": "Malformed landing URL",
    "landing_url.not_https": "Landing URL not https",
    "landing_url.mismatch": "Landing URL on another site",
    "safe_zone.outside": "Outside the safe zone",
    "safe_zone.not_recorded": "Safe zones not checked",
    "spec.ratio": "Aspect ratio",
    "spec.size": "Frame size",
    "spec.codec": "Video codec",
    "spec.fps": "Frame rate",
    "spec.file_size": "File size",
    "spec.duration": "Duration",
    "spec.loudness": "Loudness",
    "spec.true_peak": "True peak",
    "spec.no_format": "No file for a placement",
    "policy.check_failed": "Check could not run",
}
