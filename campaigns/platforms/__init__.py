"""Ad platforms: OAuth connections, publishing approved renders, insights sync.

``base`` (the adapter contract every platform implements, errors, token sets), ``meta``
(facebook-business), ``google`` (google-ads), ``models`` (Publication, InsightSyncRun; imported by
campaigns.models), ``oauth`` (authorization-code flow with state + PKCE, token refresh),
``publishing`` (the resumable publish orchestrator on the ``publish`` queue), ``insights``
(the sync job), ``registry`` (platform → adapter).
"""
