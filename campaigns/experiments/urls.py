"""Creative-test pages, mounted at ``/experiments/`` by ``kolony/urls.py``."""

from django.urls import path

from . import views

app_name = "experiments"

urlpatterns = [
    path("", views.experiment_list, name="list"),
    path("insights/", views.creative_insights, name="insights"),
    path("<int:pk>/", views.experiment_detail, name="detail"),
    path("<int:pk>/pause-losers/", views.pause_losers, name="pause_losers"),
    path("<int:pk>/move-budget/", views.move_budget, name="move_budget"),
]
