"""The player: play, pause, step back, step forward, scrub and predict, through any recording.

One component serves every animation in the course. It knows nothing about allocators: it
shows ``view(frame)`` (an SVG or HTML string) for each frame of a
:class:`~memlab.events.Recording` and says in words what the frame's event did.

Python draws every frame once; the frames travel to the browser once (:mod:`.frames`), and
``player.js`` steps, scrubs, plays, moves the shapes between frames and asks the predict-mode
questions (:mod:`.predict`) there, with no round trip to the kernel. In a live notebook the
player is an anywidget (JupyterLab, Notebook 7, VS Code, Colab, JupyterLite). Displayed, it also
leaves its ``text/html`` fallback (:mod:`.page`): the same ``player.js`` with the frames inlined,
which plays in an nbconvert export, a Jupyter Book page or nbviewer with no kernel, and shows the
final frame where scripts are stripped (GitHub).

From Python, ``seek``, ``step_forward`` and ``step_back`` move the player (the browser follows),
``position`` is the frame shown (the browser reports its moves back while a kernel runs),
``caption`` and ``html`` are what it shows.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from html import escape

import anywidget
import traitlets

from ..errors import BadRequest
from ..events import Frame, Recording
from .frames import encode
from .page import SCRIPT, embed
from .predict import Ask

View = Callable[[Frame], str]


def _default_view(frame: Frame) -> str:
    return f"<pre>{escape(repr(frame.snapshot))}</pre>"


class Player(anywidget.AnyWidget):
    """A player over ``recording`` that draws each frame with ``view``.

    ``predict`` lists the questions to ask (:class:`~memlab.widgets.predict.Ask`); ``interval``
    is the time between frames when playing, in milliseconds; ``scale`` enlarges everything
    (a projector); ``position`` is the frame to start on.
    """

    _esm = SCRIPT
    position = traitlets.Int(0).tag(sync=True)
    data = traitlets.Dict().tag(sync=True)

    def __init__(
        self,
        recording: Recording,
        view: View | None = None,
        *,
        title: str = "",
        interval: int = 900,
        position: int = 0,
        scale: float = 1.0,
        predict: Sequence[Ask] = (),
    ) -> None:
        if len(recording) == 0:
            raise ValueError("a player needs a recording with at least one frame")
        self.recording = recording
        self.view = view or _default_view
        self.title = title
        self.interval = interval
        self.scale = scale
        self._drawn: dict[int, str] = {}
        self.predict = tuple(predict)
        steps = [q.step for q in self.predict]
        for q in self.predict:
            if steps.count(q.step) > 1:
                raise BadRequest("a player asks one question at a step, not two", step=q.step)
            q.check(len(recording), self.drawn(q.step - 1) if 1 <= q.step < len(recording) else "")
        super().__init__()
        self.seek(position)

    # -- moving ----------------------------------------------------------------------------
    @traitlets.validate("position")
    def _clamp(self, proposal) -> int:
        return max(0, min(int(proposal["value"]), len(self.recording) - 1))

    @property
    def frame(self) -> Frame:
        return self.recording[self.position]

    def seek(self, position: int) -> Frame:
        """Show frame ``position`` (clamped; negative counts from the end)."""
        if position < 0:
            position += len(self.recording)
        self.position = position
        return self.frame

    def step_forward(self) -> Frame:
        return self.seek(self.position + 1)

    def step_back(self) -> Frame:
        return self.seek(max(0, self.position - 1))

    # -- what it shows -----------------------------------------------------------------------
    def describe(self, frame: Frame) -> str:
        """The caption of a frame, in words."""
        return f"Step {frame.index} of {len(self.recording) - 1}: {frame.describe()}"

    def _wrap(self, html: str) -> str:
        return html if self.scale == 1 else f'<div style="zoom:{self.scale}">{html}</div>'

    def drawn(self, index: int) -> str:
        """Frame ``index`` as the HTML/SVG string the player shows (each frame is drawn once)."""
        if index not in self._drawn:
            self._drawn[index] = self._wrap(self.view(self.recording[index]))
        return self._drawn[index]

    @property
    def caption(self) -> str:
        """The current caption as plain text."""
        return self.describe(self.frame)

    @property
    def html(self) -> str:
        """The current view as the HTML/SVG string it draws."""
        return self.drawn(self.position)

    def frames_data(self) -> dict:
        """Everything the browser needs, as plain JSON: frames, captions, questions, settings."""
        n = len(self.recording)
        return {
            "title": self.title,
            "interval": self.interval,
            "scale": self.scale,
            "position": self.position,
            "captions": [self.describe(f) for f in self.recording],
            "frames": encode([self.drawn(i) for i in range(n)]),
            "asks": [q.data() for q in self.predict],
        }

    def static_html(self) -> str:
        """The self-contained player: the final frame and its caption as plain HTML, and the
        frames with ``player.js`` to play them where scripts run."""
        final = self.recording[-1]
        data = self.data or self.frames_data()
        return embed(data, final=self.drawn(final.index), caption=self.describe(final), title=self.title)

    def _repr_mimebundle_(self, **kwargs):
        if not self.data:
            self.data = self.frames_data()  # sent once, when the player is first shown
        data, meta = super()._repr_mimebundle_(**kwargs)
        data["text/html"] = self.static_html()
        return data, meta


__all__ = ["Player", "View"]
