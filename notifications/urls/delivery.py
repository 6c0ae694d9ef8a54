from django.urls import path

from ..views import delivery as views

app_name = "delivery"

urlpatterns = [
    path("delivery-status/", views.notify_delivery_status, name="notify-delivery-status"),
]
