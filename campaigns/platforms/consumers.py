"""WebSocket ``/ws/publications/<id>/``: live progress of one publication.

The socket rules are :class:`kolony.ws_consumers.OrgSocket`'s, as for a render's progress: the
user must be a member of the publication's organization (else closed with 4404, nothing
revealed); the current state is sent at once, then every message of the publication's group;
access is re-checked on every change and client message (closed with 4403 once lost).
"""

from kolony.tenancy import org_queryset
from kolony.ws_consumers import Opening, OrgSocket, member_org_ids, url_id

from .progress import group_name, state_message


class PublicationProgressConsumer(OrgSocket):
    def opening(self, user) -> Opening | None:
        from campaigns.models import Publication

        from .registry import adapter_for

        publication_id = url_id(self.scope, "publication_id")
        if publication_id is None:
            return None
        pub = (Publication.objects.filter(pk=publication_id, organization_id__in=member_org_ids(user.pk))
               .select_related("organization").first())
        if pub is None or not org_queryset(Publication, pub.organization).filter(pk=pub.pk).exists():
            return None
        try:
            steps = tuple(adapter_for(pub.platform).steps)
        except Exception:  # noqa: BLE001 - the recorded steps are shown without the adapter's order
            steps = None
        return Opening(key=pub.pk, group=group_name(pub.pk), state=state_message(pub, steps))

    def still_allowed(self, user_id: int, key: int) -> bool:
        from campaigns.models import Publication

        return Publication.objects.filter(pk=key, organization_id__in=member_org_ids(user_id)).exists()

    async def publication_progress(self, event):
        await self.forward(event["message"])
