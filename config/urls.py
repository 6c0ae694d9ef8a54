from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.urls import include, path

from api.urls import account_urlpatterns as api_account_urls

from . import health

# The admin's modules are loaded with the URLs, not at start-up (SimpleAdminConfig in
# INSTALLED_APPS): a command or worker that never serves a page does not import every admin.py and
# django-import-export's formats (issue 18's start-up target, benchmarks/startup.py).
admin.autodiscover()

admin.site.site_header = "HSB training tracker administration"
admin.site.site_title = "HSB training tracker"
admin.site.index_title = "Partnership administration"
# The admin's own login page would skip the second factor: it sends people to the tracker's.
admin.site.login = secure_admin_login(admin.site.login)

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("accounts/", include(api_account_urls)),
    path("accounts/", include("accounts.urls")),  # sign-in, the second factor, single sign-on
    path("accounts/", include("django.contrib.auth.urls")),
    path("api/", include("api.urls")),
    path("strategy/", include("strategy.urls")),
    path("notifications/", include("notifications.urls.preferences")),
    path("notifications/notify/", include("notifications.urls.delivery")),
    path("reminders/", include("notifications.urls.outbox")),
    path("my/", include("workforce.urls")),
    path("", include("training.urls.records")),
    path("compliance/", include("training.urls.compliance")),
    path("imports/", include("imports.urls")),
    path("privacy/", include("privacy.urls")),
    path("", include("courses.urls")),
    path("reports/", include("reports.urls")),
    path("", include("people.urls")),
]

# MEDIA_ROOT is never served, in development either: it holds certificates and uploaded staff
# lists, which only their scoped download views may hand out (training.views.records).
