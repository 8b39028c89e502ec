import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from campaigns.forms import to_minor
from campaigns.validators import clean_targeting, sniff_video, validate_creative_file, validate_currency


def test_targeting_defaults_and_shape():
    assert clean_targeting({"countries": ["US", "CA"]}) == {
        "countries": ["US", "CA"], "age_min": 18, "age_max": 65, "genders": [], "languages": [], "interests": []}
    assert clean_targeting({"countries": ["GB"], "age_min": 13, "age_max": 65, "genders": ["female"], "languages": ["en"],
                            "interests": ["coffee"]})["genders"] == ["female"]


@pytest.mark.parametrize("value, fragment", [
    ({"countries": ["XX"]}, "countries: 'XX' is not a country code we know; use two-letter codes such as US, GB or DE."),
    ({"countries": ["US", "XX", "QQ", "ZZ"]}, "countries: 'XX', 'QQ' and 'ZZ' are not country codes we know"),
    ({"countries": []}, "countries: Choose at least one country."),
    ({}, "countries: Choose at least one country."),
    ({"countries": ["US"], "age_min": 12}, "age_min: Minimum age must be a whole number from 13 to 65"),
    ({"countries": ["US"], "age_max": 70}, "age_max: Maximum age must be a whole number from 13 to 65"),
    ({"countries": ["US"], "age_min": 40, "age_max": 30}, "age_min: Minimum age can't be above maximum age."),
    ({"countries": ["US"], "genders": ["other"]}, "genders: Gender is Women, Men, or neither for everyone."),
    ({"countries": ["US"], "languages": ["zz", "qq"]}, "languages: 'zz' and 'qq' are not language codes we know"),
    ({"countries": "US"}, "countries: Give the countries as a list of two-letter codes"),
    ({"countries": ["US"], "interests": ["x" * 101]}, "interests: Each interest can be at most 100 characters long."),
    ({"countries": ["US"], "zip": "97201"}, "'zip' is not a targeting option; use countries, age_min"),
    (["US"], "must be a JSON object"),
])
def test_targeting_errors_are_plain_words_keyed_by_field(value, fragment):
    with pytest.raises(ValidationError) as exc:
        clean_targeting(value)
    assert any(fragment in m for m in exc.value.messages), exc.value.messages
    for message in exc.value.messages:  # never the schema's or the ISO standard's words
        assert not any(word in message for word in ("ISO", "is not of type", "[0]", "must not be above", "required property"))


def test_every_targeting_problem_is_reported_at_once():
    with pytest.raises(ValidationError) as exc:
        clean_targeting({"countries": ["US", "ZZ", "QQ"], "age_min": 70, "age_max": 20, "genders": ["x"], "languages": ["zz"],
                         "interests": ["y" * 200]})
    keys = [m.split(":", 1)[0] for m in exc.value.messages]
    assert keys == ["countries", "age_min", "genders", "languages", "interests"], exc.value.messages
    assert "'ZZ' and 'QQ'" in exc.value.messages[0]
    with pytest.raises(ValidationError) as exc:
        clean_targeting({"countries": ["ZZ"], "age_min": 45, "age_max": 25})
    assert exc.value.messages == ["countries: 'ZZ' is not a country code we know; use two-letter codes such as US, GB or DE.",
                                  "age_min: Minimum age can't be above maximum age."]


def test_codes_are_normalised_and_repeats_dropped():
    cleaned = clean_targeting({"countries": ["us", " ca ", "US"], "languages": ["EN", "en"], "interests": ["coffee", " ", "coffee"]})
    assert (cleaned["countries"], cleaned["languages"], cleaned["interests"]) == (["US", "CA"], ["en"], ["coffee"])


def test_currency_codes():
    validate_currency("EUR")
    with pytest.raises(ValidationError, match="not a currency code we know"):
        validate_currency("EURO")


def test_to_minor_respects_currency_exponent():
    from decimal import Decimal

    assert to_minor(Decimal("12.50"), "USD") == 1250
    assert to_minor(Decimal("500"), "JPY") == 500
    assert to_minor(Decimal("1.234"), "KWD") == 1234
    with pytest.raises(ValidationError, match="no minor unit"):
        to_minor(Decimal("5.5"), "JPY")
    with pytest.raises(ValidationError, match="2 decimal places"):
        to_minor(Decimal("1.005"), "USD")


MP4 = b"\x00\x00\x00\x18ftypisom" + b"\x00" * 32
WEBM = b"\x1a\x45\xdf\xa3" + b"\x00" * 32


def test_sniff_video():
    assert sniff_video(MP4) == "mp4"
    assert sniff_video(WEBM) == "webm"
    assert sniff_video(b"\x89PNG\r\n\x1a\n" + b"\x00" * 8) is None


def _webm() -> bytes:
    import subprocess
    import tempfile
    from pathlib import Path

    from videogen.engine.render.ffmpeg import ffmpeg_exe

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "a.webm"
        subprocess.run([ffmpeg_exe(), "-v", "error", "-f", "lavfi", "-i", "testsrc2=s=160x120:r=10:d=1", "-c:v", "libvpx",
                        "-b:v", "200k", str(out)], check=True)
        return out.read_bytes()


@pytest.mark.parametrize("name, content, ok", [
    ("a.mp4", "real", True), ("a.MOV", "real", True), ("a.webm", "webm", True),
    ("a.mp4", MP4, False),  # MP4 magic bytes with no video inside: probed now, like Studio uploads
    ("a.mp4", b"<html>not a video</html>", False), ("a.webm", MP4, False), ("a.gif", MP4, False), ("a.mp4", b"", False),
])
def test_creative_file_rules(name, content, ok):
    from tests.fixtures.campaigns import real_mp4

    content = real_mp4() if content == "real" else _webm() if content == "webm" else content
    upload = SimpleUploadedFile(name, content)
    if ok:
        validate_creative_file(upload)
    else:
        with pytest.raises(ValidationError):
            validate_creative_file(upload)


def test_creative_size_limit(settings):
    settings.KOLONY_CREATIVE_MAX_BYTES = 20
    with pytest.raises(ValidationError, match="limit"):
        validate_creative_file(SimpleUploadedFile("a.mp4", MP4))
    assert io  # keep import for file-like tests
