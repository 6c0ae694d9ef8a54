from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    """Personal data as UK GDPR expects (PRODUCT.md section 13): retention of leavers, uploads and
    outbox bodies; anonymisation on request; subject access; the privacy notice. It reaches into
    the workforce, training, imports and notifications tables to remove what they hold about a
    person, so it stands on the top floor beside the people pages."""

    name = "privacy"
    verbose_name = "Personal data"
