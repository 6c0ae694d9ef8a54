"""The one way forms are rendered (config/forms.py): GOV.UK markup, hints and errors wired up for
screen readers, and an error summary linking to each field."""

import pytest
from django import forms
from django.template.loader import render_to_string
from django.test import RequestFactory


class ExampleForm(forms.Form):
    name = forms.CharField(label="Full name", help_text="As on your payslip")
    nickname = forms.CharField(label="Known as", required=False)
    tier = forms.ChoiceField(
        label="Tier", choices=[("1", "Awareness"), ("2", "Practitioner")], widget=forms.RadioSelect
    )
    agree = forms.BooleanField(label="I confirm", help_text="Tick to confirm")
    notes = forms.CharField(widget=forms.Textarea, required=False)
    code = forms.CharField(widget=forms.TextInput(attrs={"class": "govuk-input--width-10"}))

    def clean(self):
        raise forms.ValidationError("Something about the whole form.")


def test_fields_render_as_govuk_form_groups():
    html = ExampleForm().as_div()
    assert '<label class="govuk-label govuk-label--s" for="id_name">' in html
    assert 'class="govuk-input"' in html
    assert '<div class="govuk-hint" id="id_name_helptext">As on your payslip</div>' in html
    assert 'aria-describedby="id_name_helptext"' in html
    assert "Known as (optional)" in html
    assert "Full name (optional)" not in html
    assert '<legend class="govuk-fieldset__legend govuk-fieldset__legend--s">Tier</legend>' in html
    assert 'class="govuk-radios__input"' in html
    assert 'class="govuk-checkboxes__input"' in html
    assert 'class="govuk-textarea"' in html
    assert 'class="govuk-input--width-10 govuk-input"' in html


def test_errors_mark_the_field_and_are_described():
    form = ExampleForm(data={"tier": "9"})
    html = str(form["name"].as_field_group())
    assert "govuk-form-group--error" in html
    assert 'class="govuk-input govuk-input--error"' in html
    assert '<p class="govuk-error-message" id="id_name_error">' in html
    assert 'aria-describedby="id_name_helptext id_name_error"' in html
    assert 'aria-invalid="true"' in html


@pytest.mark.django_db
def test_error_summary_links_every_error_to_its_field():
    form = ExampleForm(data={"tier": "9"})
    form.is_valid()
    html = render_to_string("includes/form_errors.html", {"form": form})
    assert "There is a problem" in html
    assert '<a href="#id_name">Enter full name.</a>' in html
    assert '<a href="#id_code">Enter code.</a>' in html
    assert '<a href="#id_tier_0">Select a valid choice. 9 is not one of the available choices.</a>' in html
    assert '<a href="#id_agree">Tick “I confirm” to continue.</a>' in html
    # The form-wide error links to the first field.
    assert '<a href="#id_name">Something about the whole form.</a>' in html


@pytest.mark.django_db
def test_base_template_shows_the_summary_and_error_title_for_the_page_form(rf: RequestFactory):
    from django.contrib.auth.models import AnonymousUser

    request = rf.get("/")
    request.user = AnonymousUser()
    form = ExampleForm(data={})
    form.is_valid()
    html = render_to_string("registration/password_reset_form.html", {"form": form}, request=request)
    assert "<title>Error: Reset your password – HSB training tracker</title>" in html
    assert "govuk-error-summary" in html
    assert 'lang="en-GB"' in html
    assert 'href="#main-content"' in html


def test_a_search_box_is_not_marked_optional():
    class SearchForm(forms.Form):
        q = forms.CharField(
            label="Search staff", required=False, widget=forms.TextInput(attrs={"type": "search"})
        )

    html = SearchForm().as_div()
    assert "Search staff (optional)" not in html
    assert 'type="search"' in html
