from tests.training.compliance_fixtures import on_day, scene  # noqa: F401 - the compliance scene
