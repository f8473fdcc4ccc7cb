"""SVG text of a figure: the moving drawing and the printed start and end frames.

The moving drawing nests one group per segment, each turned at its joint, and
animates the turns with CSS inside the file, so it moves in an ``<img>``
without script. With ``prefers-reduced-motion`` it shows the start and end
side by side instead.
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

COLOUR = """
.bg{fill:#fff}
.s{fill:none;stroke-linecap:round;stroke-linejoin:round;stroke-width:7}
.n{stroke:#212529}.f{stroke:#98a2ad}.w{stroke:#0a58ca}
.t{stroke-width:11}
.s circle{fill:#fff;stroke-width:4}
.b{fill:#0a58ca}
.p{fill:#e9ecef;stroke:#adb5bd;stroke-width:1.5}
.g{stroke:#adb5bd;stroke-width:1.5}
"""
PRINT = """
.bg{fill:#fff}
.s{fill:none;stroke-linecap:round;stroke-linejoin:round;stroke-width:7}
.n{stroke:#000}.f{stroke:#777}.w{stroke:#000;stroke-width:9}
.t{stroke-width:11}
.s circle{fill:#fff;stroke-width:4}
.b{fill:#777}
.p{fill:#fff;stroke:#444;stroke-width:1.5}
.g{stroke:#444;stroke-width:1.5}
"""
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
        return f'{line}<circle cx="{number(pose.length(name) + HEAD)}" r="{HEAD}"/>'
    return line


def classes(figure, name):
    names = ["s", "f" if name.startswith("far") else "n"]
    if name in figure.working:
        names.append("w")
    if name == "torso":
        names.append("t")
    return " ".join(names)


def body(figure, pose, moving=None):
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
        own = f'<g class="{classes(figure, name)}">{shape(pose, name)}</g>'
        if name == "torso":
            own += belly(figure, pose, moving)
        return f"<g {attributes}>{behind}{own}{front}</g>"

    return group("torso")


def belly(figure, pose, moving):
    if "belly" not in figure.working:
        return ""
    animated = f' class="{moving["belly"]}"' if "belly" in moving else ""
    return (
        f'<g transform="{belly_placement(pose.belly)}"{animated}>'
        '<path class="b" d="M-14 0Q0 14 14 0Z"/></g>'
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


def props(figure, left, width):
    shapes = "".join(
        f"<{shape.kind} "
        + " ".join(f'{key}="{number(value)}"' for key, value in shape.attrs)
        + "/>"
        for shape in figure.props
    )
    floor = f'<line class="g" x1="{number(left)}" x2="{number(left + width)}"/>'
    return f'<g class="p">{shapes}</g>{floor}'


def header(view, alt, style):
    left, top, width, height = view
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" '
        f'viewBox="{" ".join(number(v) for v in view)}" '
        f'width="{number(width * 2)}" height="{number(height * 2)}">'
        f"<title>{escape(alt)}</title><style>{style.strip()}</style>"
        f'<rect class="bg" x="{number(left)}" y="{number(top)}" '
        f'width="{number(width)}" height="{number(height)}" rx="6"/>'
    )


def animated(figure):
    left, top, width, height = view = frame_of(figure)
    moving, css = animation(figure)
    style = (
        COLOUR
        + css
        + ".fr{display:none}"
        + "@media (prefers-reduced-motion:reduce){.mv{display:none}.fr{display:inline}}"
    )
    # Reduced motion: start and end at half size, side by side.
    y = number(top / 2 + height / 4)
    return (
        header(view, figure.alt, style)
        + f'<defs><g id="p">{props(figure, left, width)}</g></defs>'
        + f'<g class="mv"><use href="#p"/>{body(figure, figure.start, moving)}</g>'
        + f'<g class="fr"><g transform="translate({number(left / 2)} {y}) scale(.5)">'
        + f'<use href="#p"/>{body(figure, figure.start)}</g>'
        + f'<g transform="translate({number(left / 2 + width / 2)} {y}) scale(.5)">'
        + f'<use href="#p"/>{body(figure, figure.end)}</g></g></svg>\n'
    )


def frames(figure):
    """Start and end side by side, in black and white, for print."""
    left, top, width, height = frame_of(figure)
    return (
        header((left, top, width * 2, height), f"Start and end. {figure.alt}", PRINT)
        + f'<defs><g id="p">{props(figure, left, width)}</g></defs>'
        + f'<use href="#p"/>{body(figure, figure.start)}'
        + f'<g transform="translate({number(width)} 0)"><use href="#p"/>'
        + f"{body(figure, figure.end)}</g></svg>\n"
    )
