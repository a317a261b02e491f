"""Driving a memlab player in the browser: press its buttons, scrub its slider, skip or answer its questions.

Every wait is for what the player draws (its caption, its question), never a fixed sleep.
"""

from __future__ import annotations

import re

FORWARD = "button.memlab-forward"
BACK = "button.memlab-back"
PLAY = "button.memlab-play"
ASKING = ".memlab-ask:not([hidden])"


def caption_of(player) -> str:
    return player.locator(".memlab-caption").first.inner_text().strip()


def step_of(player) -> int:
    """The step the caption names ("Step 3 of 10: ...")."""
    match = re.match(r"Step (\d+) of (\d+)", caption_of(player))
    assert match, f"caption {caption_of(player)!r} does not say which step it shows"
    return int(match.group(1))


def last_of(player) -> int:
    return int(re.match(r"Step \d+ of (\d+)", caption_of(player)).group(1))


def asking(player) -> bool:
    return player.locator(ASKING).count() > 0


def wait_step(page, player, n: int) -> None:
    caption = player.locator(".memlab-caption").first.element_handle()
    page.wait_for_function(
        "([el, n]) => el.innerText.trim().startsWith('Step ' + n + ' of')", arg=[caption, n], timeout=15_000
    )


def skip_question(page, player) -> None:
    """Press "show me" on the open question: the player shows the step it asked about."""
    player.locator(".memlab-reveal").click()
    page.wait_for_function("el => el.hidden", arg=player.locator(".memlab-ask").element_handle(), timeout=5_000)


SETTLE = """() => document.getAnimations().filter(a => a.effect && a.effect.target &&
    a.effect.target.closest && a.effect.target.closest('.memlab-view')).forEach(a => a.finish())"""


def settle(page) -> None:
    """End the players' transitions at once (shapes still gliding, old ones still fading away)."""
    page.evaluate(SETTLE)
    page.wait_for_function("() => !document.querySelector('.memlab-view .memlab-ghost')", timeout=5_000)


def press(page, player, button: str, expect: int) -> None:
    """Press forward or back and wait until the caption says step ``expect`` (skipping a question on the way)."""
    player.locator(button).first.click()
    if button == FORWARD and asking(player):
        skip_question(page, player)
    wait_step(page, player, expect)
    settle(page)


def scrub(page, player, k: int) -> int:
    """Drag the slider to step ``k``; a question on the way stops it there. Returns the step shown."""
    player.locator("input.memlab-slider").evaluate(
        "(el, k) => { el.value = String(k); el.dispatchEvent(new Event('input', {bubbles: true})); }", k
    )
    return step_of(player)


def to_end(page, player) -> int:
    """Scrub to the last step, skipping every question on the way; returns the last step."""
    last = last_of(player)
    for _ in range(100):
        if scrub(page, player, last) == last:
            return last
        if asking(player):
            skip_question(page, player)
    raise AssertionError(f"the player did not reach step {last}")


def forward_until_redrawn(page, player, limit: int = 6) -> int:
    """Step forward until the picture changes (some steps only add words); return the steps taken."""
    view = player.locator(".memlab-view")
    start, before = step_of(player), view.inner_html()
    for taken in range(1, limit + 1):
        press(page, player, FORWARD, start + taken)
        if view.inner_html() != before:
            return taken
    raise AssertionError(f"the picture did not change in {limit} steps forward from step {start}")


def back_to(page, player, step: int) -> None:
    """Step back, one press at a time, to ``step``."""
    while step_of(player) > step:
        press(page, player, BACK, step_of(player) - 1)


def plays(page, player) -> None:
    """Press play, wait until the caption moves on (or a question stops it), press pause."""
    start = step_of(player)
    player.locator(PLAY).click()
    caption = player.locator(".memlab-caption").first.element_handle()
    ask = player.locator(".memlab-ask").element_handle()
    page.wait_for_function(
        "([el, s, ask]) => !ask.hidden || parseInt(el.innerText.trim().split(' ')[1]) > s",
        arg=[caption, start, ask],
        timeout=20_000,
    )
    if not asking(player):
        player.locator(PLAY).click()  # pause
    assert step_of(player) > start or asking(player)
