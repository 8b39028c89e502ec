"""Reliable background jobs: a job is an :class:`~kolony.outbox.models.OutboxMessage` row written in
the same database transaction as the change that needs it, then sent to RQ (see ``services``)."""
