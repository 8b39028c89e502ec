"""Review and approval of renders: review states (on :class:`videogen.models.Render`), comments
pinned to time codes, policy findings, and the pages and API around them.

Modules: ``models`` (RenderComment, PolicyFinding), ``services`` (submit / approve /
request changes / comments / accepting warnings), ``selectors`` (approvals lists, review page
data), ``policy`` and ``policy_rules`` (the checks, rules as data with their sources), ``api``,
``views``, ``urls``.
"""
