"""The read replica: heavy reads (dashboards, lists, exports, reports, the planner) go to the
replica alias when DATABASE_REPLICA_URL is set; writes, ordinary reads, reads inside a transaction
and reads of someone who has just written go to the primary. The test settings' replica alias
mirrors the primary (no database of its own)."""

import pytest
from django.db import connections, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from config.middleware import PRIMARY_COOKIE
from workforce.database import REPLICA_ALIAS, heavy_reads, primary_pinned, read_alias
from workforce.models import Agency, StaffMember


@pytest.fixture
def replica_on(settings):
    settings.DATABASE_REPLICA_ENABLED = True


def test_without_a_replica_everything_reads_the_primary(settings):
    settings.DATABASE_REPLICA_ENABLED = False
    with heavy_reads():
        assert read_alias() is None
        assert StaffMember.objects.all().db == "default"


def test_heavy_reads_go_to_the_replica_and_the_rest_to_the_primary(replica_on):
    assert StaffMember.objects.all().db == "default"
    with heavy_reads():
        assert StaffMember.objects.all().db == REPLICA_ALIAS
        assert Agency.objects.all().db == REPLICA_ALIAS
        with primary_pinned():
            assert StaffMember.objects.all().db == "default"
    assert StaffMember.objects.all().db == "default"


def test_writes_always_go_to_the_primary(replica_on):
    from django.db import router

    with heavy_reads():
        assert router.db_for_write(StaffMember) == "default"
    assert router.allow_migrate("default", "workforce") is True
    assert router.allow_migrate(REPLICA_ALIAS, "workforce") is False


@pytest.mark.django_db(transaction=True, databases=["default", REPLICA_ALIAS])
def test_a_heavy_read_inside_a_transaction_on_the_primary_stays_there(replica_on):
    with transaction.atomic():
        with heavy_reads():
            assert StaffMember.objects.all().db == "default"
    with heavy_reads():
        assert StaffMember.objects.all().db == REPLICA_ALIAS


@pytest.mark.django_db(transaction=True, databases=["default", REPLICA_ALIAS])
def test_the_dashboard_reads_the_replica_until_the_user_writes_something(replica_on, client, lead):
    client.force_login(lead)
    with CaptureQueriesContext(connections[REPLICA_ALIAS]) as on_replica:
        assert client.get(reverse("compliance:dashboard")).status_code == 200
    assert len(on_replica) > 0
    # Any write (here, signing out and in again by POST) pins this browser to the primary.
    response = client.post(reverse("logout"))
    assert PRIMARY_COOKIE in response.cookies
    client.force_login(lead)
    with CaptureQueriesContext(connections[REPLICA_ALIAS]) as on_replica:
        assert client.get(reverse("compliance:dashboard")).status_code == 200
    assert len(on_replica) == 0


def test_the_sticky_cookie_is_not_set_without_a_replica(client, db, settings):
    settings.DATABASE_REPLICA_ENABLED = False
    response = client.post(reverse("logout"))
    assert PRIMARY_COOKIE not in response.cookies
