from django.urls import include, path

from . import views
from .platforms import insights_views, publish_views

app_name = "campaigns"

urlpatterns = [
    path("", views.campaign_list, name="list"),
    path("new/", views.campaign_create, name="create"),
    path("bulk/", views.campaign_bulk, name="bulk"),
    path("bulk/undo/", views.campaign_bulk_undo, name="bulk_undo"),
    path("export.csv", views.campaign_export, name="export"),
    path("report.csv", views.report_export, name="report"),
    path("<int:pk>/", views.campaign_detail, name="detail"),
    path("<int:pk>/edit/", views.campaign_edit, name="edit"),
    path("<int:pk>/duplicate/", views.campaign_duplicate, name="duplicate"),
    path("<int:pk>/status/", views.campaign_status, name="status"),
    path("<int:pk>/ad-sets/new/", views.ad_set_create, name="ad_set_create"),
    path("ad-sets/<int:pk>/edit/", views.ad_set_edit, name="ad_set_edit"),
    path("ad-sets/<int:pk>/archive/", views.ad_set_archive, name="ad_set_archive"),
    path("ad-sets/<int:pk>/ads/new/", views.ad_create, name="ad_create"),
    path("ads/<int:pk>/edit/", views.ad_edit, name="ad_edit"),
    path("ads/<int:pk>/archive/", views.ad_archive, name="ad_archive"),
    path("connections/", include("campaigns.platforms.urls")),
    path("renders/<int:render_id>/publish/", publish_views.render_publish, name="render_publish"),
    path("publications/<int:pk>/", publish_views.publication_detail, name="publication"),
    path("publications/<int:pk>/retry/", publish_views.publication_retry, name="publication_retry"),
    path("ads/<int:pk>/platform-status/", publish_views.ad_platform_status, name="ad_platform_status"),
    path("<int:pk>/sync-insights/", insights_views.campaign_sync, name="campaign_sync_insights"),
    path("connections/<int:pk>/sync-insights/", insights_views.connection_sync, name="connection_sync_insights"),
]
