"""The action codes of the audit log, with the words the audit-log page shows for each.

An app that records a new kind of event adds its code here (the page's action filter lists them).
"""

SIGNIN = "signin"
SIGNIN_FAILED = "signin_failed"
SIGNOUT = "signout"
STAFF_SIGNIN = "staff_signin"
DOWNLOAD = "download"
API_TOKEN_CREATED = "api_token_created"  # noqa: S105 - an event name, not a secret
API_TOKEN_REVOKED = "api_token_revoked"  # noqa: S105
API_TOKEN_USED = "api_token_used"  # noqa: S105
ADMIN_ADDED = "admin_added"
ADMIN_CHANGED = "admin_changed"
ADMIN_DELETED = "admin_deleted"
SECOND_FACTOR_CHANGED = "second_factor_changed"
SECOND_FACTOR_RESET = "second_factor_reset"
SUBJECT_ACCESS = "subject_access"
ERASURE = "erasure"

LABELS = {
    SIGNIN: "Signed in",
    SIGNIN_FAILED: "Sign-in failed",
    SIGNOUT: "Signed out",
    STAFF_SIGNIN: "Staff member signed in by link",
    DOWNLOAD: "Downloaded a file",
    API_TOKEN_CREATED: "API token made",
    API_TOKEN_REVOKED: "API token revoked",
    API_TOKEN_USED: "API token used (first use of the day)",
    ADMIN_ADDED: "Added in the admin",
    ADMIN_CHANGED: "Changed in the admin",
    ADMIN_DELETED: "Deleted in the admin",
    SECOND_FACTOR_CHANGED: "Second factor changed",
    SECOND_FACTOR_RESET: "Second factor reset",
    SUBJECT_ACCESS: "Downloaded everything held about a person",
    ERASURE: "Erased a person's personal data",
}


def label(code):
    return LABELS.get(code, code.replace("_", " ").capitalize())


def choices():
    return sorted(LABELS.items(), key=lambda item: item[1])
