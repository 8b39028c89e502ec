from django.urls import path

from . import views, webhooks

app_name = "billing"

urlpatterns = [
    path("stripe/webhook/", webhooks.stripe_webhook, name="stripe_webhook"),
    # pages (B2)
    path("", views.overview, name="overview"),
    path("plans/", views.pricing, name="pricing"),
    path("checkout/", views.checkout, name="checkout"),
    path("checkout/success/", views.checkout_success, name="checkout_success"),
    path("checkout/cancel/", views.checkout_cancel, name="checkout_cancel"),
    path("portal/", views.portal, name="portal"),
]
