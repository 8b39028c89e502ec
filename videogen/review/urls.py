"""Review pages, mounted inside the Video Studio's URLconf (namespace ``videogen``)."""

from django.urls import path

from . import comment_views, policy_views, views

urlpatterns = [
    path("approvals/", views.approvals, name="approvals"),
    path("approvals/settings/", views.review_settings, name="review_settings"),
    path("renders/<int:render_id>/", views.review, name="review"),
    path("renders/<int:render_id>/submit/", views.review_submit, name="review_submit"),
    path("renders/<int:render_id>/withdraw/", views.review_withdraw, name="review_withdraw"),
    path("renders/<int:render_id>/approve/", views.review_approve, name="review_approve"),
    path("renders/<int:render_id>/request-changes/", views.review_request_changes, name="review_request_changes"),
    # comments (H2: videogen/review/comment_views.py)
    path("renders/<int:render_id>/comments/", comment_views.comment_post, name="comment_post"),
    path("comments/<int:comment_id>/resolve/", comment_views.comment_resolve, name="comment_resolve"),
    path("comments/<int:comment_id>/unresolve/", comment_views.comment_unresolve, name="comment_unresolve"),
    # policy findings (H3: videogen/review/policy_views.py)
    path("policy-findings/<int:finding_id>/accept/", policy_views.policy_finding_accept, name="policy_finding_accept"),
]
