"""The site in Simplified Chinese (issue 29), on a phone and a laptop: every
kind of page names its language, shows Chinese, fits, and passes axe; the
beginner routine guided from the safety check to the finish with the player
speaking Chinese; the offline guide in Chinese; and the header's language
switch, with JavaScript and without."""

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone, translation
from playwright.sync_api import expect

from exercises.models import Routine
from tests.browser.conftest import SCREENS
from tests.browser.flows import (
    NO_LEAD_IN,
    assert_no_axe_violations,
    assert_no_horizontal_scroll,
    page_errors,
    player_of,
    record_session,
    recorded,
    start_guide,
    stub_player_apis,
)
from tests.browser.test_offline_guide import ask, controlled
from tests.factories import PASSWORD, UserFactory

ZH = "/zh-hans"
CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
# The player's English words, none of which may show on a Chinese page.
ENGLISH_PLAYER_WORDS = re.compile(
    r"\b(Hold|Rest|Start|Ready|Pause|Resume|Reset|Relax|Counting|Get into position"
    r"|Repetition|repetitions?|seconds?|Mute|Settings|Undo|Done|Skip|Step)\b"
)
VIEWPORT_BOTTOM = 800
# Where the screenshots are looked at (not committed).
SHOTS = Path("/work/notes/shots")

# Everything a reader presses or reads in the header, and every button.
OVERFLOWING = """() => {
  const found = [];
  const boxes = document.querySelectorAll(
    "header a, header button, header .navbar-brand, header .theme-switch-label,"
    + " main button, main .btn, main a.btn");
  for (const el of boxes) {
    const rect = el.getBoundingClientRect();
    if (!rect.width || !rect.height || getComputedStyle(el).visibility === "hidden") {
      continue;
    }
    const clipped = el.clientWidth > 0 && (
      el.scrollWidth > el.clientWidth + 1 || el.scrollHeight > el.clientHeight + 1);
    const outside = rect.left < -1 || rect.right > innerWidth + 1;
    if (clipped || outside) {
      found.push(`${el.tagName}.${el.className}: ${el.innerText.trim()}`
        + ` (${el.scrollWidth}×${el.scrollHeight} in ${el.clientWidth}×${el.clientHeight},`
        + ` ${Math.round(rect.left)}–${Math.round(rect.right)} of ${innerWidth})`);
    }
  }
  return found;
}"""


# ----- what every Chinese page is held to ----------------------------------


def is_phone(page):
    return page.viewport_size["width"] == SCREENS["phone"]["viewport"]["width"]


def assert_fits(page):
    """No sideways scroll on the phone or the laptop, and no text spilling
    out of a button or out of the header (the menu opened, on a phone)."""
    if is_phone(page):
        assert_no_horizontal_scroll(page)
    else:
        assert page.evaluate(
            "document.documentElement.scrollWidth"
            " <= document.documentElement.clientWidth"
        )
    assert page.evaluate(OVERFLOWING) == [], page.url


def assert_in_chinese(page, *, axe=True):
    """``<html lang="zh-hans">``, a Chinese heading and Chinese text in <main>,
    a fit at this size, and (unless told not) no axe violation."""
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    h1 = page.locator("main h1").first
    expect(h1).to_have_text(CJK)
    main = page.locator("main").inner_text()
    assert len(CJK.findall(main)) >= 10, main
    assert_fits(page)
    if axe:
        assert_no_axe_violations(page)


def assert_calendar_labels_inside(page):
    """The dashboard's calendar: every weekday and month name whole inside
    the drawing (Chinese names are wider than English ones)."""
    calendar = page.locator("svg.calendar-chart")
    box = calendar.bounding_box()
    labels = calendar.locator(".cal-label")
    assert labels.count() >= 7 + 3
    for n in range(labels.count()):
        label = labels.nth(n)
        expect(label).to_have_text(CJK)
        edge = label.bounding_box()
        assert edge["x"] >= box["x"] - 0.5, (label.text_content(), edge, box)
        assert edge["x"] + edge["width"] <= box["x"] + box["width"] + 0.5, (
            label.text_content(),
            edge,
            box,
        )


def shot(page, name, *, full_page=False):
    """A screenshot of this Chinese page at this size, to be looked at."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    size = "360" if is_phone(page) else "1280"
    page.screenshot(path=SHOTS / f"zh-{name}-{size}.png", full_page=full_page)


def menu_toggle(page):
    """The link to the menu, which menu.js turns into a button."""
    return page.locator("[data-menu-toggle], button[aria-controls=site-menu]")


def open_menu(page):
    """The header's menu, opened first on a phone (a button with JavaScript,
    a #fragment link without)."""
    toggle = menu_toggle(page)
    if toggle.is_visible() and toggle.get_attribute("aria-expanded") != "true":
        toggle.click()
    expect(page.locator("#site-menu")).to_be_visible()


def assert_header_fits_with_the_menu_open(page):
    open_menu(page)
    assert page.evaluate(OVERFLOWING) == [], page.url
    if is_phone(page):
        menu_toggle(page).click()


# ----- the player ----------------------------------------------------------


def assert_player_speaks_chinese(player):
    text = player.inner_text()
    assert CJK.search(text), text
    assert not ENGLISH_PLAYER_WORDS.search(text), text
    expect(player.locator("[data-player-status]")).to_have_text(CJK)
    expect(player.locator("[data-player-phase]")).to_have_text(CJK)


def assert_start_and_timer_in_first_screen(page, player):
    """Start and the count or the clock within the first screen, unscrolled."""
    if player.get_attribute("data-mode") == "count":
        shown = [player.locator("[data-player-count]")]
    else:
        shown = [player.locator("[data-player-clock]")]
    toggle = player.locator("[data-player-toggle]")
    expect(toggle).to_have_text("开始")
    shown.append(toggle)
    for element in shown:
        box = element.bounding_box()
        assert box["y"] + box["height"] <= VIEWPORT_BOTTOM, (page.url, box)
    assert page.evaluate("scrollY") == 0


def hold_the_first_repetition(page, player):
    """On a hold step: Start, the lead-in (准备), then the hold (保持)."""
    phase = player.locator("[data-player-phase]")
    expect(phase).to_have_text("准备就绪")
    player.locator("[data-player-toggle]").click()
    expect(phase).to_have_text("准备")
    expect(player.locator("[data-player-toggle]")).to_have_text("暂停")
    assert_player_speaks_chinese(player)
    page.clock.run_for(6_000)
    expect(phase).to_have_text("保持")
    expect(player.get_by_role("status")).to_contain_text("保持")
    assert_player_speaks_chinese(player)
    expect(page.locator("body")).not_to_contain_text(re.compile(r"\b(Hold|Rest)\b"))


# ----- the catalogue's pages -----------------------------------------------


def test_home_and_the_beginner_routine_in_chinese(screen, catalogue):
    page = screen
    page.goto(f"{ZH}/")
    expect(page.locator("main h1")).to_have_text("让腰背更强健、更轻松的练习")
    assert_in_chinese(page)
    assert_header_fits_with_the_menu_open(page)
    shot(page, "home", full_page=True)

    page.goto(f"{ZH}/routines/beginner/")
    expect(page.locator("main h1")).to_have_text("初级训练方案")
    expect(page.locator("article.step")).to_have_count(6)
    assert_in_chinese(page)
    shot(page, "routine", full_page=True)


def test_the_whole_beginner_guided_session_in_chinese(screen, catalogue):
    page = screen
    # The screenshot and axe see the player's colours after their fade.
    page.emulate_media(reduced_motion="reduce")
    errors = page_errors(page)
    stub_player_apis(page)
    steps = Routine.objects.get(slug="beginner").steps.count()
    guide = f"{ZH}/routines/beginner/guide/"

    page.goto(guide)
    expect(page.locator("main h1")).to_have_text("开始之前：安全检查")
    assert_in_chinese(page)
    page.get_by_label("我已阅读以上警示").check()
    page.get_by_role("button", name="开始跟练").click()

    held = False
    for number in range(1, steps + 1):
        expect(page).to_have_url(re.compile(rf"{guide}{number}/$"))
        expect(page.locator("#step-counter")).to_have_text(
            f"第 {number} 步，共 {steps} 步"
        )
        player = player_of(page)
        assert_start_and_timer_in_first_screen(page, player)
        assert_player_speaks_chinese(player)
        assert_in_chinese(page)
        if not held and player.get_attribute("data-mode") == "hold":
            hold_the_first_repetition(page, player)
            assert_fits(page)
            shot(page, "guided-step-running")
            assert_no_axe_violations(page)
            held = True
        last = number == steps
        page.get_by_role(
            "button", name="完成，结束 →" if last else "完成，下一步 →"
        ).click()

    assert held, "no hold step in the beginner routine"
    expect(page).to_have_url(re.compile(rf"{guide}finish/$"))
    expect(page.locator("main h1")).to_contain_text("做得好")
    assert_in_chinese(page)
    assert errors == []


# ----- a person's pages ----------------------------------------------------


def test_sign_up_screening_and_a_persons_pages_in_chinese(screen, catalogue):
    page = screen
    page.goto(f"{ZH}/accounts/signup/")
    assert_in_chinese(page)
    page.get_by_label("用户名").fill("xiaoming")
    page.get_by_label("电子邮箱（选填）").fill("xiaoming@example.com")
    page.get_by_label(re.compile(r"^\s*密码\*?\s*$")).fill(PASSWORD)
    page.get_by_label("密码确认").fill(PASSWORD)
    page.get_by_label("我同意 BackCare 保存我的健康信息").check()
    page.get_by_role("button", name="创建账户").click()

    expect(page).to_have_url(re.compile(rf"{ZH}/accounts/screening/$"))
    expect(page.locator("main h1")).to_have_text("健康筛查")
    assert_in_chinese(page)
    assert_header_fits_with_the_menu_open(page)
    for no in page.get_by_label("否", exact=True).all():
        no.check()
    page.get_by_role("button", name="保存我的回答").click()
    expect(page).to_have_url(re.compile(rf"{ZH}/progress/$"))
    person = get_user_model().objects.get(username="xiaoming")
    assert person.language == "zh-hans"

    # Something for the dashboard and the history to show.
    beginner = Routine.objects.get(slug="beginner")
    for days_back, pain in [(9, 6), (3, 5), (0, 4)]:
        # Saved as the Chinese pages save them: the routine's title in Chinese.
        with translation.override("zh-hans"):
            record_session(
                person,
                beginner,
                timezone.now() - timedelta(days=days_back, minutes=30),
                minutes=14,
                pain_before=pain,
                pain_after=pain - 2,
                notes="练完后轻松多了。",
            )
    for path, heading, name in [
        ("/progress/", "您的进度", "dashboard"),
        ("/progress/history/", "训练记录", None),
        ("/progress/log/", "记录一次训练", None),
        ("/accounts/profile/", "您的个人资料", None),
    ]:
        page.goto(f"{ZH}{path}")
        expect(page.locator("main h1")).to_have_text(heading)
        assert_in_chinese(page)
        if name == "dashboard":
            assert_calendar_labels_inside(page)
        if name:
            shot(page, name, full_page=True)


# ----- offline -------------------------------------------------------------


def wait_for_chinese_plan(page, slug):
    for _ in range(50):
        if ask(page, type="plan", slug=slug, prefix=ZH):
            return
        page.wait_for_timeout(100)
    raise AssertionError("the worker kept no Chinese plan")


def test_the_offline_guide_in_chinese(screen, catalogue):
    page = screen
    errors = page_errors(page)
    page.on("dialog", lambda dialog: dialog.accept())
    stub_player_apis(page)
    UserFactory(username="xiaohong", language="zh-hans")
    page.goto(f"{ZH}/accounts/login/")
    page.get_by_label("用户名").fill("xiaohong")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page).to_have_url(re.compile(rf"{ZH}/progress/$"))
    page.goto(f"{ZH}/routines/beginner/")
    controlled(page)
    wait_for_chinese_plan(page, "beginner")

    page.context.set_offline(True)
    offline = f"{ZH}/routines/beginner/offline/"
    page.goto(offline)
    expect(page.locator("main h1")).to_have_text("开始之前：安全检查")
    expect(page.locator("[data-offline-note]")).to_have_text(CJK)
    assert_in_chinese(page)
    page.get_by_label("我已阅读这些警示").check()
    page.get_by_role("button", name="开始引导训练").click()

    expect(page).to_have_url(re.compile(rf"{offline}1/$"))
    player = player_of(page)
    assert_start_and_timer_in_first_screen(page, player)
    assert_player_speaks_chinese(player)
    assert_in_chinese(page)
    player.locator("[data-player-toggle]").click()
    page.clock.run_for(6_000)
    assert_player_speaks_chinese(player)
    assert_fits(page)
    shot(page, "offline-step")
    assert errors == []


# ----- the language switch -------------------------------------------------


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
@pytest.mark.parametrize("name", SCREENS)
def test_the_header_switch_turns_an_english_routine_page_chinese(
    open_screen, catalogue, name, javascript
):
    page = open_screen(name, java_script_enabled=javascript)
    page.goto("/routines/beginner/")
    expect(page.locator("html")).to_have_attribute("lang", "en-gb")
    expect(page.locator("main h1")).to_have_text("Beginner routine")

    open_menu(page)
    page.get_by_role("button", name="简体中文").click()

    expect(page).to_have_url(re.compile(rf"{ZH}/routines/beginner/$"))
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(page.locator("main h1")).to_have_text("初级训练方案")
    open_menu(page)
    expect(page.get_by_role("button", name="简体中文")).to_have_attribute(
        "aria-current", "true"
    )


# The player's voice: Chinese prompts in a zh-CN voice, or none at all


NO_VOICES = "window.speechSynthesis.getVoices = () => [];"
A_CHINESE_VOICE = (
    "window.speechSynthesis.getVoices = () => "
    '[{ lang: "zh-CN", name: "A Chinese voice", default: false }];'
)


def test_without_a_chinese_voice_the_player_says_so_and_still_sounds(page, practice):
    errors = page_errors(page)
    page.add_init_script(NO_LEAD_IN)
    page.add_init_script(NO_VOICES)
    stub_player_apis(page)
    start_guide(page, "practice", pick=3)
    page.goto(f"{ZH}/routines/practice/guide/3/")
    player = player_of(page)

    expect(player.locator("[data-player-voice]")).to_have_text(
        re.compile("没有中文语音")
    )
    player.get_by_role("button", name="开始").click()
    expect(player.get_by_role("status")).to_have_text(
        "保持 20 秒。右侧第 1 次，共 3 次。"
    )
    expect(player.locator("[data-player-phase]")).to_have_text("保持")
    page.clock.run_for(21_000)
    expect(player.locator("[data-player-phase]")).to_have_text("休息")
    # No English voice reads the Chinese; the tones play.
    assert recorded(page, "spoken") == []
    assert len(recorded(page, "beeps")) > 0
    assert errors == []


def test_with_a_chinese_voice_the_player_speaks_chinese(page, practice):
    errors = page_errors(page)
    page.add_init_script(NO_LEAD_IN)
    stub_player_apis(page)
    page.add_init_script(A_CHINESE_VOICE)
    start_guide(page, "practice", pick=3)
    page.goto(f"{ZH}/routines/practice/guide/3/")
    player = player_of(page)

    expect(player.locator("[data-player-voice]")).to_be_hidden()
    player.get_by_role("button", name="开始").click()
    page.clock.run_for(21_000)

    assert recorded(page, "spoken")[:2] == ["保持", "放松"]
    assert errors == []
