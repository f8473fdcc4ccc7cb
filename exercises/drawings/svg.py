"""SVG text of a figure: the moving drawing and the printed start and end frames.

The moving drawing nests one group per segment, each turned at its joint, and
animates the turns with CSS inside the file, so it moves in an ``<img>``
without script. With ``prefers-reduced-motion`` it shows the start and end
side by side instead. Colours and strokes are presentation attributes: opened
on its own, under the site's policy (style-src 'self', no inline style), a
drawing is drawn in its start pose, standing still.
"""

from .figure import BELLY_AT, HEAD, HEEL, TOE

MARGIN = 8
#: The frame's width to height, between these: lying figures are wide.
WIDEST = 2.0
NARROWEST = 4 / 3

#: Segment, parent, drawn in this order among the parent's children: the far
#: limbs behind the body, the near ones in front.
BODY = (
    ("torso", None),
    ("far_upper_arm", "torso"),
    ("far_forearm", "far_upper_arm"),
    ("far_thigh", "torso"),
    ("far_shin", "far_thigh"),
    ("far_foot", "far_shin"),
    ("neck", "torso"),
    ("near_thigh", "torso"),
    ("near_shin", "near_thigh"),
    ("near_foot", "near_shin"),
    ("near_upper_arm", "torso"),
    ("near_forearm", "near_upper_arm"),
)
PARENT = dict(BODY)
CHILDREN = {}
for _name, _parent in BODY:
    CHILDREN.setdefault(_parent, []).append(_name)
#: Where on its parent a segment hangs: at the parent's end, or (the thighs)
#: at its start.
AT_START = {"far_thigh", "near_thigh"}

#: Colours and strokes as presentation attributes, not a ``<style>``: a
#: drawing opened on its own is a document under the site's Content Security
#: Policy (style-src 'self'), which refuses an inline style. The only style
#: in a file is its motion, which the drawing does without when refused.
COLOUR = {
    "background": "#fff",
    "near": "#212529",
    "far": "#98a2ad",
    "working": "#0a58ca",
    "working_width": None,
    "belly": "#0a58ca",
    "prop_fill": "#e9ecef",
    "prop_stroke": "#adb5bd",
}
PRINT = {
    "background": "#fff",
    "near": "#000",
    "far": "#777",
    "working": "#000",
    "working_width": 9,
    "belly": "#777",
    "prop_fill": "#fff",
    "prop_stroke": "#444",
}
#: What every limb inherits from the figure's group: round ends, 7 wide.
LIMBS = 'fill="none" stroke-linecap="round" stroke-linejoin="round" stroke-width="7"'
HEAD_LOOK = 'fill="#fff" stroke-width="4"'
TORSO_WIDTH = 11
FOOT = f"M0 0L{HEEL[0]:g} {HEEL[1]:g}H{TOE[0]:g}"  # ankle, heel, toe


def number(value):
    text = f"{value:.1f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def escape(text):
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def frame_of(figure):
    """The view box (x, y, width, height) around both poses, props and floor."""
    points = [*figure.start.points(), *figure.end.points()]
    for shape in figure.props:
        points.extend(shape.points())
    xs, ys = [x for x, _ in points], [y for _, y in points]
    left, top = min(xs) - MARGIN, min(ys) - MARGIN
    width, height = max(xs) + MARGIN - left, max(0, *ys) + MARGIN - top
    if width / height > WIDEST:
        top -= width / WIDEST - height
        height = width / WIDEST
    elif width / height < NARROWEST:
        left -= (height * NARROWEST - width) / 2
        width = height * NARROWEST
    return left, top, width, height


def turn(pose, name):
    """A segment's turn at its joint: relative to its parent, or absolute."""
    parent = PARENT[name]
    return pose.angle(name) - (pose.angle(parent) if parent else 0)


def closest(start, end):
    """``end`` moved by whole turns to be as near ``start`` as it can."""
    return start + ((end - start + 180) % 360 - 180)


def placement(pose, name, angle, *, css=False):
    """The transform that hangs a segment on its parent and turns it."""
    px, deg, comma = ("px", "deg", ",") if css else ("", "", " ")
    if PARENT[name] is None:
        x, y = pose.hip
    else:
        x, y = (0, 0) if name in AT_START else (pose.length(PARENT[name]), 0)
    shift = (
        f"translate({number(x)}{px}{comma}{number(y)}{px}) " if (x, y) != (0, 0) else ""
    )
    return f"{shift}rotate({number(angle)}{deg})"


def belly_placement(belly, *, css=False):
    px, comma = ("px", ",") if css else ("", " ")
    return f"translate({BELLY_AT}{px}{comma}5{px}) scale(1{comma}{number(belly)})"


def shape(pose, name):
    if name.endswith("foot"):
        return f'<path d="{FOOT}"/>'
    line = f'<line x2="{number(pose.length(name))}"/>'
    if name == "neck":
        circle = f'<circle cx="{number(pose.length(name) + HEAD)}" r="{HEAD}" '
        return f"{line}{circle}{HEAD_LOOK}/>"
    return line


def look(figure, name, palette):
    """A segment's stroke where it differs from a near limb's."""
    attributes = {}
    if name.startswith("far"):
        attributes["stroke"] = palette["far"]
    if name in figure.working:
        attributes["stroke"] = palette["working"]
        if palette["working_width"]:
            attributes["stroke-width"] = palette["working_width"]
    if name == "torso":
        attributes["stroke-width"] = TORSO_WIDTH
    return "".join(f' {key}="{value}"' for key, value in attributes.items())


def body(figure, pose, palette, moving=None):
    """The figure in ``pose``; ``moving`` names the animated segments' classes."""
    moving = moving or {}

    def group(name):
        attributes = f'transform="{placement(pose, name, turn(pose, name))}"'
        if name in moving:
            attributes += f' class="{moving[name]}"'
        children = CHILDREN.get(name, [])
        behind = "".join(group(child) for child in children if child.startswith("far"))
        front = "".join(
            group(child) for child in children if not child.startswith("far")
        )
        own = f"<g{look(figure, name, palette)}>{shape(pose, name)}</g>"
        if name == "torso":
            own += belly(figure, pose, palette, moving)
        return f"<g {attributes}>{behind}{own}{front}</g>"

    return f'<g {LIMBS} stroke="{palette["near"]}">{group("torso")}</g>'


def belly(figure, pose, palette, moving):
    if "belly" not in figure.working:
        return ""
    animated = f' class="{moving["belly"]}"' if "belly" in moving else ""
    return (
        f'<g transform="{belly_placement(pose.belly)}"{animated}>'
        f'<path fill="{palette["belly"]}" stroke="none" d="M-14 0Q0 14 14 0Z"/></g>'
    )


def animation(figure):
    """The moving segments' classes and the CSS that moves them."""
    start, end = figure.start, figure.end
    moving, rules = {}, []
    for index, (name, _parent) in enumerate(BODY):
        first = turn(start, name)
        last = closest(first, turn(end, name))
        moved = abs(last - first) >= 0.05 or (name == "torso" and start.hip != end.hip)
        if moved:
            moving[name] = f"m a{index}"
            rules.append(
                keyframes(
                    index,
                    placement(start, name, first, css=True),
                    placement(end, name, last, css=True),
                )
            )
    if start.belly != end.belly:
        moving["belly"] = "m ab"
        rules.append(
            keyframes(
                "b",
                belly_placement(start.belly, css=True),
                belly_placement(end.belly, css=True),
            )
        )
    # Alternating, each end is held for 40% of a cycle: the guide's hold.
    timing = f".m{{animation:{number(figure.seconds)}s ease-in-out infinite alternate}}"
    return moving, timing + "".join(rules)


def keyframes(index, start, end):
    return (
        f".a{index}{{animation-name:k{index}}}"
        f"@keyframes k{index}{{0%,20%{{transform:{start}}}80%,100%{{transform:{end}}}}}"
    )


def props(figure, left, width, palette):
    shapes = "".join(
        f"<{shape.kind} "
        + " ".join(f'{key}="{number(value)}"' for key, value in shape.attrs)
        + "/>"
        for shape in figure.props
    )
    floor = f'<line x1="{number(left)}" x2="{number(left + width)}"/>'
    return (
        f'<g stroke="{palette["prop_stroke"]}" stroke-width="1.5">'
        f'<g fill="{palette["prop_fill"]}">{shapes}</g>{floor}</g>'
    )


def header(view, alt, palette, style=""):
    left, top, width, height = view
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" '
        f'viewBox="{" ".join(number(v) for v in view)}" '
        f'width="{number(width * 2)}" height="{number(height * 2)}">'
        f"<title>{escape(alt)}</title>"
        + (f"<style>{style}</style>" if style else "")
        + f'<rect fill="{palette["background"]}" x="{number(left)}" '
        f'y="{number(top)}" width="{number(width)}" height="{number(height)}" rx="6"/>'
    )


def animated(figure):
    left, top, width, height = view = frame_of(figure)
    moving, css = animation(figure)
    # Motion only: refused (the site's policy on the file opened alone), the
    # drawing stands still in its start pose.
    style = (
        css
        + "@media (prefers-reduced-motion:reduce){.mv{display:none}.fr{display:inline}}"
    )
    # Reduced motion: start and end at half size, side by side.
    y = number(top / 2 + height / 4)
    return (
        header(view, figure.alt, COLOUR, style)
        + f'<defs><g id="p">{props(figure, left, width, COLOUR)}</g></defs>'
        + '<g class="mv"><use href="#p"/>'
        + f"{body(figure, figure.start, COLOUR, moving)}</g>"
        + '<g class="fr" display="none">'
        + f'<g transform="translate({number(left / 2)} {y}) scale(.5)">'
        + f'<use href="#p"/>{body(figure, figure.start, COLOUR)}</g>'
        + f'<g transform="translate({number(left / 2 + width / 2)} {y}) scale(.5)">'
        + f'<use href="#p"/>{body(figure, figure.end, COLOUR)}</g></g></svg>\n'
    )


def frames(figure):
    """Start and end side by side, in black and white, for print."""
    left, top, width, height = frame_of(figure)
    alt = f"Start and end. {figure.alt}"
    return (
        header((left, top, width * 2, height), alt, PRINT)
        + f'<defs><g id="p">{props(figure, left, width, PRINT)}</g></defs>'
        + f'<use href="#p"/>{body(figure, figure.start, PRINT)}'
        + f'<g transform="translate({number(width)} 0)"><use href="#p"/>'
        + f"{body(figure, figure.end, PRINT)}</g></svg>\n"
    )
