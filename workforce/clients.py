"""The real client address of a request, behind however many trusted proxies.

Behind a TLS proxy every request comes from the proxy's address (REMOTE_ADDR), so a limit keyed on
it is one limit for everyone. Each proxy appends the address it received the request from to
X-Forwarded-For, so the header reads client, proxy 1, ..., and REMOTE_ADDR is the last proxy.
Only the right-hand end of that chain was written by proxies we trust: anything further left may
have been sent by the client itself. With TRUSTED_PROXY_COUNT = n, the client is the address n
places from the right of (X-Forwarded-For entries + REMOTE_ADDR); a header from a peer when n is 0
is ignored, and a chain shorter than n (the request did not pass every proxy) gives its leftmost
address, which a trusted proxy wrote.

Every per-client limit (the sign-in link requests, the password lock-out through django-axes'
AXES_CLIENT_IP_CALLABLE) reads the address from here, so they all agree.
"""

import ipaddress

from django.conf import settings


def _valid(address) -> str:
    address = (address or "").strip()
    if address.startswith("[") and "]" in address:  # "[2001:db8::1]:443"
        address = address[1 : address.index("]")]
    elif address.count(":") == 1:  # "192.0.2.1:443"
        address = address.split(":", 1)[0]
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return ""


def client_ip(request) -> str:
    """The address of the client that sent `request`, as far as the trusted proxies vouch for it."""
    remote = _valid(request.META.get("REMOTE_ADDR", ""))
    trusted = settings.TRUSTED_PROXY_COUNT
    if trusted <= 0:
        return remote
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    chain = [part for part in forwarded.split(",") if part.strip()] + [remote]
    # The entry n places from the right; a shorter chain gives its leftmost (proxy-written) entry.
    chosen = chain[-(trusted + 1)] if len(chain) > trusted else chain[0]
    return _valid(chosen) or remote
