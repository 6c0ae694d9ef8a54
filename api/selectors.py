from .models import ApiToken


def tokens_of(user):
    """A user's own tokens, newest first (nobody manages another's tokens here)."""
    return ApiToken.objects.filter(user=user).order_by("-created_at", "-id")
