"""WebSocket ``/ws/video-jobs/<id>/``: live progress of one job.

The socket rules are :class:`kolony.ws_consumers.OrgSocket`'s: the user must be a member of the
job's organization (else closed with 4404, nothing revealed; also for an id that cannot exist);
the job's current state is sent at once, so a page reload shows the bar where it is; then every
progress message of the job's group is forwarded; access is re-checked on every change and
client message (closed with 4403 once lost).
"""

from kolony.tenancy import org_queryset
from kolony.ws_consumers import Opening, OrgSocket, member_org_ids, url_id

from .progress import group_name, state_message


class VideoJobProgressConsumer(OrgSocket):
    def opening(self, user) -> Opening | None:
        from .models import VideoJob

        job_id = url_id(self.scope, "job_id")
        if job_id is None:
            return None
        job = VideoJob.objects.filter(pk=job_id, organization_id__in=member_org_ids(user.pk)).select_related("organization").first()
        if job is None or not org_queryset(VideoJob, job.organization).filter(pk=job.pk).exists():
            return None
        return Opening(key=job.pk, group=group_name(job.pk), state=state_message(job))

    def still_allowed(self, user_id: int, key: int) -> bool:
        from .models import VideoJob

        return VideoJob.objects.filter(pk=key, organization_id__in=member_org_ids(user_id)).exists()

    async def job_progress(self, event):
        await self.forward(event["message"])
