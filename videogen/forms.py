"""The wizard's brief form. Field rules mirror the engine's brief schema (``videogen.engine.brief``), which
has the final word when the job is created."""

from django import forms

from videogen.engine.brief import MAX_IMAGES

from .models import AssetKind, Voice

# Placement names per aspect ratio (DESIGN §6).
PLACEMENTS = [
    ("9:16", "9:16 · Reels, Stories, Shorts"),
    ("1:1", "1:1 · Feed"),
    ("4:5", "4:5 · Mobile Feed"),
    ("16:9", "16:9 · YouTube in-stream"),
]
REQUEST_TYPES = [("marketing_video", "Marketing video"), ("explainer", "Explainer"), ("product_demo", "Product demo"),
                 ("social_media", "Social media"), ("story", "Story")]
STYLES = [("vibrant", "Vibrant"), ("professional", "Professional"), ("casual", "Casual"), ("minimalist", "Minimalist"),
          ("corporate", "Corporate")]


MUSIC_MOODS = [("auto", "Matches the style"), ("upbeat", "Upbeat"), ("warm", "Warm"), ("calm", "Calm"),
               ("confident", "Confident"), ("serious", "Serious"), ("none", "No music (voice only)")]
# Tempo choices for marketers, in beats per minute ("" = the mood's own tempo).
MUSIC_TEMPOS = [("", "The mood's own"), ("84", "Slow"), ("104", "Medium"), ("128", "Fast")]


class BriefForm(forms.Form):
    title = forms.CharField(max_length=120, required=False, help_text="Defaults to the product name.")
    product_name = forms.CharField(max_length=80)
    text_prompt = forms.CharField(label="Message", min_length=10, max_length=500, widget=forms.Textarea(attrs={"rows": 3}),
                                  help_text="What the ad should say, 10–500 characters.")
    request_type = forms.ChoiceField(choices=REQUEST_TYPES, initial="marketing_video")
    style = forms.ChoiceField(choices=STYLES, initial="vibrant")
    duration = forms.IntegerField(min_value=6, max_value=60, initial=15, help_text="Seconds (6–60; bumpers are 6).")
    aspect_ratios = forms.MultipleChoiceField(choices=PLACEMENTS, initial=["9:16", "1:1"], widget=forms.CheckboxSelectMultiple,
                                              label="Placements")
    call_to_action = forms.CharField(max_length=40, initial="Shop now")
    landing_url = forms.URLField(required=False, max_length=200, assume_scheme="https")
    voice = forms.ChoiceField(required=False)
    music_mood = forms.ChoiceField(choices=MUSIC_MOODS, initial="auto", required=False, label="Music")
    music_tempo = forms.TypedChoiceField(choices=MUSIC_TEMPOS, coerce=int, empty_value=None, required=False, label="Tempo")
    primary_color = forms.CharField(initial="#1E3A8A", widget=forms.TextInput(attrs={"type": "color"}))
    accent_color = forms.CharField(initial="#F59E0B", widget=forms.TextInput(attrs={"type": "color"}))
    images = forms.CharField(required=False, widget=forms.HiddenInput, help_text="Comma-separated photo asset ids.")
    seed = forms.IntegerField(required=False, min_value=0, max_value=2**31 - 1)
    template = forms.IntegerField(required=False, widget=forms.HiddenInput)
    logo = forms.IntegerField(required=False, widget=forms.HiddenInput)
    logo_position = forms.CharField(required=False, widget=forms.HiddenInput)
    campaign = forms.TypedChoiceField(required=False, coerce=int, empty_value=None, label="Campaign (optional)")
    # issue 15: shown only while a GPU worker is alive (videogen.generation.gpu_available)
    generated_scenes = forms.ChoiceField(choices=[("", "No: template scenes"), ("all", "Yes: the whole ad (per scene later)")],
                                         required=False, label="Generated scenes",
                                         help_text="Scenes made as video clips by the GPU worker from the photo and a prompt.")

    def __init__(self, *args, organization=None, all_voices: bool = False, **kwargs):
        initial = dict(kwargs.pop("initial", None) or {})
        voice = initial.pop("voice", None)
        if isinstance(voice, dict):
            initial["voice"] = "none" if voice.get("engine") == "none" else voice.get("voice")
        music = initial.pop("music", None)
        if isinstance(music, dict):
            initial["music_mood"] = music.get("mood") or "auto"
            initial["music_tempo"] = music.get("tempo_bpm")
        kwargs["initial"] = initial
        super().__init__(*args, **kwargs)
        self.organization = organization
        from .library import voice_choices

        library = list(Voice.objects.filter(is_active=True, engine="espeak-ng"))
        self.voice_samples = {v.engine_voice_id: v.pk for v in library}
        head = [("", "Default (English, US)"), ("none", "No voiceover (music only)")]
        # every installed voice is accepted; the menu shows the curated ones unless asked for all
        # (``all_voices``), keeping the voice already chosen (a template's, a resubmitted form's)
        chosen = str((self.data.get("voice") if self.is_bound else self.initial.get("voice")) or "")
        self.fields["voice"].choices = head + voice_choices(library, curated_only=False)  # type: ignore[attr-defined]
        self.all_voices = bool(all_voices)
        self.fields["voice"].widget.choices = head + voice_choices(library, curated_only=not all_voices, keep=chosen)
        from campaigns.models import Campaign
        from kolony.tenancy import org_queryset

        campaigns = org_queryset(Campaign, organization).exclude(status="archived").order_by("name").values_list("pk", "name")[:200]
        self.fields["campaign"].choices = [("", "— none —"), *campaigns]  # type: ignore[attr-defined]

    def clean_images(self):
        raw = self.cleaned_data.get("images") or ""
        try:
            ids = [int(x) for x in raw.replace(" ", "").split(",") if x]
        except ValueError:
            raise forms.ValidationError("Photos could not be read; upload them again.") from None
        if len(ids) > MAX_IMAGES:
            raise forms.ValidationError(f"Use at most {MAX_IMAGES} photos.")
        from kolony.tenancy import org_queryset

        from .models import Asset

        pictures = org_queryset(Asset, self.organization).filter(pk__in=ids, kind__in=[AssetKind.IMAGE, AssetKind.LOGO])
        found = set(pictures.values_list("pk", flat=True))
        missing = [i for i in ids if i not in found]
        if missing:
            raise forms.ValidationError("A selected photo no longer exists; remove it and try again.")
        return list(dict.fromkeys(ids))

    def clean(self):
        data = super().clean()
        for key in ("primary_color", "accent_color"):
            value = (data.get(key) or "").upper()
            if value and not (len(value) == 7 and value.startswith("#") and all(c in "0123456789ABCDEF" for c in value[1:])):
                self.add_error(key, "Use a hex colour such as #1E3A8A.")
        return data

    def selected_image_ids(self) -> list[int]:
        if self.is_bound and hasattr(self, "cleaned_data") and "images" in self.cleaned_data:
            return self.cleaned_data["images"]
        raw = self.data.get("images", "") if self.is_bound else ""
        from kolony.core.request_validation import parse_id

        return [n for x in raw.split(",") if (n := parse_id(x))]

    def brief_data(self) -> dict:
        """The brief JSON the services validate (images as asset ids)."""
        d = self.cleaned_data
        voice = d.get("voice") or ""
        brief = {
            "product_name": d["product_name"], "text_prompt": d["text_prompt"], "request_type": d["request_type"],
            "duration": d["duration"], "style": d["style"], "aspect_ratios": [r for r, _ in PLACEMENTS if r in d["aspect_ratios"]],
            "call_to_action": d["call_to_action"], "landing_url": d.get("landing_url") or None,
            "brand": {"colors": [d["primary_color"].upper(), d["accent_color"].upper()]},
            "images": d["images"], "seed": d.get("seed") or 0,
        }
        if d.get("logo"):
            brief["brand"]["logo"] = d["logo"]
            brief["brand"]["logo_position"] = d.get("logo_position") or "top_right"
        if voice == "none":
            brief["voice"] = {"engine": "none"}
        elif voice:
            brief["voice"] = {"engine": "espeak-ng", "voice": voice}
        mood, tempo = d.get("music_mood") or "auto", d.get("music_tempo")
        if mood != "auto" or tempo is not None:
            brief["music"] = {"mood": mood, "tempo_bpm": None if mood == "none" else tempo}
        return brief


LOGO_POSITIONS = [("top_right", "Top right"), ("top_left", "Top left"), ("bottom_right", "Bottom right"), ("bottom_left", "Bottom left")]


class BrandKitForm(forms.Form):
    primary_color = forms.CharField(initial="#1E3A8A", widget=forms.TextInput(attrs={"type": "color"}))
    accent_color = forms.CharField(initial="#F59E0B", widget=forms.TextInput(attrs={"type": "color"}))
    logo_file = forms.FileField(required=False, label="Upload a logo", help_text="PNG with transparency works best.")
    logo = forms.TypedChoiceField(required=False, coerce=int, empty_value=None, label="Or use an uploaded image")
    logo_position = forms.ChoiceField(choices=LOGO_POSITIONS, initial="top_right")
    font = forms.CharField(required=False, max_length=120, help_text="An installed font family, e.g. DejaVu Serif.")
    default_voice = forms.ChoiceField(required=False)
    default_call_to_action = forms.CharField(required=False, max_length=40)

    def __init__(self, *args, organization=None, **kwargs):
        super().__init__(*args, **kwargs)
        from kolony.tenancy import org_queryset

        from .models import Asset

        images = (org_queryset(Asset, organization).filter(kind__in=[AssetKind.IMAGE, AssetKind.LOGO])
                  .values_list("pk", "original_name")[:100])
        self.fields["logo"].choices = [("", "— no logo —"), *images]
        from .library import voice_choices

        library = list(Voice.objects.filter(is_active=True))
        chosen = str((self.data.get("default_voice") if self.is_bound else self.initial.get("default_voice")) or "")
        self.fields["default_voice"].choices = [("", "Default (English, US)")] + voice_choices(library, curated_only=False)
        self.fields["default_voice"].widget.choices = [("", "Default (English, US)")] + voice_choices(library, keep=chosen)
