"""WebSocket ``/ws/video-jobs/<id>/``: live progress of one job.

On connect the user (session, or ``?token=`` — see :mod:`kolony.ws_auth`) must be a member of the
job's organization, else the socket is closed (code 4404, nothing revealed; also for an id that
cannot exist). The job's current state is sent at once, so a page reload shows the bar where it
is; then every progress message of the job's group is forwarded.

Access is re-checked whenever the user's access changes (``access.changed`` on the user's group:
membership removed, user deactivated, password changed, token revoked) and on each message the
client sends; a socket that lost access is closed with code 4403.
"""

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from kolony.tenancy import org_queryset
from kolony.ws_auth import user_group

from .progress import group_name, state_message

CLOSE_NOT_FOUND = 4404
CLOSE_ACCESS_LOST = 4403
MAX_ID = 2**63 - 1


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


@database_sync_to_async
def _still_allowed(user_id: int, token: str, session_hash: str, job_id: int) -> bool:
    """Read from the database (not the identity cache): the user is active, still a member of the
    job's organization, and the credential still holds — a token client's token exists, a cookie
    client's password (session hash) is unchanged."""
    from kolony.accounts.models import ApiToken, Membership, User
    from kolony.accounts.services import api_token_hash

    from .models import VideoJob

    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None or (session_hash and user.get_session_auth_hash() != session_hash):
        return False
    if token and not ApiToken.objects.filter(key_hash=api_token_hash(token), user_id=user_id).exists():
        return False
    org_ids = Membership.objects.filter(user_id=user_id).values_list("organization_id", flat=True)
    return VideoJob.objects.filter(pk=job_id, organization_id__in=org_ids).exists()


class VideoJobProgressConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self):
        self.groups_joined = []
        self.access_lost = False
        self.user_id = None  # set once the socket is accepted
        job_id = int(self.scope["url_route"]["kwargs"]["job_id"])
        user = self.scope.get("user")
        if user is not None and user.is_authenticated:
            # joined before the check, so an access change committing meanwhile is not missed
            await self.channel_layer.group_add(user_group(user.pk), self.channel_name)
            self.groups_joined.append(user_group(user.pk))
        state = await _job_state_for(user, job_id) if 0 < job_id <= MAX_ID else None
        if state is None:
            await self.disconnect(CLOSE_NOT_FOUND)
            self.groups_joined = []
            await self.close(code=CLOSE_NOT_FOUND)
            return
        self.job_id = job_id
        self.user_id = user.pk
        self.token = self.scope.get("auth_token", "")
        self.session_hash = "" if self.token else user.get_session_auth_hash()
        await self.channel_layer.group_add(group_name(job_id), self.channel_name)
        self.groups_joined.append(group_name(job_id))
        await self.accept()
        await self.send_json(state)

    async def disconnect(self, code):
        for group in getattr(self, "groups_joined", []):
            await self.channel_layer.group_discard(group, self.channel_name)

    async def _recheck(self) -> bool:
        if self.access_lost or await _still_allowed(self.user_id, self.token, self.session_hash, self.job_id):
            return not self.access_lost
        self.access_lost = True  # nothing more is sent, even before the client acknowledges the close
        await self.disconnect(CLOSE_ACCESS_LOST)
        self.groups_joined = []
        await self.close(code=CLOSE_ACCESS_LOST)
        return False

    async def receive(self, text_data=None, bytes_data=None, **kwargs):
        if text_data:  # binary frames are ignored
            await super().receive(text_data=text_data, **kwargs)

    @classmethod
    async def decode_json(cls, text_data):
        try:
            return await super().decode_json(text_data)
        except ValueError:
            return None  # not JSON: ignored, not a crash

    async def receive_json(self, content, **kwargs):
        if not await self._recheck():
            return
        if isinstance(content, dict) and content.get("type") == "ping":
            await self.send_json({"type": "pong"})

    async def access_changed(self, event):
        if self.user_id is not None:  # a refused socket has nothing to re-check
            await self._recheck()

    async def job_progress(self, event):
        if not self.access_lost:
            await self.send_json(event["message"])
