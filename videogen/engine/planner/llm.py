"""OpenAI-compatible chat planner.

POSTs to ``{KOLONY_LLM_URL}/chat/completions`` (the OpenAI Chat Completions API shape, served by
OpenAI, vLLM, llama.cpp server, Ollama...), asks for JSON, and validates the answer against the
same scene-plan schema as the rule-based planner. An invalid or slow answer gets one repair
attempt; after that the caller falls back to the rules (see :func:`videogen.engine.planner.plan_scenes`).
"""

from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass, field

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from videogen.engine.brief import Brief
from videogen.engine.planner import copy as cp
from videogen.engine.planner.rules import MOTIONS, STYLE_TEXT_ANIMATION, STYLE_TRANSITIONS, max_words, split_durations
from videogen.engine.planner.schema import (
    MAX_SCENES,
    MIN_SCENES,
    Scene,
    ScenePlan,
    SceneRole,
    Visual,
    quantize_durations,
)


class LLMPlanError(RuntimeError):
    """The endpoint failed or its answer did not validate; ``reason`` says which."""


class _LLMScene(BaseModel):
    model_config = ConfigDict(extra="ignore")
    role: SceneRole
    duration: float = Field(gt=0, le=20)
    voiceover: str = Field(max_length=400)
    on_screen_text: str = Field(min_length=1, max_length=120)
    subtext: str = Field(default="", max_length=160)
    visual: str = Field(default="product_image", pattern="^(product_image|solid_brand)$")


class _LLMPlan(BaseModel):
    model_config = ConfigDict(extra="ignore")
    scenes: list[_LLMScene] = Field(min_length=MIN_SCENES, max_length=MAX_SCENES)


SYSTEM_PROMPT = f"""You plan short video ads. Answer with one JSON object only, no prose:
{{"scenes": [{{"role": "hook|benefit|product|offer|end_card", "duration": seconds,
  "voiceover": "spoken line", "on_screen_text": "headline of at most 6 words",
  "subtext": "optional short line", "visual": "product_image|solid_brand"}}]}}
Rules: {MIN_SCENES} to {MAX_SCENES} scenes; the first is the hook, the last is the end_card whose
on_screen_text is the call to action; durations add up to the requested duration; each voiceover
must be speakable in its scene's duration at the given words per minute; write in the brief's language."""


@dataclass
class LLMAttempt:
    """One request: ``ok`` or the ``error`` that made it fail, and its wall time in seconds."""

    attempt: int
    ok: bool
    error: str = ""
    seconds: float = 0.0
    usage: dict = field(default_factory=dict)


def _endpoint(url: str) -> str:
    url = url.rstrip("/")
    return url if url.endswith("/chat/completions") else url + "/chat/completions"


def _extract_json(content: str) -> dict:
    content = content.strip()
    m = re.search(r"```(?:json)?\s*(.*?)```", content, re.S)
    if m:
        content = m.group(1).strip()
    start, end = content.find("{"), content.rfind("}")
    if start < 0 or end <= start:
        raise ValueError("answer holds no JSON object")
    return json.loads(content[start: end + 1])


def _to_plan(raw: _LLMPlan, brief: Brief, model: str) -> ScenePlan:
    rng = random.Random(brief.seed)  # noqa: S311 - seeded for reproducible output, not for security
    roles = [s.role for s in raw.scenes]
    if roles[-1] != "end_card":
        raise ValueError("the last scene must be the end_card")
    # Durations: keep the model's proportions, make them add up to the brief (steps of 0.1 s).
    weights = [s.duration for s in raw.scenes]
    try:
        durations = quantize_durations([brief.duration * w / sum(weights) for w in weights], brief.duration)
    except ValueError:
        durations = split_durations(brief.duration, roles)
    n_images = len(brief.images)
    scenes = []
    for i, (s, dur) in enumerate(zip(raw.scenes, durations, strict=True)):
        visual = Visual(source="solid_brand")
        if s.visual == "product_image" and n_images and s.role != "end_card":
            visual = Visual(source="product_image", image_index=i % n_images)
        # post-processing (copy that never breaks, planner/copy.py): the model's lines are shortened
        # by rephrasing or dropping clauses, never inside the name/CTA/prices/URLs, never ending on
        # a stop word; the headline keeps to the prompt's 6 words, the subtext to 10.
        lang, protect = brief.language, (brief.product_name, brief.call_to_action)
        vo = " ".join(s.voiceover.split())
        if s.role != "end_card":
            vo = cp.fit_words(vo, max_words(dur, brief.voice.rate_wpm), lang=lang, protect=protect)
        vo = cp.strip_trailing_stop_words(vo, lang, protect)
        if vo and vo[-1] not in ".!?。！？":
            vo += "."
        head = cp.headline(s.on_screen_text, 6, lang=lang, protect=protect) or s.on_screen_text
        sub = cp.headline(s.subtext, 10, lang=lang, protect=protect) if s.subtext.strip() else ""
        scenes.append(
            Scene(
                id=f"s{i + 1}", role=s.role, duration=dur, voiceover=vo,
                on_screen_text=head, subtext=sub, visual=visual,
                motion="static" if s.role == "end_card" else rng.choice(MOTIONS),
                text_animation=rng.choice(STYLE_TEXT_ANIMATION[brief.style]),
                transition=rng.choice(STYLE_TRANSITIONS[brief.style]),
            )
        )
    return ScenePlan(planner=f"llm:{model}", seed=brief.seed, scenes=scenes)


def plan_with_llm(
    brief: Brief, *, url: str, model: str, api_key: str = "", timeout: float = 20.0, attempts_out: list | None = None
) -> ScenePlan:
    """Ask the chat endpoint for a plan; validate; one repair attempt on failure.

    ``attempts_out`` (a list) receives one :class:`LLMAttempt` per request. Raises
    :class:`LLMPlanError` with the last reason when both attempts fail. ``timeout`` in seconds
    per request.
    """
    import time

    import requests  # lazy: ~0.2 s to import, and only the LLM backend needs it

    attempts = attempts_out if attempts_out is not None else []
    user = {
        "brief": brief.model_dump(mode="json", exclude={"images", "brand", "voice"}),
        "images_available": len(brief.images),
        "words_per_minute": brief.voice.rate_wpm,
        "requested_duration_seconds": brief.duration,
    }
    messages = [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": json.dumps(user, ensure_ascii=False)}]
    headers = {"Content-Type": "application/json"}
    if api_key:
        headers["Authorization"] = f"Bearer {api_key}"
    last_error = ""
    for attempt in (1, 2):
        t0 = time.monotonic()
        content = None
        try:
            resp = requests.post(
                _endpoint(url),
                json={"model": model, "messages": messages, "temperature": 0, "seed": brief.seed,
                      "response_format": {"type": "json_object"}},
                headers=headers, timeout=timeout,
            )
            if resp.status_code != 200:
                raise LLMPlanError(f"HTTP {resp.status_code}: {resp.text[:200]}")
            body = resp.json()
            content = body["choices"][0]["message"]["content"]
            raw = _LLMPlan.model_validate(_extract_json(content))
            plan = _to_plan(raw, brief, model)
            attempts.append(LLMAttempt(attempt, True, seconds=time.monotonic() - t0, usage=body.get("usage") or {}))
            return plan
        except requests.Timeout:
            last_error = f"no answer within {timeout:g} s"
        except requests.RequestException as exc:
            last_error = f"request failed: {exc.__class__.__name__}: {str(exc)[:200]}"
        except ValidationError as exc:
            last_error = "answer does not match the scene schema: " + "; ".join(
                f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()[:5]
            )
        except (ValueError, KeyError, IndexError, TypeError, LLMPlanError) as exc:
            last_error = f"invalid answer: {exc}"
        attempts.append(LLMAttempt(attempt, False, error=last_error, seconds=time.monotonic() - t0))
        if content is not None:
            messages = messages + [
                {"role": "assistant", "content": content},
                {"role": "user", "content": f"That answer was invalid ({last_error}). Reply with the corrected JSON object only."},
            ]
    raise LLMPlanError(last_error)
