"""Request middleware of the whole site."""

import time

from django.conf import settings

from workforce.database import primary_pinned

PRIMARY_COOKIE = "primary_until"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS", "TRACE"}


class PrimaryAfterWriteMiddleware:
    """With a read replica, someone who has just written something (any POST, PUT, PATCH or
    DELETE) reads the primary for REPLICA_STICKY_SECONDS afterwards: the page after "Save" shows
    what they saved even while the replica is a moment behind. Without a replica it does nothing."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not settings.DATABASE_REPLICA_ENABLED:
            return self.get_response(request)
        try:
            until = float(request.COOKIES.get(PRIMARY_COOKIE, "0"))
        except ValueError:
            until = 0.0
        wrote = request.method not in SAFE_METHODS
        if wrote or until > time.time():
            with primary_pinned():
                response = self.get_response(request)
        else:
            response = self.get_response(request)
        if wrote:
            seconds = settings.REPLICA_STICKY_SECONDS
            response.set_cookie(
                PRIMARY_COOKIE,
                f"{time.time() + seconds:.0f}",
                max_age=seconds,
                secure=request.is_secure(),
                httponly=True,
                samesite="Lax",
            )
        return response
