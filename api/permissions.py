from rest_framework import exceptions
from rest_framework.permissions import BasePermission

from workforce import access


class IsLeadOrAgencyHR(BasePermission):
    """Tokens of leads and Agency HR only; a token whose user lost that role sees nothing (404)."""

    def has_permission(self, request, view):
        if not request.user or not request.user.is_authenticated:
            raise exceptions.NotAuthenticated("Send an API token: Authorization: Bearer <token>.")
        if not access.is_lead_or_hr(request.user):
            raise exceptions.NotFound("Not found, or not yours to see.")
        return True
