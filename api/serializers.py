"""What the API reads and writes. Every field carries help_text: it becomes the schema's description."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from training.models import Module
from workforce.models import Agency, JobRole, StaffMember


class AgencySerializer(serializers.ModelSerializer):
    class Meta:
        model = Agency
        fields = ["slug", "name", "sector", "active"]
        extra_kwargs = {
            "slug": {"help_text": "The agency's short name, used as ?agency=SLUG."},
            "name": {"help_text": "The agency's full name."},
            "sector": {"help_text": "The agency's sector, e.g. police."},
            "active": {"help_text": "False once the agency has left the partnership."},
        }


class JobRoleSerializer(serializers.ModelSerializer):
    class Meta:
        model = JobRole
        fields = ["id", "name", "tier"]
        extra_kwargs = {
            "id": {"help_text": "The job role's id."},
            "name": {"help_text": "The job role's catalogue name."},
            "tier": {"help_text": "1 Awareness, 2 Practitioner, 3 Specialist, 4 Strategic."},
        }


class ModuleSerializer(serializers.ModelSerializer):
    class Meta:
        model = Module
        fields = [
            "code",
            "title",
            "tier",
            "domain",
            "delivery_mode",
            "duration",
            "validity_months",
            "renewal_window_days",
            "active",
        ]
        extra_kwargs = {
            "code": {"help_text": "The module code, e.g. HSB-101."},
            "title": {"help_text": "The module's title."},
            "tier": {"help_text": "1 Awareness, 2 Practitioner, 3 Specialist, 4 Strategic."},
            "domain": {"help_text": "NSPCC framework domain."},
            "delivery_mode": {"help_text": "How the module is delivered."},
            "duration": {"help_text": "How long it takes, in words."},
            "validity_months": {"help_text": "Months a completion stays valid; null: never expires."},
            "renewal_window_days": {"help_text": "Days before expiry when renewal opens."},
            "active": {"help_text": "False when retired: required of nobody."},
        }


class RequirementStatusSerializer(serializers.Serializer):
    module = serializers.CharField(help_text="The module code.")
    status = serializers.CharField(
        help_text="compliant, renewal_due, expired, due, overdue or exempt (PRODUCT.md section 3)."
    )
    due_on = serializers.DateField(allow_null=True, help_text="Due date when never completed.")
    completed_on = serializers.DateField(allow_null=True, help_text="The best current completion's date.")
    expires_on = serializers.DateField(allow_null=True, help_text="Its expiry; null: never expires.")


class StaffSerializer(serializers.ModelSerializer):
    agency = serializers.SlugRelatedField(slug_field="slug", read_only=True, help_text="The agency's slug.")
    job_role = serializers.SlugRelatedField(slug_field="name", read_only=True, help_text="The job role.")
    requirements = serializers.SerializerMethodField(help_text="Each required module's status today.")

    class Meta:
        model = StaffMember
        fields = [
            "id",
            "agency",
            "staff_number",
            "first_name",
            "last_name",
            "email",
            "job_role",
            "start_date",
            "left_on",
            "requirements",
        ]
        extra_kwargs = {
            "id": {"help_text": "The person's id in the tracker: /api/v1/staff/{id}/."},
            "staff_number": {"help_text": "The agency's own staff number."},
            "first_name": {"help_text": "First name."},
            "last_name": {"help_text": "Last name."},
            "email": {"help_text": "Work email."},
            "start_date": {"help_text": "Start date, if known."},
            "left_on": {"help_text": "Leaving date, if any."},
        }

    @extend_schema_field(RequirementStatusSerializer(many=True))
    def get_requirements(self, person):
        pairs = self.context["pairs"].get(person.pk, [])
        return [
            {
                "module": pair.module.code,
                "status": pair.status.value,
                "due_on": pair.due_on if pair.completion is None else None,
                "completed_on": pair.completion.completed_on if pair.completion else None,
                "expires_on": pair.completion.expires_on if pair.completion else None,
            }
            for pair in pairs
        ]


class CompletionSerializer(serializers.Serializer):
    """A completion as the API reads it."""

    id = serializers.IntegerField(read_only=True, help_text="The completion's id.")
    agency = serializers.CharField(source="staff.agency.slug", read_only=True, help_text="Agency slug.")
    staff_number = serializers.CharField(
        source="staff.staff_number", read_only=True, help_text="Staff number."
    )
    email = serializers.CharField(source="staff.email", read_only=True, help_text="The person's email.")
    module = serializers.CharField(source="module.code", read_only=True, help_text="Module code.")
    completed_on = serializers.DateField(read_only=True, help_text="Date completed.")
    expires_on = serializers.DateField(read_only=True, allow_null=True, help_text="Expiry; null: never.")
    source = serializers.CharField(read_only=True, help_text="manual, register, import or self-declared.")
    verification = serializers.CharField(read_only=True, help_text="pending, verified or rejected.")
    certificate_reference = serializers.CharField(read_only=True, help_text="Certificate reference.")


class CompletionInputSerializer(serializers.Serializer):
    """A completion to record. The text is checked by the completion-file rules, not here, so the
    messages are those of a completion file."""

    email = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=254,
        help_text="The learner's work email; or give agency and staff_number.",
    )
    agency = serializers.CharField(
        required=False, allow_blank=True, max_length=200, help_text="Agency slug or name, with staff_number."
    )
    staff_number = serializers.CharField(
        required=False, allow_blank=True, max_length=50, help_text="Staff number, with agency."
    )
    module = serializers.CharField(max_length=200, help_text="Module code (HSB-101) or exact title.")
    completed_on = serializers.CharField(
        max_length=40, help_text="Completion date, YYYY-MM-DD (UK dates accepted). Not in the future."
    )
    certificate_reference = serializers.CharField(
        required=False, allow_blank=True, max_length=200, help_text="Optional certificate reference."
    )


class CompletionResultSerializer(CompletionSerializer):
    duplicate = serializers.BooleanField(read_only=True, help_text="True when it was already recorded (200).")


class PairCountsSerializer(serializers.Serializer):
    compliant = serializers.IntegerField(help_text="Pairs compliant.")
    renewal_due = serializers.IntegerField(help_text="Pairs valid but in their renewal window.")
    expired = serializers.IntegerField(help_text="Pairs expired.")
    due = serializers.IntegerField(help_text="Pairs never completed, not yet due.")
    overdue = serializers.IntegerField(help_text="Pairs never completed, past due.")
    exempt = serializers.IntegerField(help_text="Pairs exempt.")


class PeopleSerializer(serializers.Serializer):
    total = serializers.IntegerField(help_text="Current staff with requirements.")
    compliant = serializers.IntegerField(help_text="Of them, compliant in every pair.")


class ComplianceSerializer(serializers.Serializer):
    """Exactly what `compliance_report --json` prints."""

    on = serializers.DateField(help_text="The date reported on.")
    pairs = PairCountsSerializer(help_text="Pairs by status.")
    rate = serializers.FloatField(
        allow_null=True, help_text="Valid / (required - exempt), 0..1; null: nobody required."
    )
    people = PeopleSerializer(help_text="People.")
    by_agency = serializers.DictField(child=PairCountsSerializer(), help_text="Pairs by agency slug.")
    by_module = serializers.DictField(child=PairCountsSerializer(), help_text="Pairs by module code.")


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField(help_text="What went wrong, in a sentence.")
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="For bad input: each field's messages (non_field_errors for the whole request).",
    )
