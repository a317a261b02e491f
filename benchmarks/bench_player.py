"""The player in the browser: one step's latency, a kernel round trip against the in-browser player, and fps.

Before the player moved into the browser, each step was a round trip: the button's click went
to the kernel, Python drew the frame, and the new HTML came back. That player is rebuilt here
as the baseline (``ROUND_TRIP`` below: ipywidgets buttons and an HTML widget, the view called
on every step). Both players show the same 200-frame heap recording in JupyterLab in headless
Chromium; a step's latency is the time from the click to the caption naming the next step,
measured in the page (median of 40 steps each). Then a 2,000-frame recording plays as fast as
the browser draws, and the frames per second are counted (the goal: 30 or more).

Needs Chromium (Debian's ``chromium``) and Playwright, as the browser tests do.
Run: ``python benchmarks/bench_player.py``
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from common import table

STEPS = 40
SETUP = """
import random, statistics
import ipywidgets as widgets
import memlab
from memlab.widgets import heap_player

def recording(ops, seed=3):
    heap = memlab.allocator("freelist", list="explicit", fit="first")
    rng, live = random.Random(seed), []
    with heap.record() as rec:
        while len(rec.recording) < ops:
            if live and rng.random() < 0.45:
                heap.free(live.pop(rng.randrange(len(live))))
            else:
                live.append(heap.alloc(rng.randrange(8, 120)))
    return memlab.Recording(rec.recording[:ops])

small, big = recording(200), recording(2000)
"""
ROUND_TRIP = """
class RoundTrip(widgets.VBox):
    '''Today's player: every step goes to the kernel, which draws the frame and sends it back.'''
    def __init__(self, rec):
        self.rec, self.view, self.k = rec, heap_player(rec).view, 0
        self.caption, self.html = widgets.HTML(), widgets.HTML()
        forward = widgets.Button(description="forward")
        forward.add_class("rt-forward")
        forward.on_click(lambda _: self.show(self.k + 1))
        super().__init__([forward, self.caption, self.html])
        self.add_class("rt-player")
        self.caption.add_class("rt-caption")
        self.show(0)
    def show(self, k):
        self.k = min(k, len(self.rec) - 1)
        self.html.value = self.view(self.rec[self.k])
        self.caption.value = f"Step {self.k} of {len(self.rec) - 1}"

RoundTrip(small)
"""
NEW = "heap_player(small, title='in the browser')"
FAST = "heap_player(big, title='2000 frames', interval=0)"

MEASURE_STEPS = """async ([root, button, caption, steps]) => {
  const times = [];
  const text = () => root.querySelector(caption).innerText;
  for (let i = 0; i < steps; i++) {
    const before = text();
    const t0 = performance.now();
    const changed = new Promise(resolve => {
      const seen = new MutationObserver(() => { if (text() !== before) { seen.disconnect(); resolve(); } });
      seen.observe(root, {subtree: true, childList: true, characterData: true});
    });
    root.querySelector(button).click();
    await changed;
    await new Promise(requestAnimationFrame);
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}"""

MEASURE_FPS = """async (root) => {
  const p = root.memlab;
  p.go(0, false);
  const t0 = performance.now();
  p.play();
  while (p.position < p.count - 1) await new Promise(requestAnimationFrame);
  return (p.count - 1) / ((performance.now() - t0) / 1000);
}"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def notebook(folder: Path) -> str:
    import nbformat

    cells = [nbformat.v4.new_code_cell(src) for src in (SETUP, ROUND_TRIP, NEW, FAST)]
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, folder / "bench.ipynb")
    return "bench.ipynb"


def serve(folder: Path) -> tuple[subprocess.Popen, str]:
    port, token = free_port(), "memlab-bench"
    argv = [sys.executable, "-m", "jupyter", "lab", "--no-browser", "--allow-root", f"--port={port}",
            f"--ServerApp.token={token}", "--ServerApp.ip=127.0.0.1", f"--ServerApp.root_dir={folder}",
            "--LabApp.news_url=None", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]  # fmt: skip
    log = open(folder / "lab.log", "w")  # noqa: SIM115 - closed with the process
    proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, env=dict(os.environ, JUPYTER_PLATFORM_DIRS="1"))
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            with urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2):
                return proc, f"{base}/lab/tree/bench.ipynb?reset&token={token}"
        except OSError:
            time.sleep(0.3)
    proc.terminate()
    raise RuntimeError("JupyterLab did not start")


def run_all(page, url: str) -> None:
    page.goto(url)
    page.wait_for_selector(".jp-Notebook", timeout=90_000)
    page.wait_for_function("() => /Idle/.test(document.body.innerText)", timeout=60_000)
    page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
    page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()
    page.wait_for_function(
        "() => document.querySelectorAll('.memlab-player .memlab-caption').length >= 2", timeout=600_000
    )
    page.wait_for_selector(".rt-player .rt-caption", timeout=60_000)


def main() -> None:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        print("Chromium is not installed (Debian: apt-get install chromium): nothing measured")
        return
    from playwright.sync_api import sync_playwright

    folder = Path(tempfile.mkdtemp(prefix="memlab-bench-"))
    proc, url = serve(folder)
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox", "--disable-gpu"])
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            notebook(folder)
            run_all(page, url)
            old = page.locator(".rt-player").first.element_handle()
            new = page.locator(".memlab-player").nth(0).element_handle()
            fast = page.locator(".memlab-player").nth(1).element_handle()
            rt_ms = page.evaluate(MEASURE_STEPS, [old, ".rt-forward", ".rt-caption", STEPS])
            js_ms = page.evaluate(MEASURE_STEPS, [new, "button.memlab-forward", ".memlab-caption", STEPS])
            fps = page.evaluate(MEASURE_FPS, fast)
            sizes = page.evaluate(
                "() => [...document.querySelectorAll('.memlab-player')].map(p => p.querySelectorAll('svg *').length)"
            )
            browser.close()
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        shutil.rmtree(folder, ignore_errors=True)
    rows = [
        ("one step: kernel round trip (baseline)", rt_ms, 1.0),
        ("one step: in the browser", js_ms, js_ms / rt_ms),
    ]
    print(table(rows, ["200-frame heap player", "median ms", "ratio to baseline"]))
    print(f"\n2,000 frames played at {fps:.0f} frames/s ({'at least' if fps >= 30 else 'BELOW'} the goal of 30)")
    print(f"(SVG elements per frame shown at the end: {json.dumps(sizes)})")


if __name__ == "__main__":
    main()
