"""Built for thumbs (issue 18): on a 360 px phone the header is one row with a
menu button, its links reachable with or without JavaScript, and every link,
button, radio button, checkbox, field, select and summary of every page,
online and offline, offers a touch target of at least 44×44 px."""

import re
from io import BytesIO

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from PIL import Image
from playwright.sync_api import expect

from accounts import services
from tests.browser.flows import (
    NO_LEAD_IN,
    expect_finish,
    press,
    sign_in,
    start_with_pain,
    stub_player_apis,
    tick_and_start,
    wait_until,
    walk_to_step,
    with_a_session_today,
)
from tests.browser.test_offline_guide import (
    OFFLINE,
    READY,
    SAVED,
    wait_for_screening,
)
from tests.factories import UserFactory
from tests.helpers import url_patterns

TARGET = 44
HEADER_ROW = 72  # one row: a 44 px button and its padding
VISITOR_LINKS = ["Routines", "About", "Log in", "Sign up"]
PERSON_LINKS = ["Routines", "About", "Progress", "Profile"]

# The interactive elements of a page and the box a finger can hit: a radio
# button or a checkbox counts with its label, the way a tap on either checks
# it; a field (text, number, …) is the box a finger taps to type in it. A link is exempt only as WCAG 2.5.8's inline exception has it: an inline
# link in a sentence, with other words around it, in a paragraph or list item.
# Elements nobody can see (display: none, a closed menu, Bootstrap's
# visually-hidden) are left out; a skip link is measured while focused, the
# only time it shows.
MEASURE = """() => {
  const selector = 'a[href], button, input:not([type=hidden]), select, textarea, summary';
  const words = /[A-Za-z]{2,}/;
  const describe = (el) => {
    let name = el.tagName.toLowerCase();
    if (el.id) name += '#' + el.id;
    if (el.classList.length) name += '.' + [...el.classList].join('.');
    if (el.getAttribute('href')) name += `[href="${el.getAttribute('href')}"]`;
    if (el.name) name += `[name="${el.name}"]`;
    if (el.value && el.matches('input')) name += `[value="${el.value}"]`;
    const text = (el.innerText || el.labels?.[0]?.innerText || '').trim().replace(/\\s+/g, ' ');
    return text ? `${name} "${text.slice(0, 40)}"` : name;
  };
  const inSentence = (el) => {
    if (el.tagName !== 'A' || getComputedStyle(el).display !== 'inline') return false;
    const block = el.closest('p, li, dd');
    if (!block) return false;
    const copy = block.cloneNode(true);
    copy.querySelectorAll('a, button, input, select, label').forEach((n) => n.remove());
    return words.test(copy.textContent);
  };
  const union = (a, b) => {
    const left = Math.min(a.left, b.left), top = Math.min(a.top, b.top);
    const right = Math.max(a.right, b.right), bottom = Math.max(a.bottom, b.bottom);
    return {width: right - left, height: bottom - top};
  };
  const found = [];
  for (const el of document.querySelectorAll(selector)) {
    const focusable = el.closest('.visually-hidden-focusable');
    if (focusable) el.focus();
    let box = el.getBoundingClientRect();
    const hidden = !el.checkVisibility({visibilityProperty: true})
      || (!focusable && box.width <= 1 && box.height <= 1);
    if (!hidden && el.matches('[type=radio], [type=checkbox]') && el.labels?.length) {
      for (const label of el.labels) box = union(box, label.getBoundingClientRect());
    }
    if (focusable) el.blur();
    if (hidden || inSentence(el)) continue;
    found.push({what: describe(el), width: Math.round(box.width * 10) / 10,
                height: Math.round(box.height * 10) / 10});
  }
  return found;
}"""


def small_targets(page, where):
    """Every target under 44×44 px on the page, as "where: selector W×H"."""
    targets = page.evaluate(MEASURE)
    assert targets, f"{where}: nothing to tap?"
    return [
        f"{where}: {t['what']} is {t['width']}×{t['height']} px"
        for t in targets
        if t["width"] < TARGET - 0.5 or t["height"] < TARGET - 0.5
    ]


def header_of(page):
    return page.locator("header.site-header")


def menu_button(page):
    return header_of(page).get_by_role("button", name="Menu")


def expect_one_row(page):
    box = header_of(page).bounding_box()
    assert box["height"] <= HEADER_ROW, f"header is {box['height']} px tall"
    expect(menu_button(page)).to_be_visible()
    button = menu_button(page).bounding_box()
    assert button["width"] >= TARGET and button["height"] >= TARGET, button


def step_targets(page, number, where):
    """The small targets of a guided run's step ``number`` of 4, once its
    player shows."""
    expect(page.locator("#step-counter")).to_have_text(f"Step {number} of 4")
    expect(page.locator("[data-player]")).to_be_visible()
    return small_targets(page, where)


def menu_targets(page, where):
    """The small targets of the page with its menu opened."""
    menu_button(page).click()
    return small_targets(page, where)


@pytest.fixture
def person(user, practice):
    """A person with one guided session recorded today."""
    return with_a_session_today(user, practice)


# ----- the breadcrumbs -----------------------------------------------------

# Each separator's box (from its item's left edge to the item's words) and the
# box of the item's words: a Range measures text only, never the "/" that
# Bootstrap draws before it.
CRUMBS = """(ol) => [...ol.querySelectorAll('.breadcrumb-item + .breadcrumb-item')].map((li) => {
  const range = document.createRange();
  range.selectNodeContents(li);
  const words = range.getBoundingClientRect();
  const item = li.getBoundingClientRect();
  return {
    separator: {x: item.left, y: item.top, width: words.left - item.left, height: item.height},
    words: {x: words.left, y: words.top, width: words.width, height: words.height},
  };
})"""


def ink_middle(page, box):
    """The middle, in CSS px from the top of the page, of what is drawn in
    ``box``: the rows whose pixels differ from the box's corner (the
    page's background)."""
    clip = {key: round(value) for key, value in box.items()}
    shot = Image.open(BytesIO(page.screenshot(clip=clip, scale="css"))).convert("L")
    background = shot.getpixel((0, 0))
    rows = [
        y
        for y in range(shot.height)
        if any(abs(shot.getpixel((x, y)) - background) > 60 for x in range(shot.width))
    ]
    assert rows, ("nothing drawn", box)
    return clip["y"] + (rows[0] + rows[-1]) / 2


def test_three_level_breadcrumbs_keep_every_separator_level_with_the_words(
    screen, catalogue
):
    page = screen
    page.goto("/routines/beginner/guide/")
    trail = page.get_by_role("navigation", name="Breadcrumb").locator("ol")
    expect(trail.locator("li")).to_have_count(3)
    crumbs = trail.evaluate(CRUMBS)
    assert len(crumbs) == 2
    for crumb in crumbs:
        separator = ink_middle(page, crumb["separator"])
        words = crumb["words"]["y"] + crumb["words"]["height"] / 2
        assert abs(separator - words) <= 3, (crumb, separator, words)


# ----- the header ----------------------------------------------------------


def test_a_visitors_header_is_one_row_and_its_menu_opens_on_a_tap(phone_page, practice):
    page = phone_page
    page.goto("/")
    expect_one_row(page)
    header = header_of(page)
    button = menu_button(page)
    expect(button).to_have_attribute("aria-expanded", "false")
    expect(button).to_have_attribute("aria-controls", "site-menu")
    for name in VISITOR_LINKS:
        expect(header.get_by_role("link", name=name)).to_be_hidden()

    button.click()
    expect(button).to_have_attribute("aria-expanded", "true")
    for name in VISITOR_LINKS:
        expect(header.get_by_role("link", name=name)).to_be_visible()
    header.get_by_role("link", name="About").click()
    expect(page).to_have_url(re.compile(r"/about/$"))
    # A new page starts with the menu closed.
    expect_one_row(page)
    expect(header.get_by_role("link", name="About")).to_be_hidden()

    menu_button(page).click()
    menu_button(page).click()
    expect(menu_button(page)).to_have_attribute("aria-expanded", "false")
    expect(header.get_by_role("link", name="About")).to_be_hidden()


def test_a_signed_in_header_is_one_row_and_logs_out_from_the_menu(phone_page, person):
    page = phone_page
    sign_in(page, person)
    expect_one_row(page)
    header = header_of(page)
    for name in PERSON_LINKS:
        expect(header.get_by_role("link", name=name)).to_be_hidden()
    expect(header.get_by_role("button", name="Log out")).to_be_hidden()

    menu_button(page).click()
    for name in PERSON_LINKS:
        expect(header.get_by_role("link", name=name)).to_be_visible()
    header.get_by_role("link", name="Progress").click()
    expect(page).to_have_url(re.compile(r"/progress/$"))
    menu_button(page).click()
    header.get_by_role("button", name="Log out").click()
    menu_button(page).click()
    expect(header.get_by_role("link", name="Log in")).to_be_visible()


def test_the_menus_profile_link_says_profile_with_the_username_beside(
    phone_page, person
):
    page = phone_page
    sign_in(page, person)
    menu_button(page).click()
    link = header_of(page).get_by_role("link", name="Profile")
    expect(link).to_be_visible()
    expect(link).to_have_attribute("href", "/accounts/profile/")
    # It says what it opens; whose profile comes second, for a screen reader too.
    shown = link.evaluate(
        "a => { const c = a.cloneNode(true);"
        " c.querySelectorAll('.visually-hidden').forEach((e) => e.remove());"
        " return c.textContent; }"
    )
    assert shown.split() == ["Profile", person.username]
    expect(link).to_have_accessible_name(
        re.compile(rf"^Profile\W+signed in as {person.username}$", re.IGNORECASE)
    )
    box = link.bounding_box()
    assert box["height"] >= TARGET, box


def test_the_menu_closes_with_escape_and_gives_focus_back(phone_page, practice):
    page = phone_page
    page.goto("/")
    menu_button(page).focus()
    page.keyboard.press("Enter")
    expect(menu_button(page)).to_have_attribute("aria-expanded", "true")
    page.keyboard.press("Tab")
    expect(header_of(page).get_by_role("link", name="Routines")).to_be_focused()
    page.keyboard.press("Escape")
    expect(menu_button(page)).to_have_attribute("aria-expanded", "false")
    expect(menu_button(page)).to_be_focused()


@pytest.mark.parametrize("signed_in", [False, True], ids=["visitor", "person"])
def test_without_javascript_every_header_link_is_reachable_on_a_phone(
    open_screen, person, signed_in
):
    page = open_screen("phone", java_script_enabled=False)
    if signed_in:
        sign_in(page, person)
    else:
        page.goto("/")
    header = header_of(page)
    links = PERSON_LINKS if signed_in else VISITOR_LINKS
    box = header.bounding_box()
    assert box["height"] <= HEADER_ROW, f"header is {box['height']} px tall"
    header.get_by_role("link", name="Menu").click()
    for name in links:
        expect(header.get_by_role("link", name=name)).to_be_visible()
    if signed_in:
        expect(header.get_by_role("button", name="Log out")).to_be_visible()
    header.get_by_role("link", name="About").click()
    expect(page).to_have_url(re.compile(r"/about/$"))


def test_a_laptop_shows_the_header_links_in_one_row(page, person):
    sign_in(page, person)
    header = header_of(page)
    expect(header.get_by_role("button", name="Menu")).to_be_hidden()
    expect(header.get_by_role("link", name="Menu")).to_be_hidden()
    for name in PERSON_LINKS:
        expect(header.get_by_role("link", name=name)).to_be_visible()
    expect(header.get_by_role("button", name="Log out")).to_be_visible()
    assert header.bounding_box()["height"] <= HEADER_ROW


def test_the_no_javascript_laptop_shows_the_header_links(no_js_page, practice):
    page = no_js_page
    page.goto("/")
    for name in VISITOR_LINKS:
        expect(header_of(page).get_by_role("link", name=name)).to_be_visible()


# ----- every page ----------------------------------------------------------

# Routes that are no page: feeds, files, POST-only forms and the media server.
NOT_PAGES = {
    "livez",
    "healthz",
    "manifest",
    "javascript-catalog",
    # The header's language switch: a POST, its buttons measured on every page.
    "set_language",
    "service_worker",
    "favicon",
    "logout",
    "accounts:export",
    "accounts:export_json",
    "accounts:guided_save",
    "accounts:doctor_clearance",
    "accounts:delete",
    # The Today card's answer to a suggested level: a POST.
    "accounts:level",
    "None",
    # JSON for the service worker: a routine's plan, and the offline save.
    "exercises:routine_plan",
    "accounts:offline_save",
}
VISITOR_PAGES = [
    ("exercises:home", {}),
    ("exercises:about", {}),
    ("exercises:routine", {"slug": "practice"}),
    ("exercises:exercise", {"slug": "leg-stretch"}),
    ("accounts:privacy", {}),
    ("accounts:signup", {}),
    ("login", {}),
    ("password_reset", {}),
    ("password_reset_done", {}),
    ("password_reset_complete", {}),
    ("offline", {}),
]
PERSON_PAGES = [
    ("exercises:home", {}),
    ("exercises:routine", {"slug": "practice"}),
    ("accounts:dashboard", {}),
    ("accounts:history", {}),
    ("accounts:log", {}),
    ("accounts:profile", {}),
    ("accounts:plan", {}),
    ("accounts:screening", {}),
    ("password_change", {}),
    ("password_change_done", {}),
]
# Walked in the browser rather than opened by URL.
WALKED = {
    "exercises:guide_start",
    "exercises:guide_step",
    "exercises:guide_finish",
    "accounts:session",
    "accounts:session_delete",
    "password_reset_confirm",
    # Offline, as the worker serves them (the guide drawn in the browser).
    "exercises:guide_offline",
    "exercises:guide_offline_step",
    "exercises:guide_offline_finish",
}


def test_the_walk_covers_every_page_of_the_url_conf():
    names = {name for _, name, _ in url_patterns()}
    covered = {name for name, _ in VISITOR_PAGES + PERSON_PAGES} | WALKED
    assert names - NOT_PAGES - covered == set()


def test_every_target_on_every_page_is_44_px_for_a_visitor(phone_page, person):
    page = phone_page
    page.goto("/routines/practice/guide/")
    problems = small_targets(page, "guide_start")
    walk_to_step(page, "practice", 1)
    problems += small_targets(page, "guide_step 1")
    for name, kwargs in VISITOR_PAGES:
        page.goto(reverse(name, kwargs=kwargs))
        problems += small_targets(page, name)
    page.goto("/no-such-page/")
    problems += small_targets(page, "404")

    uid = urlsafe_base64_encode(force_bytes(person.pk))
    token = default_token_generator.make_token(person)
    page.goto(reverse("password_reset_confirm", args=[uid, token]))
    expect(page.get_by_role("button", name="Set password")).to_be_visible()
    problems += small_targets(page, "password_reset_confirm")

    # The menu open: its links and buttons count too.
    page.goto("/")
    problems += menu_targets(page, "home, menu open")
    assert not problems, "\n".join(problems)


def test_every_target_on_every_page_is_44_px_for_a_person(phone_page, person):
    page = phone_page
    sign_in(page, person)
    problems = []
    for name, kwargs in PERSON_PAGES:
        page.goto(reverse(name, kwargs=kwargs))
        problems += small_targets(page, name)
    session = person.completed_session.pk
    page.goto(reverse("accounts:session", args=[session]))
    problems += small_targets(page, "session")
    page.goto(reverse("accounts:session_delete", args=[session]))
    problems += small_targets(page, "session_delete")

    walk_to_step(page, "practice", 3)
    problems += small_targets(page, "guide_step 3 (each side)")
    page.get_by_role("button", name="Done, next step →").click()
    problems += step_targets(page, 4, "guide_step 4 (timed)")
    page.get_by_role("button", name="Done, finish →").click()
    expect_finish(page, "practice")
    problems += small_targets(page, "guide_finish")
    page.goto("/")
    problems += menu_targets(page, "home, menu open")
    assert not problems, "\n".join(problems)


def test_the_measure_sees_a_small_link_and_spares_one_in_a_sentence(
    phone_page, practice
):
    page = phone_page
    page.goto("/about/")
    page.evaluate(
        """() => {
          const main = document.querySelector('main');
          main.insertAdjacentHTML('beforeend',
            '<p>Read <a href="/x/">this page</a> first.</p>'
            + '<div><a id="tiny" href="/y/">Tiny</a></div>'
            + '<label><input type="checkbox" id="bare"></label>'
            + '<p><label>Name <input type="text" id="field"></label></p>');
        }"""
    )
    problems = small_targets(page, "about")
    assert any('a#tiny[href="/y/"] "Tiny"' in p for p in problems), problems
    assert any("input#bare" in p for p in problems), problems
    assert any("input#field" in p for p in problems), problems
    assert not any("/x/" in p for p in problems), problems


# ----- the offline guide ---------------------------------------------------

# The routine's plan as the worker kept it for the offline guide.
KEPT_PLAN = """(slug) => new Promise((resolve) => {
  const channel = new MessageChannel();
  channel.port1.onmessage = (event) => resolve(Boolean(event.data));
  navigator.serviceWorker.controller.postMessage(
    {type: "plan", slug}, [channel.port2]);
})"""


def offline_phone(page, person):
    """Signed in, the routine opened once under the worker, then offline:
    the routine's page, reloaded, leads to the offline guide's safety check."""
    stub_player_apis(page)
    page.add_init_script(NO_LEAD_IN)
    page.on("dialog", lambda dialog: dialog.accept())
    if person is not None:
        sign_in(page, person)
    page.goto("/routines/practice/")
    assert page.evaluate(READY), "no service worker"
    page.reload()
    wait_until(page, f"navigator.serviceWorker.controller && ({KEPT_PLAN})('practice')")
    if person is not None:
        # What the offline guide skips for safety is the kept screening's.
        wait_for_screening(page)
    page.context.set_offline(True)
    if person is not None:
        # Reloaded offline, a person's routine page is drawn from the plan.
        page.reload()
    page.get_by_role("link", name="Start guided session").click()
    expect(page).to_have_url(re.compile(rf"{OFFLINE}$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Before you start: safety check"
    )


def test_every_target_of_the_offline_guide_is_44_px(phone_page, person):
    page = phone_page
    offline_phone(page, person)
    problems = small_targets(page, "offline safety check")
    page.get_by_role("button", name="Start guided session").click()
    expect(page.get_by_role("alert")).to_contain_text("read the warnings")
    problems += small_targets(page, "offline safety check, unticked")
    start_with_pain(page, "5")

    problems += step_targets(page, 1, "offline step 1 (counted, player)")
    player = page.locator("[data-player]")
    press(player, "Start")
    problems += small_targets(page, "offline step 1, player running")
    page.clock.run_for(60_000)
    expect(player.get_by_role("status")).to_contain_text("Exercise done")
    problems += small_targets(page, "offline step 1, player done")
    page.get_by_role("button", name="Done, next step →").click()
    problems += step_targets(page, 2, "offline step 2 (held)")
    page.locator("[data-player]").get_by_text("Settings").click()
    expect(page.get_by_label("Time to get into position")).to_be_visible()
    problems += small_targets(page, "offline step 2, the player's settings open")
    page.get_by_role("button", name="Done, next step →").click()

    expect(page.locator("#step-counter")).to_have_text("Step 3 of 4")
    expect(page.get_by_role("button", name="Skip this exercise")).to_be_visible()
    expect(page.locator("[data-player]")).to_be_visible()
    problems += small_targets(page, "offline step 3 (each side, skip)")
    page.get_by_role("button", name="Skip this exercise").click()
    problems += step_targets(page, 4, "offline step 4 (timed)")
    page.get_by_role("button", name="Done, finish →").click()

    expect(page).to_have_url(re.compile(rf"{OFFLINE}finish/$"))
    problems += small_targets(page, "offline finish")
    page.get_by_role("group", name="Pain after (0–10)").get_by_label(
        "3", exact=True
    ).check()
    page.get_by_role("button", name="Save session").click()
    expect(page.get_by_text(SAVED)).to_be_visible()
    problems += small_targets(page, "offline finish, saved")
    problems += menu_targets(page, "offline finish, menu open")
    assert not problems, "\n".join(problems)


def test_every_target_of_a_visitors_offline_guide_is_44_px(phone_page, practice):
    page = phone_page
    offline_phone(page, None)
    problems = small_targets(page, "offline safety check (visitor)")
    tick_and_start(page)
    problems += step_targets(page, 1, "offline step 1 (visitor)")
    page.get_by_role("button", name="Skip", exact=True).click()
    problems += step_targets(page, 2, "offline step 2 (visitor, skip)")
    assert not problems, "\n".join(problems)


def test_every_target_of_a_step_skipped_for_safety_offline_is_44_px(
    phone_page, practice, avoid_warning
):
    page = phone_page
    person = UserFactory(username="casey")
    services.screening_update(user=person, conditions=[avoid_warning])
    offline_phone(page, person)
    tick_and_start(page)
    expect(page.locator("#step-counter")).to_have_text("Step 1 of 4")
    page.goto(f"{OFFLINE}3/")
    panel = page.locator(".skipped-for-safety-panel")
    expect(panel.get_by_role("heading")).to_have_text("Skipped for safety")
    problems = small_targets(page, "offline step 3, skipped for safety")
    panel.get_by_role("button", name="My clinician has cleared me").click()
    expect(page.locator(".overridden")).to_contain_text("clinician has cleared you")
    problems += small_targets(page, "offline step 3, cleared by a clinician")
    assert not problems, "\n".join(problems)
