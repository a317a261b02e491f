"""The player: play, pause, step back, step forward and scrub through any recording.

One component serves every animation in the course. It knows nothing about allocators: it
shows ``view(frame)`` (an SVG or HTML string) for the current frame of a
:class:`~memlab.events.Recording`, and says in words what the frame's event did.

Displayed in a notebook, a player also carries a static picture of its final frame (as
``text/html`` beside the widget), so the notebook still shows something on GitHub or nbviewer
where no kernel runs the widget.
"""

from __future__ import annotations

from collections.abc import Callable
from html import escape

import ipywidgets as widgets

from ..events import Frame, Recording

View = Callable[[Frame], str]


def _default_view(frame: Frame) -> str:
    return f"<pre>{escape(repr(frame.snapshot))}</pre>"


class Player(widgets.VBox):
    """A widget over ``recording`` that draws each frame with ``view``."""

    def __init__(
        self,
        recording: Recording,
        view: View | None = None,
        *,
        title: str = "",
        interval: int = 900,
        position: int = 0,
        scale: float = 1.0,
    ) -> None:
        if len(recording) == 0:
            raise ValueError("a player needs a recording with at least one frame")
        self.recording = recording
        self.view = view or _default_view
        self.title = title
        self.scale = scale
        last = len(recording) - 1
        self._play = widgets.Play(
            value=0,
            min=0,
            max=last,
            interval=interval,
            description="play",
            show_repeat=False,
            layout=widgets.Layout(width="auto"),
        )
        self._slider = widgets.IntSlider(
            value=0, min=0, max=last, description="step", readout=True, layout=widgets.Layout(width="45%")
        )
        widgets.jslink((self._play, "value"), (self._slider, "value"))
        self._back = widgets.Button(description="◀ back", tooltip="step back", layout=widgets.Layout(width="auto"))
        self._forward = widgets.Button(
            description="forward ▶", tooltip="step forward", layout=widgets.Layout(width="auto")
        )
        self._back.on_click(lambda _: self.step_back())
        self._forward.on_click(lambda _: self.step_forward())
        self._caption = widgets.HTML()
        self._view = widgets.HTML()
        self._slider.observe(self._changed, names="value")
        header = [widgets.HTML(f"<b style='font-size:{14 * scale:.0f}px'>{escape(title)}</b>")] if title else []
        controls = widgets.HBox([self._play, self._back, self._forward, self._slider])
        super().__init__(header + [controls, self._caption, self._view])
        self.add_class("memlab-player")
        self._caption.add_class("memlab-caption")
        self._view.add_class("memlab-view")
        self._back.add_class("memlab-back")
        self._forward.add_class("memlab-forward")
        self.seek(position)
        self._render()

    # -- moving ----------------------------------------------------------------------------
    @property
    def position(self) -> int:
        """The index of the frame shown."""
        return self._slider.value

    @property
    def frame(self) -> Frame:
        return self.recording[self.position]

    def seek(self, position: int) -> Frame:
        """Show frame ``position`` (clamped; negative counts from the end)."""
        n = len(self.recording)
        if position < 0:
            position += n
        position = max(0, min(position, n - 1))
        self._play.value = position
        self._slider.value = position
        self._render()
        return self.frame

    def step_forward(self) -> Frame:
        return self.seek(self.position + 1)

    def step_back(self) -> Frame:
        return self.seek(max(0, self.position - 1))

    def _changed(self, change: dict) -> None:
        self._render()

    # -- what it shows -----------------------------------------------------------------------
    def describe(self, frame: Frame) -> str:
        """The caption of a frame, in words."""
        return f"Step {frame.index} of {len(self.recording) - 1}: {frame.describe()}"

    def _wrap(self, html: str) -> str:
        return html if self.scale == 1 else f'<div style="zoom:{self.scale}">{html}</div>'

    def _render(self) -> None:
        frame = self.frame
        self._view.value = self._wrap(self.view(frame))  # the picture first: once the words say step k, it shows k
        self._caption.value = (
            f"<div style='font-size:{13 * self.scale:.0f}px;min-height:1.4em' aria-live='polite'>"
            f"{escape(self.describe(frame))}</div>"
        )

    @property
    def caption(self) -> str:
        """The current caption as plain text."""
        return self.describe(self.frame)

    @property
    def html(self) -> str:
        """The current view as the HTML/SVG string it draws."""
        return self._view.value

    def static_html(self) -> str:
        """The final frame with its caption: what a page without a kernel shows."""
        final = self.recording[-1]
        title = f"<b>{escape(self.title)}</b><br>" if self.title else ""
        return (
            f"<div class='memlab-static'>{title}<i>{escape(self.describe(final))}</i><br>"
            f"{self._wrap(self.view(final))}</div>"
        )

    def _repr_mimebundle_(self, **kwargs):
        bundle = super()._repr_mimebundle_(**kwargs)
        if isinstance(bundle, tuple):
            data, meta = bundle
            data["text/html"] = self.static_html()
            return data, meta
        bundle = dict(bundle or {})
        bundle["text/html"] = self.static_html()
        return bundle
