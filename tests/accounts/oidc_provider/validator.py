import json
import os

from oauth2_provider.oauth2_validators import OAuth2Validator


class Validator(OAuth2Validator):
    """The claims of each test identity, in the ID token and the userinfo answer alike."""

    oidc_claim_scope = {**OAuth2Validator.oidc_claim_scope, "xms_edov": "email"}

    def get_additional_claims(self, request):
        identities = json.loads(os.environ["OIDC_TEST_IDENTITIES"])
        return identities.get(request.user.username, {})
