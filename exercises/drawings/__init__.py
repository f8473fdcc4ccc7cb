"""Line drawings of the guide's exercises, rendered from a figure model.

The SVG files live in static/drawings/ so that WhiteNoise and the service
worker serve them like any static file; ``manage.py render_drawings``
writes them from exercises/drawings/poses.py.
"""

from dataclasses import dataclass
from pathlib import Path

from django.utils.translation import gettext

from .poses import FIGURES, Figure
from .svg import animated, frame_of, frames

DIRECTORY = Path(__file__).resolve().parent.parent.parent / "static" / "drawings"


@dataclass(frozen=True)
class Drawing:
    """A figure's files and what a page needs to show them (sizes in pixels)."""

    figure: Figure
    width: int
    height: int

    @property
    def path(self):
        """The moving drawing, for ``{% static %}``."""
        return f"drawings/{self.figure.slug}.svg"

    @property
    def frames_path(self):
        """Start and end side by side, in black and white, for print."""
        return f"drawings/{self.figure.slug}-frames.svg"

    @property
    def alt(self):
        """What the drawing shows, in the active language (the SVG files'
        own titles stay in English: they are the same file for every page)."""
        return gettext(self.figure.alt)

    @property
    def sided(self):
        return self.figure.sided

    @property
    def frames_width(self):
        return self.width * 2

    def files(self):
        """Each file's name in DIRECTORY and the text it must hold."""
        return {
            f"{self.figure.slug}.svg": animated(self.figure),
            f"{self.figure.slug}-frames.svg": frames(self.figure),
        }


def drawing_of(figure):
    _left, _top, width, height = frame_of(figure)
    return Drawing(figure, width=round(width * 2), height=round(height * 2))


DRAWINGS = {slug: drawing_of(figure) for slug, figure in FIGURES.items()}


def drawing_for(slug):
    return DRAWINGS.get(slug)
