from django.apps import AppConfig


class PeopleConfig(AppConfig):
    """The pages where leads and Agency HR find people and act on them: the home page, agencies'
    staff lists and the person page. They compose the selectors of every app below (workforce,
    training, notifications), so they live on the top floor."""

    name = "people"
    verbose_name = "People"
