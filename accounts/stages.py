"""allauth's login stages, with one change: a single sign-on skips the local second factor, since
the identity provider asks for its own (README: Single sign-on)."""

from allauth.mfa import stages


class AuthenticateStage(stages.AuthenticateStage):
    def handle(self):
        if (self.login.signal_kwargs or {}).get("sociallogin") is not None:
            return None, True
        return super().handle()
