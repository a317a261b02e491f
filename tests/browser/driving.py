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


# Every player of a page, driven inside the page: the same buttons, slider and questions as above,
# without a round trip to Playwright per press (a page of twenty players takes a second, not a minute).
DRIVE_ALL = """async () => {
  const out = [];
  for (const root of document.querySelectorAll('.memlab-player')) {
    root.scrollIntoView();
    const q = s => root.querySelector(s);
    const caption = () => q('.memlab-caption').innerText.trim();
    const step = () => parseInt((caption().match(/^Step (\\d+) of/) || [0, -1])[1]);
    const last = parseInt((caption().match(/^Step \\d+ of (\\d+)/) || [0, -1])[1]);
    const asking = () => !q('.memlab-ask').hidden;
    const settle = async () => {  // end every transition; the old frame's shapes leave on the next frames
      root.getAnimations({subtree: true}).forEach(a => a.finish());
      for (let i = 0; i < 30 && root.querySelector('.memlab-ghost'); i++) await new Promise(requestAnimationFrame);
    };
    const view = () => q('.memlab-view').innerHTML;
    const scrub = async k => { const s = q('input.memlab-slider'); s.value = String(k);
                               s.dispatchEvent(new Event('input', {bubbles: true})); await settle(); return step(); };
    const r = {caption: caption(), last};
    const first = view();
    let redrawn = 0;
    for (let i = 1; i <= 6 && !redrawn; i++) {
      q('button.memlab-forward').click();
      if (asking()) q('.memlab-reveal').click();
      await settle();
      if (step() !== i) { r.stuck = caption(); break; }
      if (view() !== first) redrawn = i;
    }
    r.redrawn = redrawn;
    while (step() > 0) { q('button.memlab-back').click(); await settle(); }
    r.restored = view() === first;
    const before = step();
    q('button.memlab-play').click();
    const t0 = performance.now();
    while (step() <= before && !asking() && performance.now() - t0 < 10000) await new Promise(requestAnimationFrame);
    r.played = step() > before || asking();
    if (!asking()) q('button.memlab-play').click();
    for (let n = 0; n < 100 && (await scrub(last)) !== last; n++) if (asking()) q('.memlab-reveal').click();
    r.reachedEnd = step() === last;
    r.middle = await scrub(Math.max(1, Math.floor(last / 2))) === Math.max(1, Math.floor(last / 2));
    await scrub(last);
    r.ghosts = root.querySelectorAll('.memlab-ghost').length;
    r.texts = [...q('.memlab-view').querySelectorAll('text')].map(t => t.textContent.trim());
    out.push(r);
  }
  return out;
}"""


def drive_all(page) -> list[dict]:
    """Drive every player of the page (see DRIVE_ALL); one result per player, in page order."""
    return page.evaluate(DRIVE_ALL)


def check_driven(results: list[dict], finals: list[str] | None, label: str, texts_of) -> None:
    """Each player started at step 0, redrew on stepping, came back, played, scrubbed, and ended on ``finals``."""
    for i, r in enumerate(results):
        where = f"{label} player {i}"
        assert r["caption"].startswith("Step 0 of "), f"{where}: starts at {r['caption']!r}"
        assert "stuck" not in r, f"{where}: forward stopped at {r.get('stuck')!r}"
        assert r["redrawn"], f"{where}: the picture did not change in 6 steps"
        assert r["restored"], f"{where}: stepping back did not restore the first frame"
        assert r["played"], f"{where}: play did not move on"
        assert r["reachedEnd"] and r["middle"], f"{where}: scrubbing did not reach the end and the middle"
        assert r["ghosts"] == 0, f"{where}: shapes of an old frame were left behind"
        if finals is not None:
            assert r["texts"] == texts_of(finals[i]), f"{where}: the final frame differs from the recording's"
