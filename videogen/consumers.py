"""WebSocket ``/ws/video-jobs/<id>/``: live progress of one job.

On connect the user (session or ``?token=``) must be a member of the job's organization, else the
socket is closed (code 4404, nothing revealed). The job's current state is sent at once, so a page
reload shows the bar where it is; then every progress message of the job's group is forwarded.
"""

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from kolony.tenancy import org_queryset

from .progress import group_name, state_message

CLOSE_NOT_FOUND = 4404


@database_sync_to_async
def _job_state_for(user, job_id: int):
    from kolony.accounts.models import Membership

    from .models import VideoJob

    if user is None or not user.is_authenticated:
        return None
    org_ids = Membership.objects.filter(user=user).values_list("organization_id", flat=True)
    job = VideoJob.objects.filter(pk=job_id, organization_id__in=org_ids).select_related("organization").first()
    if job is None or not org_queryset(VideoJob, job.organization).filter(pk=job.pk).exists():
        return None
    return state_message(job)


class VideoJobProgressConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self):
        self.group = None
        job_id = int(self.scope["url_route"]["kwargs"]["job_id"])
        state = await _job_state_for(self.scope.get("user"), job_id)
        if state is None:
            await self.close(code=CLOSE_NOT_FOUND)
            return
        self.group = group_name(job_id)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        await self.send_json(state)

    async def disconnect(self, code):
        if self.group:
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive_json(self, content, **kwargs):
        if content.get("type") == "ping":
            await self.send_json({"type": "pong"})

    async def job_progress(self, event):
        await self.send_json(event["message"])
