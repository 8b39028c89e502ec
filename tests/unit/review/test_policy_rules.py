"""The policy rules as data: every text rule with a positive and a negative example in every
language it covers, the normal form, the placement table and the per-placement file limits."""

import pytest

from campaigns.choices import Placement, SpecialAdCategory
from videogen.review import policy_rules as rules
from videogen.review.policy_checks import _spec_problems

RULES = {r.id: r for r in rules.CLAIM_RULES + rules.SPECIAL_CATEGORY_RULES}

# rule → language → (texts that must match, texts that must not)
EXAMPLES = {
    "claims.guaranteed_results": {
        "en": (["Guaranteed results in 7 days", "Results guaranteed!"], ["Guaranteed fresh every morning", "Satisfaction guaranteed"]),
        "es": (["Resultados garantizados", "Éxito garantizado"], ["Frescura garantizada cada mañana"]),
        "fr": (["Résultats garantis !", "Succès garanti"], ["Fraîcheur garantie"]),
        "de": (["Garantierte Ergebnisse", "Erfolg garantiert"], ["Frische garantiert"]),
        "pt": (["Resultados garantidos", "Sucesso garantido"], ["Frescor garantido"]),
        "it": (["Risultati garantiti", "Successo garantito"], ["Freschezza garantita"]),
    },
    "claims.risk_free": {
        "en": (["Try it risk-free", "Zero risk, all reward"], ["A risky bet on flavour"]),
        "es": (["Pruébalo sin riesgo"], ["Riesgo de adicción al sabor"]),
        "fr": (["Essayez sans risque"], ["Le risque du goût"]),
        "de": (["Jetzt risikofrei testen", "Ohne Risiko bestellen"], ["Risiken und Nebenwirkungen"]),
        "pt": (["Experimente sem risco"], ["Arrisque um sabor novo"]),
        "it": (["Provalo senza rischi"], ["Rischia un nuovo gusto"]),
    },
    "claims.before_after": {
        "en": (["See the before and after", "Before/after photos"], ["Coffee before and after work", "Before you go"]),
        "es": (["El antes y después"], ["Café antes y después del trabajo"]),
        "fr": (["Avant/après : incroyable"], ["Un café avant et après le travail"]),
        "de": (["Vorher-Nachher-Bilder", "Vorher und nachher"], ["Vor und nach der Arbeit"]),
        "pt": (["O antes e depois"], ["Café antes e depois do trabalho"]),
        "it": (["Il prima e dopo"], ["Un caffè prima e dopo il lavoro"]),
    },
    "claims.weight_loss": {
        "en": (["Lose 10 kg in a week", "Lose weight fast", "Drop 20 lbs in a month"], ["Lose track of time", "Only 10 kcal"]),
        "es": (["Pierde 10 kg en una semana", "Adelgaza sin dieta"], ["Pierde la noción del tiempo"]),
        "fr": (["Perdez 5 kilos en 10 jours", "Maigrir vite"], ["Perdez-vous dans le goût"]),
        "de": (["5 kg in einer Woche", "Schnell abnehmen"], ["5 kg Kaffeebohnen"]),
        "pt": (["Perca 10 kg em um mês", "Emagrecer rápido"], ["Perca a noção do tempo"]),
        "it": (["Perdi 10 kg in una settimana", "Dimagrire velocemente"], ["Perdi la testa per il gusto"]),
    },
    "claims.personal_attributes": {
        "en": (["Are you overweight?", "Meet other singles in your area", "Are you in debt?", "Struggling with your weight?"],
               ["Are you ready for mornings?", "For people who love coffee"]),
        "es": (["¿Estás endeudado?", "Solteros en tu zona", "¿Tienes sobrepeso?"], ["¿Estás listo para la mañana?"]),
        "fr": (["Êtes-vous en surpoids ?", "Célibataires près de chez vous", "Avez-vous des dettes ?"], ["Êtes-vous prêt ?"]),
        "de": (["Bist du übergewichtig?", "Singles in deiner Nähe", "Hast du Schulden?"], ["Bist du bereit?"]),
        "pt": (["Você está endividado?", "Solteiros na sua região"], ["Você está pronto?"]),
        "it": (["Sei in sovrappeso?", "Single nella tua zona", "Hai debiti?"], ["Sei pronto?", "Giovani e single"]),
    },
    "claims.miracle_cure": {
        "en": (["A miracle cure for tired mornings", "100% cure", "Cures diabetes"], ["A small miracle every morning"]),
        "es": (["Una cura milagrosa", "Cura el cáncer"], ["Un pequeño milagro cada mañana"]),
        "fr": (["Le remède miracle", "Guérit le diabète"], ["Un petit miracle chaque matin"]),
        "de": (["Das Wundermittel", "Heilt Krebs"], ["Ein kleines Wunder am Morgen"]),
        "pt": (["A cura milagrosa", "Cura o câncer"], ["Um pequeno milagre"]),
        "it": (["La cura miracolosa", "Guarisce il cancro"], ["Un piccolo miracolo"]),
    },
    "claims.get_rich_quick": {
        "en": (["Get rich quick", "Earn $500 a day", "Make money while you sleep", "Double your money"],
               ["Rich, smooth flavour", "Save $5 a day on coffee runs"]),
        "es": (["Hazte rico", "Gana 300 € al día", "Gana dinero fácil"], ["Un sabor rico"]),
        "fr": (["Devenez riche", "Gagnez 200 € par jour", "Gagnez de l'argent facilement"], ["Un goût riche"]),
        "de": (["Schnell reich", "Verdiene 300 € am Tag", "Schnelles Geld"], ["Reich an Aroma"]),
        "pt": (["Fique rico", "Ganhe 500 reais por dia", "Dinheiro fácil"], ["Um sabor rico"]),
        "it": (["Diventa ricco", "Guadagna 200 € al giorno", "Soldi facili"], ["Un gusto ricco"]),
    },
    "special_category.credit": {
        "en": (["Personal loans at 4.9% APR", "Get the credit card", "Mortgage rates"], ["Credits roll at the end", "Loaded with flavour"]),
        "es": (["Préstamos rápidos", "Tarjeta de crédito"], ["Presta atención"]),
        "fr": (["Prêt personnel", "Carte de crédit"], ["Prêt à boire"]),
        "de": (["Günstiger Kredit", "Darlehen ohne Schufa"], ["Kreativ am Morgen"]),
        "pt": (["Empréstimo rápido", "Cartão de crédito"], ["Empreste seu sabor"]),
        "it": (["Prestito veloce", "Carta di credito"], ["Presto a casa"]),
    },
    "special_category.employment": {
        "en": (["We're hiring baristas", "Join our team"], ["Join us for coffee"]),
        "es": (["Estamos contratando", "Ofertas de empleo"], ["Estamos abiertos"]),
        "fr": (["Nous recrutons", "Offres d'emploi"], ["Nous ouvrons"]),
        "de": (["Wir stellen ein", "Jetzt bewerben"], ["Wir öffnen um 7"]),
        "pt": (["Estamos contratando", "Vagas de emprego"], ["Estamos abertos"]),
        "it": (["Stiamo assumendo", "Lavora con noi"], ["Stiamo aprendo"]),
    },
    "special_category.housing": {
        "en": (["Apartments for rent downtown", "Real estate deals"], ["Rent a bike", "Home-brewed taste"]),
        "es": (["Pisos en alquiler", "Inmobiliaria López"], ["Casa de café"]),
        "fr": (["Appartement à louer", "Agence immobilière"], ["Maison du café"]),
        "de": (["Wohnung zu vermieten", "Immobilien kaufen"], ["Haus des Kaffees"]),
        "pt": (["Apartamento para alugar", "Imobiliária Silva"], ["Casa do café"]),
        "it": (["Appartamento in affitto", "Agenzia immobiliare"], ["Casa del caffè"]),
    },
    "special_category.issues_elections_politics": {
        "en": (["Vote for Smith on Tuesday", "The election is coming"], ["Vote for your favourite flavour", "A wide selection"]),
        "es": (["Vota por Ana", "Elecciones 2027"], ["Vota tu sabor favorito"]),
        "fr": (["Votez Dupont", "Élections municipales"], ["Votez pour votre saveur préférée"]),
        "de": (["Wahlen am Sonntag", "Stimme für Müller"], ["Die Qual der Wahl", "Wähle deine Sorte"]),
        "pt": (["Vote em Ana", "Eleições 2026"], ["Escolha seu sabor"]),
        "it": (["Vota per Rossi", "Elezioni comunali"], ["Vota il tuo gusto preferito"]),
    },
}

CASES = [(rule, lang, text, True) for rule, langs in EXAMPLES.items() for lang, (pos, _) in langs.items() for text in pos]
CASES += [(rule, lang, text, False) for rule, langs in EXAMPLES.items() for lang, (_, neg) in langs.items() for text in neg]


def test_every_text_rule_and_language_has_examples():
    assert set(EXAMPLES) == set(RULES)
    for rule_id, langs in EXAMPLES.items():
        assert set(langs) == set(rules.LANGUAGES), rule_id
        assert set(RULES[rule_id].patterns) == set(rules.LANGUAGES), rule_id


@pytest.mark.parametrize(("rule_id", "lang", "text", "expected"), CASES, ids=[f"{c[0]}-{c[1]}-{c[3]}-{c[2][:24]}" for c in CASES])
def test_rule_matches_its_examples(rule_id, lang, text, expected):
    hits = list(RULES[rule_id].find(text, rules.languages_for(lang)))
    assert bool(hits) is expected, (text, hits)
    if hits:  # the excerpt is the user's own words, accents and case as written
        assert hits[0].excerpt in text
        assert text[hits[0].start:hits[0].end] == hits[0].excerpt


def test_rules_have_sources_severity_and_categories():
    for rule in RULES.values():
        assert rule.source_url.startswith("https://"), rule.id
        assert rule.severity in (rules.BLOCKING, rules.WARNING)
        assert rule.id in rules.RULE_TITLES
    assert {r.category for r in rules.SPECIAL_CATEGORY_RULES} == set(SpecialAdCategory.values)
    assert RULES["claims.guaranteed_results"].severity == rules.BLOCKING
    assert RULES["claims.risk_free"].severity == rules.WARNING


def test_normal_form_maps_back_to_the_original():
    norm, index = rules.normalize("  ¿Estás   ÜBER-gewichtig?  Straße")
    assert norm == " estas uber-gewichtig? strasse" or norm.strip() == "estas uber-gewichtig? strasse"
    assert len(norm) == len(index)


def test_languages_for():
    assert rules.languages_for("pt-BR") == ("pt", "en")
    assert rules.languages_for("en") == ("en",)
    assert rules.languages_for("nl") == rules.LANGUAGES  # no own patterns: every set
    assert rules.languages_for(None) == ("en",)


def test_other_languages_patterns_are_not_used():
    """A Spanish ad is not checked against French words (no cross-language false positives)."""
    assert list(RULES["claims.weight_loss"].find("Maigrir vite", ("es", "en"))) == []
    assert list(RULES["claims.weight_loss"].find("Maigrir vite", rules.languages_for("fr")))


def test_placement_table_covers_every_placement_with_sources():
    assert set(rules.PLACEMENT_SPECS) == set(Placement.values)
    for spec in rules.PLACEMENT_SPECS.values():
        assert spec.sources and all(s.startswith("https://") for s in spec.sources)
        for zone in spec.ratios.values():
            assert zone.source_url.startswith("https://") and zone.note


def test_safe_zone_numbers():
    reels = rules.PLACEMENT_SPECS["instagram_reels"].ratios["9:16"]
    assert reels.rect(1080, 1920) == (65, 269, 1015, 1248)  # top 14 %, bottom 35 %, sides 6 %
    stories = rules.PLACEMENT_SPECS["facebook_stories"].ratios["9:16"]
    assert stories.rect(1080, 1920) == (0, 269, 1080, 1536)  # top 14 %, bottom 20 %


def facts(seconds, width=1080, height=1920, **extra):
    return {"width": width, "height": height, "duration": seconds, "video_codec": "h264", "avg_frame_rate": "30/1",
            "bytes": 2_000_000} | extra


def problems(placement, ratio, f):
    return [(rule, warning) for rule, _, warning in _spec_problems(rules.PLACEMENT_SPECS[placement], ratio, f)]


@pytest.mark.parametrize(("seconds", "expected"), [
    (6.0, []), (6.08, []),  # a bumper: exactly 6 s (± 0.1 s)
    (5.0, [("spec.duration", False)]), (4.2, [("spec.duration", False)]),
    (9.0, [("spec.duration", True)]),  # neither a bumper nor the 12 s Google recommends for skippable
    (12.0, []), (30.0, []), (200.0, [("spec.duration", True)]),
])
def test_youtube_instream_durations(seconds, expected):
    assert problems("youtube_instream", "16:9", facts(seconds, 1920, 1080)) == expected


@pytest.mark.parametrize(("placement", "ok", "too_long"), [
    ("instagram_reels", 90.0, 90.5), ("facebook_reels", 15.0, 120.0),
    ("instagram_stories", 60.0, 61.0), ("facebook_stories", 30.0, 75.0),
])
def test_meta_vertical_duration_limits(placement, ok, too_long):
    assert problems(placement, "9:16", facts(ok)) == []
    assert problems(placement, "9:16", facts(too_long)) == [("spec.duration", False)]


def test_feed_allows_long_videos_and_checks_the_file():
    assert problems("facebook_feed", "1:1", facts(240 * 60, 1080, 1080)) == []
    assert problems("facebook_feed", "1:1", facts(242 * 60, 1080, 1080)) == [("spec.duration", False)]
    bad = facts(15, 1080, 1350, video_codec="mpeg4", avg_frame_rate="120/1", bytes=5 * 1024**3)
    assert sorted(problems("instagram_feed", "1:1", bad)) == [("spec.codec", False), ("spec.file_size", False),
                                                               ("spec.fps", False), ("spec.ratio", False)]
    assert problems("youtube_shorts", "9:16", facts(15, 360, 640)) == [("spec.size", False)]
