from django.urls import include, path

from . import views, voice_brief_views

app_name = "videogen"

urlpatterns = [
    path("", views.studio, name="studio"),
    path("new/", views.job_new, name="new"),
    path("uploads/", views.asset_upload, name="asset_upload"),
    # voice briefs (issue 15): record in the wizard, Whisper on the GPU worker (videogen/voice_brief.py)
    path("voice-briefs/", voice_brief_views.voice_brief_upload, name="voice_brief_upload"),
    path("voice-briefs/<int:asset_id>/", voice_brief_views.voice_brief_status, name="voice_brief_status"),
    path("brand/", views.brand_kit, name="brand_kit"),
    path("voices/<int:voice_id>/sample.wav", views.voice_sample, name="voice_sample"),
    path("assets/<int:asset_id>/", views.asset_download, name="asset_download"),
    path("jobs/<int:job_id>/", views.job_detail, name="job"),
    path("jobs/<int:job_id>/render/", views.job_render, name="job_render"),
    path("jobs/<int:job_id>/cancel/", views.job_cancel, name="job_cancel"),
    path("jobs/<int:job_id>/compare/", views.job_compare, name="job_compare"),
    path("jobs/<int:job_id>/save-template/", views.job_save_template, name="job_save_template"),
    path("jobs/<int:job_id>/undo/", views.plan_undo, name="plan_undo"),
    path("jobs/<int:job_id>/scenes/add/", views.scene_add, name="scene_add"),
    path("jobs/<int:job_id>/scenes/<str:scene_key>/edit/", views.scene_edit, name="scene_edit"),
    path("jobs/<int:job_id>/scenes/<str:scene_key>/move/", views.scene_move, name="scene_move"),
    path("jobs/<int:job_id>/scenes/<str:scene_key>/image/", views.scene_image, name="scene_image"),
    path("jobs/<int:job_id>/scenes/<str:scene_key>/clip/", views.scene_clip, name="scene_clip"),
    path("jobs/<int:job_id>/scenes/<str:scene_key>/remove/", views.scene_remove, name="scene_remove"),
    path("jobs/<int:job_id>/scenes/<str:scene_key>/generate/", views.scene_generate, name="scene_generate"),
    path("jobs/<int:job_id>/scenes/<str:scene_key>/regenerate/", views.scene_regenerate, name="scene_regenerate"),
    path("jobs/<int:job_id>/keyframes/<str:ratio_slug>/<int:number>.png", views.keyframe, name="keyframe"),
    path("", include("videogen.review.urls")),  # approvals and review pages (videogen/review/)
    path("", include("videogen.variants.urls")),  # variant tests (videogen/variants/, issue 17)
]
