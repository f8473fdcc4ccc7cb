"""A person's time zone comes from their browser, and the profile changes it."""

import re

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from tests.browser.conftest import SCREENS
from tests.browser.flows import (
    assert_no_axe_violations,
    assert_no_horizontal_scroll,
    sign_in,
    sign_up,
)

LOS_ANGELES = "America/Los_Angeles"


@pytest.fixture(params=SCREENS)
def los_angeles_page(open_screen, request):
    """A browser whose clock is in Los Angeles, on a phone and on a laptop."""
    return open_screen(request.param, timezone_id=LOS_ANGELES)


@pytest.fixture
def no_js_los_angeles_page(open_screen):
    return open_screen("phone", timezone_id=LOS_ANGELES, java_script_enabled=False)


def time_zone_section(page):
    return page.get_by_role("region", name="Time zone")


def time_zone_of(username):
    return get_user_model().objects.get(username=username).time_zone


def test_sign_up_takes_the_browsers_time_zone(los_angeles_page, practice):
    page = los_angeles_page

    sign_up(page, "lina")
    page.goto("/accounts/profile/")

    section = time_zone_section(page)
    expect(section.locator(".current-time-zone")).to_have_text(LOS_ANGELES)
    expect(section.get_by_label("Time zone")).to_have_value(LOS_ANGELES)
    # Already this device's zone: nothing to offer.
    expect(section.locator(".use-device-time-zone")).to_have_count(0)
    assert time_zone_of("lina") == LOS_ANGELES
    if page.viewport_size["width"] == 360:
        assert_no_horizontal_scroll(page)


def test_sign_up_without_javascript_gets_the_sites_time_zone(
    no_js_los_angeles_page, practice
):
    page = no_js_los_angeles_page

    sign_up(page, "noscript")
    page.goto("/accounts/profile/")

    expect(time_zone_section(page).locator(".current-time-zone")).to_have_text(
        settings.TIME_ZONE
    )
    assert time_zone_of("noscript") == settings.TIME_ZONE


def test_the_profile_offers_this_devices_time_zone(los_angeles_page, user):
    page = los_angeles_page
    sign_in(page, user)

    page.goto("/accounts/profile/")
    section = time_zone_section(page)
    field = section.get_by_label("Time zone")
    expect(field).to_have_value(settings.TIME_ZONE)
    # Every zone the browser knows is suggested, this device's first.
    suggestions = page.locator("datalist#id_time_zone-names option")
    assert suggestions.count() > 300
    assert suggestions.first.get_attribute("value") == LOS_ANGELES
    if page.viewport_size["width"] == 360:
        assert_no_horizontal_scroll(page)
        assert_no_axe_violations(page)

    section.get_by_role(
        "button", name=f"Use this device's time zone: {LOS_ANGELES}"
    ).click()
    expect(field).to_have_value(LOS_ANGELES)
    section.get_by_role("button", name="Save time zone").click()

    expect(page).to_have_url(re.compile(r"/accounts/profile/$"))
    expect(page.get_by_text(f"Your time zone is now {LOS_ANGELES}")).to_be_visible()
    expect(section.locator(".current-time-zone")).to_have_text(LOS_ANGELES)
    assert time_zone_of(user.username) == LOS_ANGELES
