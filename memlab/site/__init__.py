"""The course as a static website that runs in the browser: ``memlab site build`` (see :mod:`.build`)."""

from .build import build

__all__ = ["build"]
