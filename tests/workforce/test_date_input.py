"""GOV.UK's date input for every date a person types: day, month and year boxes in a fieldset,
GOV.UK's messages for a part left out or a date that does not exist, the error summary linking to
the day box, and a single typed date (an old link, 4/3/2026) still read."""

import datetime

import pytest
from django import forms

from workforce.forms import GovukDateField, date_field


class CompletionForm(forms.Form):
    completed_on = date_field("Date of completion")
    until = date_field("Until", required=False)


def bound(**data):
    form = CompletionForm(data)
    form.is_valid()
    return form


@pytest.mark.parametrize(
    ("parts", "expected"),
    [
        (("4", "3", "2026"), datetime.date(2026, 3, 4)),
        ((" 04 ", "03", "2026"), datetime.date(2026, 3, 4)),
        (("29", "2", "2024"), datetime.date(2024, 2, 29)),
    ],
)
def test_three_boxes_make_a_date(parts, expected):
    day, month, year = parts
    form = bound(completed_on_day=day, completed_on_month=month, completed_on_year=year)
    assert form.cleaned_data["completed_on"] == expected


@pytest.mark.parametrize(
    ("parts", "message"),
    [
        (("4", "", "2026"), "Date of completion must include a month."),
        (("", "", "2026"), "Date of completion must include a day and month."),
        (("4", "3", ""), "Date of completion must include a year."),
        (("31", "2", "2026"), "Date of completion must be a real date."),
        (("4", "13", "2026"), "Date of completion must be a real date."),
        (("4", "3", "26"), "Date of completion must be a real date."),
        (("four", "3", "2026"), "Date of completion must be a real date."),
        (("", "", ""), "Enter the date of completion."),
    ],
)
def test_gov_uk_messages_for_a_date_that_is_not_whole_or_real(parts, message):
    day, month, year = parts
    form = bound(completed_on_day=day, completed_on_month=month, completed_on_year=year)
    assert form.errors["completed_on"] == [message]


def test_an_optional_date_left_empty_is_none():
    form = bound(completed_on="2026-03-04", until_day="", until_month="", until_year="")
    assert form.is_valid()
    assert form.cleaned_data["until"] is None


@pytest.mark.parametrize("typed", ["4/3/2026", "2026-03-04", "04/03/2026"])
def test_a_single_typed_date_is_still_read(typed):
    assert bound(completed_on=typed).cleaned_data["completed_on"] == datetime.date(2026, 3, 4)


def test_it_renders_as_gov_uks_date_input_in_a_fieldset():
    html = CompletionForm()["completed_on"].as_field_group()
    assert '<fieldset class="govuk-fieldset"' in html
    assert (
        '<legend class="govuk-fieldset__legend govuk-fieldset__legend--s">Date of completion</legend>' in html
    )
    for part, width in (("day", 2), ("month", 2), ("year", 4)):
        assert f'name="completed_on_{part}"' in html
        assert f"govuk-input--width-{width}" in html
    assert 'id="id_completed_on" name="completed_on_day"' in html, "the day box carries the field's id"
    assert 'inputmode="numeric"' in html


def test_what_was_typed_is_kept_and_marked_after_an_error():
    form = bound(completed_on_day="31", completed_on_month="2", completed_on_year="2026")
    html = form["completed_on"].as_field_group()
    assert 'value="31"' in html and 'value="2"' in html and 'value="2026"' in html
    assert html.count("govuk-input--error") == 3
    assert "govuk-form-group--error" in html


def test_the_error_summary_links_to_the_day_box():
    form = bound(completed_on_day="4", completed_on_month="", completed_on_year="2026")
    assert form["completed_on"].govuk_error_target == "id_completed_on"


def test_a_date_shown_again_fills_the_boxes():
    html = CompletionForm(initial={"completed_on": datetime.date(2026, 3, 4)})[
        "completed_on"
    ].as_field_group()
    assert 'value="4"' in html and 'value="3"' in html and 'value="2026"' in html
    assert isinstance(CompletionForm.base_fields["completed_on"], GovukDateField)
