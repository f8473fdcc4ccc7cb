"""Two poses for each exercise of the guide, built to its numbers.

Change an angle or a distance here, then run ``manage.py render_drawings``:
the SVG files in static/drawings/ are this module's output, and a test
checks that they still are.
"""

import math
from dataclasses import dataclass, replace

from django.utils.translation import gettext_noop

from .figure import (
    HEEL,
    SHIN,
    THIGH,
    Pose,
    along,
    arm_to,
    leg_to,
    on_thigh,
    on_torso,
    over_knee,
    solve,
)

# The guide's numbers.
WALL_SQUAT_KNEE_BEND = 45  # "slowly bend the knees to 45 degrees"
WALL_SQUAT_FEET_FROM_WALL = 30  # "feet about 12 in (30 cm) in front of you"
LEG_RAISE_HEIGHT = 22  # "lift the straight leg 6–12 in (15–30 cm)"

MAT_TOP = -2
BED_TOP = -60
BED_END = 4
PEDAL_AXLE = (26, -34)
PEDAL_CRANK = 17
SADDLE = (0, -96)
HANDLEBAR = (58, -112)
BELT_TOP = -14


@dataclass(frozen=True)
class Shape:
    """A prop's outline: ``kind`` is an SVG element, ``attrs`` its geometry."""

    kind: str
    attrs: tuple

    def points(self):
        values = dict(self.attrs)
        if self.kind == "rect":
            x, y = values["x"], values["y"]
            return [(x, y), (x + values["width"], y + values["height"])]
        if self.kind == "line":
            return [(values["x1"], values["y1"]), (values["x2"], values["y2"])]
        x, y, r = values["cx"], values["cy"], values["r"]
        return [(x - r, y - r), (x + r, y + r)]


def rect(x, y, width, height, rx=0):
    return Shape(
        "rect", (("x", x), ("y", y), ("width", width), ("height", height), ("rx", rx))
    )


def line(x1, y1, x2, y2):
    return Shape("line", (("x1", x1), ("y1", y1), ("x2", x2), ("y2", y2)))


def circle(cx, cy, r):
    return Shape("circle", (("cx", cx), ("cy", cy), ("r", r)))


MAT = (rect(-80, MAT_TOP, 190, 2, 1),)
WALL_FACE = -2
WALL = (rect(WALL_FACE - 8, -200, 8, 200),)
BED = (
    rect(-150, BED_TOP, 150 + BED_END, 14, 3),
    rect(-146, BED_TOP + 14, 6, -BED_TOP - 14),
    rect(BED_END - 10, BED_TOP + 14, 6, -BED_TOP - 14),
)
BIKE = (
    rect(-12, SADDLE[1] + 4, 26, 5, 2),
    line(2, SADDLE[1] + 9, *PEDAL_AXLE),
    line(*PEDAL_AXLE, HANDLEBAR[0] - 8, HANDLEBAR[1] + 8),
    line(HANDLEBAR[0] - 8, HANDLEBAR[1] + 8, *HANDLEBAR),
    circle(*PEDAL_AXLE, PEDAL_CRANK),
    line(PEDAL_AXLE[0], PEDAL_AXLE[1], PEDAL_AXLE[0] - 20, -4),
    line(PEDAL_AXLE[0], PEDAL_AXLE[1], PEDAL_AXLE[0] + 36, -4),
    rect(-30, -4, 100, 4, 2),
)
TREADMILL = (
    rect(-70, BELT_TOP, 140, -BELT_TOP, 4),
    line(66, BELT_TOP, 76, -130),
    line(76, -130, 40, -106),
    rect(66, -140, 24, 12, 3),
)


@dataclass(frozen=True)
class Figure:
    """One exercise's drawing: its two poses, its props and what it shows.

    ``working`` names the limbs drawn in the highlight colour; ``sided``
    says the drawing shows the right side and is mirrored for the left.
    ``seconds`` is one way from start to end, holds included.
    """

    slug: str
    alt: str
    start: Pose
    end: Pose
    props: tuple = ()
    working: frozenset = frozenset()
    sided: bool = False
    seconds: float = 3.0


# Lying on the back, head to the left, on a mat.

LYING = Pose(
    hip=(0, MAT_TOP - 10),
    torso=180,
    angles={
        "near_upper_arm": 8,
        "near_forearm": 4,
        "far_upper_arm": 8,
        "far_forearm": 4,
    },
)


def legs_straight(pose, *, foot=-80, sides=("near", "far")):
    """Legs along the mat, heels resting on it."""
    for side in sides:
        pose = solve(
            lambda a, side=side, pose=pose: pose.with_angles(
                **{f"{side}_thigh": a, f"{side}_shin": a, f"{side}_foot": foot - a}
            ),
            lambda p, side=side: p.heel(side)[1],
            MAT_TOP,
            -5,
            15,
        )
    return pose


def knees_bent(pose, *, sides=("near", "far"), heel_x=40):
    """Knees bent, feet flat on the mat."""
    for side in sides:
        pose = leg_to(pose, side, (heel_x, MAT_TOP - 6), foot=0)
    return pose


def knee_to_chest(pose, side, *, thigh=-128, shin=30):
    return pose.with_angles(
        **{f"{side}_thigh": thigh, f"{side}_shin": shin, f"{side}_foot": shin - 70}
    )


def hands_on(pose, point, *, elbow_left=False):
    for side in ("near", "far"):
        pose = arm_to(pose, side, point, elbow_left=elbow_left)
    return pose


def hands_on_tummy(pose):
    """The forearms across the tummy, short of the hips: from there the hands
    rise to a knee without sweeping through the thighs on the way."""
    return pose.with_angles(near_forearm=-40, far_forearm=-40)


# Standing, facing right.


def standing(hip_x, *, ankle_x=None, knee_bend=0.0, floor=0.0, foot=0.0):
    """Upright, both feet flat at ``ankle_x``, knees bent ``knee_bend`` degrees."""
    ankle = (hip_x if ankle_x is None else ankle_x, floor - 6)
    # The hip-to-ankle span for that bend (law of cosines), then the height.
    span = math.sqrt(
        THIGH**2 + SHIN**2 + 2 * THIGH * SHIN * math.cos(math.radians(knee_bend))
    )
    height = math.sqrt(span**2 - (ankle[0] - hip_x) ** 2)
    pose = Pose(hip=(hip_x, ankle[1] - height), torso=-90, angles=ARMS_DOWN)
    return leg_to(leg_to(pose, "near", ankle, foot=foot), "far", ankle, foot=foot)


ARMS_DOWN = {
    "near_upper_arm": 84,
    "near_forearm": 72,
    "far_upper_arm": 92,
    "far_forearm": 80,
}


def wall_squat(knee_bend):
    """Back on the wall, heels 30 cm from it, knees bent ``knee_bend`` degrees."""
    heels = WALL_FACE + WALL_SQUAT_FEET_FROM_WALL
    return standing(WALL_FACE + 7, ankle_x=heels - HEEL[0], knee_bend=knee_bend)


def heels_up(pose, foot):
    """``pose`` risen onto the toes: the feet turn about the toes by ``foot``."""
    risen = pose.with_angles(near_foot=foot, far_foot=foot)
    (x, y), (moved_x, moved_y) = pose.toe("near"), risen.toe("near")
    return risen.moved(hip=(pose.hip[0] + x - moved_x, pose.hip[1] + y - moved_y))


def pedalling(crank):
    """Seated on the bike, the near pedal at ``crank`` degrees, the far opposite."""
    pose = Pose(hip=SADDLE, torso=-76, angles={"neck": -70})
    pose = leg_to(pose, "near", along(PEDAL_AXLE, crank, PEDAL_CRANK), foot=12)
    pose = leg_to(pose, "far", along(PEDAL_AXLE, crank + 180, PEDAL_CRANK), foot=12)
    for side in ("near", "far"):
        pose = arm_to(pose, side, HANDLEBAR, elbow_left=False)
    return pose


def striding(near_thigh, far_thigh, near_knee, far_knee):
    """Running on the belt: thighs and knee bends per side, arms swinging."""
    pose = Pose(hip=(0, BELT_TOP - 90), torso=-84, angles={"neck": -84})
    angles = {
        "near_thigh": near_thigh,
        "near_shin": near_thigh + near_knee,
        "near_foot": 0,
        "far_thigh": far_thigh,
        "far_shin": far_thigh + far_knee,
        "far_foot": 0,
        # Each arm swings with the other side's leg, the elbow bent.
        "near_upper_arm": far_thigh,
        "near_forearm": far_thigh - 95,
        "far_upper_arm": near_thigh,
        "far_forearm": near_thigh - 95,
    }
    pose = pose.with_angles(**angles)
    lowest = max(
        point[1]
        for side in ("near", "far")
        for point in (pose.heel(side), pose.toe(side))
    )
    return pose.moved(hip=(0, pose.hip[1] + BELT_TOP - lowest))


def _figures():
    lying_straight = legs_straight(LYING)
    lying_bent = knees_bent(LYING)

    heel_slide_end = knees_bent(lying_straight, sides=("near",), heel_x=34)
    heel_slide_end = heel_slide_end.with_angles(near_foot=-10)

    # Elbows out to the sides: the arms point partly at the viewer.
    elbows_out = replace(
        lying_bent,
        lengths={
            f"{side}_{part}": length
            for side in ("near", "far")
            for part, length in (("upper_arm", 15), ("forearm", 17))
        },
    )
    hands_below_ribs = hands_on(elbows_out, on_torso(elbows_out, 0.6, 10))

    raised = solve(
        lambda a: legs_straight(lying_bent, sides=("near",)).with_angles(
            near_thigh=-a, near_shin=-a, near_foot=-80 - a
        ),
        lambda p: p.heel("near")[1],
        MAT_TOP - LEG_RAISE_HEIGHT,
        0,
        40,
    )

    # The hands hug the knee from the head's side, elbows clear of the body:
    # a hand on the thigh's line, reached from the tummy, read as an arm
    # pushed through the thigh.
    chest_start = hands_on_tummy(lying_bent)
    chest = knee_to_chest(chest_start, "near")
    chest = hands_on(chest, over_knee(chest, "near", 4))

    # Hip flexor stretch: on a bed, hips at its end, both knees to the chest,
    # the hands hugging the far one. The near leg, folded tight, swings over
    # and down past the bed's end: it unfolds as it goes, so the end pose
    # keeps the thigh just below level and the shin tucked back under it,
    # which keeps every frame of the swing inside the picture.
    on_bed = Pose(hip=(0, BED_TOP - 10), torso=180, angles=LYING.angles)
    both_knees = knee_to_chest(on_bed, "near", thigh=-120, shin=40)
    both_knees = knee_to_chest(both_knees, "far", thigh=-120)
    both_knees = hands_on(both_knees, over_knee(both_knees, "far", 4))
    lowered = both_knees.with_angles(near_thigh=16, near_shin=124, near_foot=65)

    # Piriformis: the near ankle crossed over the far knee, which comes to the
    # chest. The crossed thigh points out to the side, partly at the viewer,
    # its knee towards the feet; the hands hold the front of the far thigh.
    def crossed(pose):
        knee = pose.knee("far")
        return leg_to(
            pose, "near", (knee[0] - 2, knee[1] - 5), foot=-70, knee_left=False
        )

    turned_out = replace(LYING, lengths={"near_thigh": 32, "near_shin": 36})
    crossed_start = crossed(hands_on_tummy(knees_bent(turned_out, sides=("far",))))
    crossed_end = knee_to_chest(crossed_start, "far", thigh=-115, shin=25)
    crossed_end = crossed(
        hands_on(crossed_end, on_thigh(crossed_end, "far", 0.95, out=4))
    )

    return (
        Figure(
            slug="ankle-pumps",
            alt=gettext_noop(
                "Lying flat on your back, legs straight: the feet pull the toes up "
                "towards you, then point them away."
            ),
            start=lying_straight,
            end=lying_straight.with_angles(near_foot=-20, far_foot=-20),
            props=MAT,
            working=frozenset({"near_foot", "far_foot"}),
            seconds=1.2,
        ),
        Figure(
            slug="heel-slides",
            alt=gettext_noop(
                "Lying on your back, legs straight: one heel slides along the floor "
                "towards you, bending the knee, then slides back until the leg is "
                "straight."
            ),
            start=lying_straight,
            end=heel_slide_end,
            props=MAT,
            working=frozenset({"near_thigh", "near_shin", "near_foot"}),
            seconds=2.5,
        ),
        Figure(
            slug="abdominal-contraction",
            alt=gettext_noop(
                "Lying on your back, knees bent, hands resting just below your ribs: "
                "the tummy tightens and flattens as the ribs draw down towards your "
                "back, holds, then relaxes."
            ),
            start=hands_below_ribs,
            end=hands_below_ribs.moved(belly=0.3),
            props=MAT,
            working=frozenset({"belly"}),
            seconds=2.5,
        ),
        Figure(
            slug="wall-squats",
            alt=gettext_noop(
                "Standing with your back against a wall, feet about 30 cm in front of "
                "it: you slide down until your knees are bent to 45 degrees, hold, "
                "then slide back up to standing."
            ),
            start=wall_squat(0),
            end=wall_squat(WALL_SQUAT_KNEE_BEND),
            props=WALL,
            working=frozenset({"near_thigh", "near_shin"}),
            seconds=3,
        ),
        Figure(
            slug="heel-raises",
            alt=gettext_noop(
                "Standing tall, weight even on both feet: the heels rise slowly off "
                "the floor, then lower again."
            ),
            start=standing(0),
            end=heels_up(standing(0), 34),
            working=frozenset({"near_foot", "far_foot"}),
            seconds=2.5,
        ),
        Figure(
            slug="straight-leg-raises",
            alt=gettext_noop(
                "Lying on your back, one knee bent: the straight leg rises about "
                "20 cm (15 to 30 cm) off the floor, holds, then lowers slowly."
            ),
            start=legs_straight(lying_bent, sides=("near",)),
            end=raised,
            props=MAT,
            working=frozenset({"near_thigh", "near_shin", "near_foot"}),
            seconds=3,
        ),
        Figure(
            slug="knee-to-chest",
            alt=gettext_noop(
                "Lying on your back, knees bent, hands on your tummy: your hands "
                "hug the right knee and draw it to your chest, hold, then let it go "
                "back. Repeat with the left leg."
            ),
            start=chest_start,
            end=chest,
            props=MAT,
            working=frozenset({"near_thigh", "near_shin", "near_foot"}),
            sided=True,
            seconds=3,
        ),
        Figure(
            slug="hip-flexor-stretch",
            alt=gettext_noop(
                "Lying on your back on a bed, both knees drawn to your chest: the "
                "right leg lowers slowly, knee bent, until the hip and thigh stretch, "
                "holds, then comes back. Repeat with the left leg."
            ),
            start=both_knees,
            end=lowered,
            props=BED,
            working=frozenset({"near_thigh", "near_shin", "near_foot"}),
            sided=True,
            seconds=3.5,
        ),
        Figure(
            slug="piriformis-stretch",
            alt=gettext_noop(
                "Lying on your back with the right leg crossed over the left knee: "
                "your hands draw the left knee towards your chest until the right "
                "hip stretches, hold, then relax. Repeat with the legs the other way "
                "round."
            ),
            start=crossed_start,
            end=crossed_end,
            props=MAT,
            working=frozenset({"near_thigh", "near_shin", "near_foot"}),
            sided=True,
            seconds=3,
        ),
        Figure(
            slug="stationary-bike",
            alt=gettext_noop(
                "Seated on a stationary bike, back straight and tummy braced, hands "
                "on the handlebars: the legs pedal steadily."
            ),
            start=pedalling(-90),
            end=pedalling(90),
            props=BIKE,
            seconds=0.6,
        ),
        Figure(
            slug="treadmill",
            alt=gettext_noop(
                "Running on a treadmill, back straight and tummy braced, arms "
                "swinging: steady strides."
            ),
            start=striding(58, 116, 40, 80),
            end=striding(116, 58, 80, 40),
            props=TREADMILL,
            seconds=0.45,
        ),
    )


FIGURES = {figure.slug: figure for figure in _figures()}
