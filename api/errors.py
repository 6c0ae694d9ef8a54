"""JSON errors everywhere under /api/: a `detail` message, and a message per field for bad input."""

from django.http import Http404
from rest_framework import exceptions
from rest_framework.views import exception_handler


def api_exception_handler(exc, context):
    if isinstance(exc, Http404):
        exc = exceptions.NotFound("Not found, or not yours to see.")
    response = exception_handler(exc, context)
    if (
        response is not None
        and isinstance(exc, exceptions.ValidationError)
        and isinstance(response.data, dict)
    ):
        response.data = {"detail": "Some of what was sent is not right.", "errors": response.data}
    return response
