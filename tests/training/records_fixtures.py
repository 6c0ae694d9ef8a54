"""Fixtures and helpers shared by the tests of staff sign-in, certificates, verification, registers
and exemptions. Test modules import what they use by name (pytest finds imported fixtures):

    from tests.training.records_fixtures import eager_tasks, media  # noqa: F401
"""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from config.celery_app import app as celery_app
from tests import factories
from workforce import signin

# Tiny files that start as the real thing does: the type is judged from these first bytes.
PDF_BYTES = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
PNG_BYTES = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 40
JPEG_BYTES = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 40
EXE_BYTES = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 40


def upload(name="certificate.pdf", content=PDF_BYTES, content_type="application/pdf"):
    return SimpleUploadedFile(name, content, content_type=content_type)


@pytest.fixture
def eager_tasks():
    """Run Celery tasks in the test process (emails land in mail.outbox) instead of the broker."""
    previous = celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates
    celery_app.conf.task_always_eager = True
    celery_app.conf.task_eager_propagates = True
    yield
    celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates = previous


@pytest.fixture
def media(settings, tmp_path):
    root = tmp_path / "media"
    root.mkdir()
    settings.MEDIA_ROOT = str(root)
    return root


def stored_files(root):
    return sorted(path for path in root.rglob("*") if path.is_file())


@pytest.fixture
def module(db):
    return factories.ModuleFactory(code="HSB-101", title="Understanding harmful sexual behaviour")


@pytest.fixture
def required(staff_a, staff_b, module):
    """HSB-101 is required of staff_a's and staff_b's roles since 2020 (so both are overdue)."""
    for person in (staff_a, staff_b):
        factories.RequirementFactory(
            job_role=person.job_role, module=module, starts_on=datetime.date(2020, 1, 1)
        )
    return module


def sign_in(client, *staff, email=None):
    """Open a genuine sign-in link for these records, as the emailed link would."""
    email = email or staff[0].email
    token = signin.signin_token(staff_ids=[person.pk for person in staff], email=email)
    response = client.post(reverse("staff_signin_open", kwargs={"token": token}))
    assert response.status_code == 302, response
    return response


def login(client, user):
    client.force_login(user)
    return client
