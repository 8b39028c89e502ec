"""Voice briefs in the wizard (issue 15): thin JSON views over :mod:`videogen.voice_brief`.

* ``POST /studio/voice-briefs/`` (multipart, field ``audio``, optional ``language``) → 201
  ``{"id", "status": "pending", "status_url", "name", "duration_seconds"}``; 400 ``{"detail", "errors":
  {"audio": [...]}}`` for a refused file; 409 ``{"detail"}`` when no GPU worker can transcribe.
* ``GET /studio/voice-briefs/<id>/`` → 200 :func:`videogen.voice_brief.voice_brief_status`; 404 for
  another organization's recording.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import Http404, JsonResponse
from django.views.decorators.http import require_GET, require_POST

from kolony.core.service_errors import ServiceConflict
from kolony.tenancy import current_membership, org_required

from . import voice_brief
from .models import Asset


@org_required("edit")
@require_POST
def voice_brief_upload(request):
    upload = request.FILES.get("audio") or request.FILES.get("file")
    if upload is None:
        return JsonResponse({"detail": "Record or choose an audio file first.", "errors": {"audio": ["No file was sent."]}},
                            status=400)
    try:
        asset = voice_brief.voice_brief_start(organization=current_membership(request).organization, user=request.user,
                                              upload=upload, language=request.POST.get("language") or None)
    except ServiceConflict as exc:
        return JsonResponse({"detail": exc.messages[0], "errors": {"audio": exc.messages}}, status=409)
    except ValidationError as exc:
        return JsonResponse({"detail": exc.messages[0], "errors": {"audio": exc.messages}}, status=400)
    return JsonResponse(voice_brief.voice_brief_summary(asset), status=201)


@org_required("edit")
@require_GET
def voice_brief_status(request, asset_id: int):
    try:
        asset = voice_brief.voice_brief_get(organization=current_membership(request).organization, asset_id=asset_id)
    except Asset.DoesNotExist:
        raise Http404("No such voice brief.") from None
    response = JsonResponse(voice_brief.voice_brief_status(asset=asset))
    response["Cache-Control"] = "no-store"
    return response
