"""The player in every state it can show, in light and in dark, on a held, a
counted, an each-side and a timed step of the seed: axe (colour contrast
included) finds nothing once the script has drawn the state, the Start button
and what it turns into show their label, and a hint that names a button names
the one on screen.

The page-level axe checks (test_dark_mode.py) run before the player is
touched; these run in each state it reaches. Playwright's clock, paused, is
moved on by hand, so a state stays put while axe reads it."""

import re

import pytest
from axe_playwright_python.base import AXE_SCRIPT, AxeResults
from playwright.sync_api import expect

from tests.browser.flows import (
    open_step,
    page_errors,
    press,
    stub_player_apis,
    wait_until,
)

SCHEMES = ["light", "dark"]
# The default lead-in, and the seed's pauses between holds and sides.
LEAD_IN_MS = 5_000
REST_MS = 3_000
SWITCH_MS = 5_000


def toggle_of(player):
    return player.locator("[data-player-toggle]")


def settle(page):
    """Wait until no transition of the player's is under way, so the colours
    read are the ones the state shows, not a frame of a fade."""
    wait_until(
        page,
        "[...document.querySelectorAll('[data-player], [data-player] *')]"
        ".every((element) => element.getAnimations().length === 0)",
    )


def expect_state(player, phase, *, running):
    expect(player).to_have_attribute("data-phase", phase)
    if running:
        expect(player).to_have_class(re.compile(r"\bis-running\b"))
    else:
        expect(player).not_to_have_class(re.compile(r"\bis-running\b"))


# ----- each kind of step, walked through every state it shows -------------
# Each walk yields the name of the state it has reached.


def move(page, player, button, ms, phase, *, running):
    """Press `button` (if any), move the clock on by `ms` (if any), and expect
    the player in `phase`, running or not."""
    if button:
        press(player, button)
    if ms:
        page.clock.run_for(ms)
    expect_state(player, phase, running=running)


def opening(page, player, ms, phase, state):
    """Ready, then Start and `ms` on, running in `phase`: yields "ready" and
    `state`."""
    expect_state(player, "ready", running=False)
    yield "ready"
    move(page, player, "Start", ms, phase, running=True)
    yield state


def held_states(page, player, *, sides=False):
    """Abdominal contraction (10 holds of 5 s) or, with sides, knee to chest
    (5 holds of 20 s a side)."""
    hold_ms = 20_000 if sides else 5_000
    repetitions = 5 if sides else 10
    yield from opening(page, player, 500, "leadin", "lead-in")
    move(page, player, "Pause", 0, "leadin", running=False)
    yield "paused in the lead-in"
    # Half a second into the first hold.
    move(page, player, "Resume", LEAD_IN_MS, "hold", running=True)
    yield "holding"
    move(page, player, "Pause", 0, "hold", running=False)
    yield "paused"
    # Half a second into the first rest.
    move(page, player, "Resume", hold_ms, "rest", running=True)
    expect(player.locator("[data-player-reps]")).to_have_text(
        f"Repetition 2 of {repetitions}"
    )
    yield "resting"
    side_ms = repetitions * hold_ms + (repetitions - 1) * REST_MS
    if sides:
        # Half a second into the change of sides.
        move(page, player, None, side_ms - hold_ms, "rest", running=True)
        expect(player.locator("[data-player-side]")).to_have_text("Now: left side")
        yield "switching sides"
        page.clock.run_for(SWITCH_MS + side_ms)
    else:
        page.clock.run_for(side_ms - hold_ms)
    expect_state(player, "done", running=False)
    expect(player.locator("[data-player-saved]")).to_have_text(
        "Saved: this step is marked done."
    )
    yield "done"


def counted_states(page, player):
    """Ankle pumps: 10 repetitions, counted by taps or, after Start, paced."""
    yield from opening(page, player, 500, "leadin", "lead-in")
    move(page, player, None, LEAD_IN_MS, "pace", running=True)
    yield "counting"
    move(page, player, "Pause", 0, "pace", running=False)
    yield "paused"
    count = player.get_by_role("button", name="Tap to count")
    for _ in range(10):
        count.click()
    expect_state(player, "done", running=False)
    yield "done"


def timed_states(page, player):
    """Stationary bike: a stopwatch with targets at 20 and 30 minutes."""
    yield from opening(page, player, 1_000, "running", "running")
    move(page, player, "Stop", 0, "paused", running=False)
    yield "stopped"
    press(player, "Resume")
    page.clock.run_for("20:00")
    expect(player.get_by_text("20-minute target reached", exact=True)).to_be_visible()
    yield "first target reached"
    page.clock.run_for("10:00")
    expect(player.get_by_text("30-minute target reached", exact=True)).to_be_visible()
    press(player, "Stop")
    yield "done"


STEPS = {
    "held": ("beginner", 3, "Abdominal contraction", held_states),
    "counted": ("beginner", 1, "Ankle pumps", counted_states),
    "each side": (
        "intermediate",
        1,
        "Single knee-to-chest stretch",
        lambda page, player: held_states(page, player, sides=True),
    ),
    "timed": ("aerobic", 1, "Stationary bike", timed_states),
}


def open_paused(open_screen, name, scheme, kind):
    """A step's player on a screen in a scheme, on a paused fake clock."""
    page = open_screen(name, color_scheme=scheme)
    errors = page_errors(page)
    stub_player_apis(page)
    page.clock.pause_at("2030-01-07T08:00:00")
    slug, number, title, walk = STEPS[kind]
    player = open_step(page, slug, number)
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    return page, player, walk, errors


# ----- the checks made in each state ----------------------------------------


def run_axe(page):
    """axe, as flows.assert_no_axe_violations runs it, on a paused clock: axe
    waits on timers of its own, so the clock is moved on a millisecond at a
    time until axe has answered (a few milliseconds of the player's time)."""
    page.evaluate(AXE_SCRIPT)
    page.evaluate(
        """() => {
          window.__axeResults = null;
          axe.run(document, { resultTypes: ["violations"] })
            .then((results) => { window.__axeResults = results; });
        }"""
    )
    for _ in range(2_000):
        if page.evaluate("window.__axeResults !== null"):
            break
        page.clock.run_for(1)
    return AxeResults(page.evaluate("window.__axeResults"))


# The colours of a button's label and of what shows behind it: its own
# background, or the first one behind it that is not transparent.
COLOURS = """(button) => {
  const opaque = (colour) => !/^rgba\\(.*, 0\\)$|^transparent$/.test(colour);
  let behind = button;
  while (behind && !opaque(getComputedStyle(behind).backgroundColor)) {
    behind = behind.parentElement;
  }
  const background = behind ? getComputedStyle(behind).backgroundColor : "rgb(255, 255, 255)";
  return [getComputedStyle(button).color, background];
}"""


def luminance(colour):
    """WCAG's relative luminance of an `rgb(r, g, b)` colour."""
    channels = [int(part) / 255 for part in re.findall(r"\d+", colour)[:3]]
    r, g, b = (
        c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels
    )
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(one, other):
    light, dark = sorted([luminance(one), luminance(other)], reverse=True)
    return (light + 0.05) / (dark + 0.05)


def start_label_problem(player):
    """What is wrong with the toggle's label as shown, or ''."""
    toggle = toggle_of(player)
    label = toggle.inner_text().strip()
    if not label:
        return "the toggle has no label"
    if toggle.is_disabled():
        return ""
    colour, background = toggle.evaluate(COLOURS)
    if colour == background or contrast(colour, background) < 4.5:
        return f"“{label}” is {colour} on {background}"
    return ""


# A hint that tells the person which button to press: “press Start”.
PRESS = re.compile(r"\bpress ([A-Z]\w+)", re.IGNORECASE)


def hint_problem(player):
    """The hint beside the button names a button the player does not show."""
    hint = player.locator("[data-player-status]").inner_text()
    named = PRESS.findall(hint)
    label = toggle_of(player).inner_text().strip()
    if any(name != label for name in named):
        return f"the hint “{hint}” names {named}, the button reads “{label}”"
    return ""


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("kind", STEPS)
def test_axe_finds_nothing_in_any_state_of_the_player(
    open_screen, catalogue, kind, scheme
):
    page, player, walk, errors = open_paused(open_screen, "phone", scheme, kind)
    findings = {}
    seen = []
    for state in walk(page, player):
        seen.append(state)
        settle(page)
        results = run_axe(page)
        if results.violations_count:
            findings[state] = results.generate_report()
        for problem in (start_label_problem(player), hint_problem(player)):
            if problem:
                findings.setdefault(state, "")
                findings[state] += f"\n{problem}"
    assert "done" in seen
    assert errors == []
    assert not findings, "\n\n".join(
        f"{kind} step, {scheme}, {state}:\n{report}"
        for state, report in findings.items()
    )


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("kind", STEPS)
@pytest.mark.parametrize("name", ["phone", "laptop"])
def test_the_start_button_shows_its_label(open_screen, catalogue, name, kind, scheme):
    page, player, _, _ = open_paused(open_screen, name, scheme, kind)
    toggle = player.get_by_role("button", name="Start", exact=True)
    expect(toggle).to_be_visible()
    settle(page)
    colour, background = toggle.evaluate(COLOURS)
    assert colour != background, f"Start is written in its background's colour {colour}"
    assert contrast(colour, background) >= 4.5, f"Start is {colour} on {background}"
    # And the hint beside it names it.
    expect(player.get_by_role("status")).to_contain_text("Start")
    assert hint_problem(player) == ""
