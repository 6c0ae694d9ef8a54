from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from . import health

admin.site.site_header = "HSB training tracker administration"
admin.site.site_title = "HSB training tracker"
admin.site.index_title = "Partnership administration"

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("accounts/", include("django.contrib.auth.urls")),
    path("", include("workforce.urls")),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
