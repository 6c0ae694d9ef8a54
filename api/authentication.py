"""`Authorization: Bearer <token>` against hashed ApiToken rows (DRF's authentication classes)."""

from django.utils import timezone
from rest_framework import authentication, exceptions

from .models import ApiToken
from .services import api_token_touch, token_hash


class BearerTokenAuthentication(authentication.TokenAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        # Kept for the audit event of the token's first use of the day (its client address).
        self._request = request
        return super().authenticate(request)

    def authenticate_credentials(self, key):
        token = ApiToken.objects.select_related("user").filter(key_hash=token_hash(key)).first()
        if token is None:
            raise exceptions.AuthenticationFailed("This API token is not recognised.")
        if token.revoked_at is not None:
            raise exceptions.AuthenticationFailed(
                "This API token was revoked. Make a new one under Your account, API tokens."
            )
        if token.expires_on is not None and token.expires_on <= timezone.localdate():
            raise exceptions.AuthenticationFailed(
                f"This API token expired on {token.expires_on.isoformat()}. Make a new one under Your "
                "account, API tokens."
            )
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed("The account this API token belongs to is disabled.")
        api_token_touch(token=token, now=timezone.now(), request=getattr(self, "_request", None))
        return token.user, token
