"""WebSocket ``/ws/publications/<id>/``: live progress of one publication.

Same rules as a render's progress socket (:mod:`videogen.consumers`): on connect the user must be a
member of the publication's organization, else the socket is closed with code 4404 (nothing
revealed); the current state is sent at once, then every message of the publication's group.
Access is re-checked when the user's access changes and on each client message (close 4403).
"""

from channels.db import database_sync_to_async

from kolony.ws_auth import user_group
from videogen.consumers import CLOSE_ACCESS_LOST, CLOSE_NOT_FOUND, MAX_ID, VideoJobProgressConsumer

from .progress import group_name, state_message


@database_sync_to_async
def _publication_state_for(user, publication_id: int):
    from campaigns.models import Publication
    from kolony.accounts.models import Membership
    from kolony.tenancy import org_queryset

    from .registry import adapter_for

    if user is None or not user.is_authenticated:
        return None
    org_ids = Membership.objects.filter(user=user).values_list("organization_id", flat=True)
    pub = Publication.objects.filter(pk=publication_id, organization_id__in=org_ids).select_related("organization").first()
    if pub is None or not org_queryset(Publication, pub.organization).filter(pk=pub.pk).exists():
        return None
    try:
        steps = tuple(adapter_for(pub.platform).steps)
    except Exception:  # noqa: BLE001 - the recorded steps are shown without the adapter's order
        steps = None
    return state_message(pub, steps)


@database_sync_to_async
def _still_allowed(user_id: int, token: str, session_hash: str, publication_id: int) -> bool:
    from campaigns.models import Publication
    from kolony.accounts.models import ApiToken, Membership, User
    from kolony.accounts.services import api_token_hash

    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None or (session_hash and user.get_session_auth_hash() != session_hash):
        return False
    if token and not ApiToken.objects.filter(key_hash=api_token_hash(token), user_id=user_id).exists():
        return False
    org_ids = Membership.objects.filter(user_id=user_id).values_list("organization_id", flat=True)
    return Publication.objects.filter(pk=publication_id, organization_id__in=org_ids).exists()


class PublicationProgressConsumer(VideoJobProgressConsumer):
    """The render-progress consumer's handshake, re-checks and ping, for a publication."""

    async def connect(self):
        self.groups_joined = []
        self.access_lost = False
        self.user_id = None
        publication_id = int(self.scope["url_route"]["kwargs"]["publication_id"])
        user = self.scope.get("user")
        if user is not None and user.is_authenticated:
            await self.channel_layer.group_add(user_group(user.pk), self.channel_name)
            self.groups_joined.append(user_group(user.pk))
        state = await _publication_state_for(user, publication_id) if 0 < publication_id <= MAX_ID else None
        if state is None:
            await self.disconnect(CLOSE_NOT_FOUND)
            self.groups_joined = []
            await self.close(code=CLOSE_NOT_FOUND)
            return
        self.job_id = publication_id
        self.user_id = user.pk
        self.token = self.scope.get("auth_token", "")
        self.session_hash = "" if self.token else user.get_session_auth_hash()
        await self.channel_layer.group_add(group_name(publication_id), self.channel_name)
        self.groups_joined.append(group_name(publication_id))
        await self.accept()
        await self.send_json(state)

    async def _recheck(self) -> bool:
        if self.access_lost or await _still_allowed(self.user_id, self.token, self.session_hash, self.job_id):
            return not self.access_lost
        self.access_lost = True
        await self.disconnect(CLOSE_ACCESS_LOST)
        self.groups_joined = []
        await self.close(code=CLOSE_ACCESS_LOST)
        return False

    async def publication_progress(self, event):
        if not self.access_lost:
            await self.send_json(event["message"])
