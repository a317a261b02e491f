"""Driving a memlab player in the browser: press its buttons and wait for what it draws."""

from __future__ import annotations

import re

FORWARD = ".memlab-forward button, button.memlab-forward"
BACK = ".memlab-back button, button.memlab-back"


def step_of(player) -> int:
    """The step the caption names ("Step 3 of 10: ...")."""
    caption = player.locator(".memlab-caption").inner_text().strip()
    match = re.match(r"Step (\d+) of (\d+)", caption)
    assert match, f"caption {caption!r} does not say which step it shows"
    return int(match.group(1))


def press(page, player, button: str, expect: int) -> None:
    """Press forward or back and wait until the caption says step ``expect``."""
    player.locator(button).first.click()
    caption = player.locator(".memlab-caption").element_handle()
    page.wait_for_function(
        "([el, n]) => el.innerText.trim().startsWith('Step ' + n + ' of')", arg=[caption, expect], timeout=15_000
    )


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
