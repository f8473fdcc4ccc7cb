"""A side-on stick figure: body segments, joint angles and where they put
the hands, heels and head.

Units are centimetres on the page: x to the right, y down, the floor at
y = 0 (so heights above it are negative). Angles are absolute, in degrees,
clockwise on the page (0 points right, 90 down, -90 up), as SVG rotates.
The figure faces right when standing; lying on its back it is the standing
figure turned a quarter to the left, head to the left, face up. Its "near"
limbs are the ones towards the viewer: the right arm and leg.
"""

import math
from dataclasses import dataclass, field, replace

TORSO = 50
NECK = 6
HEAD = 10
UPPER_ARM = 28
FOREARM = 26
THIGH = 44
SHIN = 43
#: The foot, in its own frame: the ankle at (0, 0), the sole on the +y side.
HEEL = (-3.0, 6.0)
TOE = (16.0, 6.0)
#: The belly's bulge, along the torso from the hip, on its front (+y) side.
BELLY_AT = 23

SIDES = ("far", "near")
LENGTHS = {
    "torso": TORSO,
    "neck": NECK,
    "upper_arm": UPPER_ARM,
    "forearm": FOREARM,
    "thigh": THIGH,
    "shin": SHIN,
}


def direction(angle):
    radians = math.radians(angle)
    return math.cos(radians), math.sin(radians)


def rotate(point, angle):
    cos, sin = direction(angle)
    x, y = point
    return x * cos - y * sin, x * sin + y * cos


def add(a, b):
    return a[0] + b[0], a[1] + b[1]


def along(start, angle, length):
    dx, dy = direction(angle)
    return start[0] + dx * length, start[1] + dy * length


def distance(a, b):
    return math.hypot(b[0] - a[0], b[1] - a[1])


def angle_of(start, end):
    return math.degrees(math.atan2(end[1] - start[1], end[0] - start[0]))


def bend(angle_in, angle_out):
    """How far a joint is bent, 0 when straight, in degrees."""
    return abs((angle_out - angle_in + 180) % 360 - 180)


def reach(start, target, first, second, *, joint_left):
    """Absolute angles of two segments from ``start`` ending at ``target``.

    The middle joint (knee, elbow) lies on the left of the line from start to
    target, looking along it, or on its right. A target out of reach is
    approached in a straight line.
    """
    span = min(distance(start, target), first + second - 1e-9)
    base = angle_of(start, target)
    cos_a = (first**2 + span**2 - second**2) / (2 * first * span)
    offset = math.degrees(math.acos(max(-1.0, min(1.0, cos_a))))
    upper = base - offset if joint_left else base + offset
    middle = along(start, upper, first)
    return upper, angle_of(middle, along(start, base, span))


@dataclass(frozen=True)
class Pose:
    """Where the hips are, the torso's angle and every limb's.

    ``angles`` holds ``neck`` and, per side, ``near_thigh``, ``far_foot``…
    A missing neck follows the torso. ``belly`` is how far the belly bulges
    (1 relaxed, less when drawn in). ``lengths`` shortens a segment that
    points partly towards the viewer (an elbow out to the side), by name.
    """

    hip: tuple
    torso: float
    angles: dict = field(default_factory=dict)
    belly: float = 1.0
    lengths: dict = field(default_factory=dict)

    def angle(self, name):
        if name == "torso":
            return self.torso
        if name == "neck":
            return self.angles.get("neck", self.torso)
        return self.angles[name]

    def length(self, name):
        return self.lengths.get(
            name, LENGTHS[name.removeprefix("near_").removeprefix("far_")]
        )

    def with_angles(self, **angles):
        return replace(self, angles={**self.angles, **angles})

    def moved(self, *, hip=None, belly=None):
        return replace(
            self,
            hip=self.hip if hip is None else hip,
            belly=self.belly if belly is None else belly,
        )

    # Where things are.

    @property
    def shoulder(self):
        return along(self.hip, self.torso, self.length("torso"))

    @property
    def head(self):
        return along(self.shoulder, self.angle("neck"), self.length("neck") + HEAD)

    def elbow(self, side):
        return along(
            self.shoulder,
            self.angle(f"{side}_upper_arm"),
            self.length(f"{side}_upper_arm"),
        )

    def hand(self, side):
        return along(
            self.elbow(side),
            self.angle(f"{side}_forearm"),
            self.length(f"{side}_forearm"),
        )

    def knee(self, side):
        return along(
            self.hip, self.angle(f"{side}_thigh"), self.length(f"{side}_thigh")
        )

    def ankle(self, side):
        return along(
            self.knee(side), self.angle(f"{side}_shin"), self.length(f"{side}_shin")
        )

    def heel(self, side):
        return add(self.ankle(side), rotate(HEEL, self.angle(f"{side}_foot")))

    def toe(self, side):
        return add(self.ankle(side), rotate(TOE, self.angle(f"{side}_foot")))

    def knee_bend(self, side):
        return bend(self.angle(f"{side}_thigh"), self.angle(f"{side}_shin"))

    def elbow_bend(self, side):
        return bend(self.angle(f"{side}_upper_arm"), self.angle(f"{side}_forearm"))

    def points(self):
        """Every drawn point, for the picture's frame."""
        head_x, head_y = self.head
        yield from ((head_x - HEAD, head_y - HEAD), (head_x + HEAD, head_y + HEAD))
        yield self.hip
        yield self.shoulder
        for side in SIDES:
            yield from (self.elbow(side), self.hand(side), self.knee(side))
            yield from (self.ankle(side), self.heel(side), self.toe(side))


# Building poses: helpers that place a limb or the whole body from a target,
# so that a number from the guide (45 degrees, 30 cm) is the input.


def leg_to(pose, side, ankle, *, foot, knee_left=True):
    """The pose with ``side``'s ankle at ``ankle`` and its foot at ``foot``.

    The knee bends the way knees do: up when lying on the back, forward when
    standing (both on the left of the line from hip to ankle). A leg turned
    out to the side (``knee_left=False``) shows its knee on the other side.
    """
    lengths = pose.length(f"{side}_thigh"), pose.length(f"{side}_shin")
    thigh, shin = reach(pose.hip, ankle, *lengths, joint_left=knee_left)
    return pose.with_angles(
        **{f"{side}_thigh": thigh, f"{side}_shin": shin, f"{side}_foot": foot}
    )


def arm_to(pose, side, hand, *, elbow_left=False):
    lengths = pose.length(f"{side}_upper_arm"), pose.length(f"{side}_forearm")
    upper, fore = reach(pose.shoulder, hand, *lengths, joint_left=elbow_left)
    return pose.with_angles(**{f"{side}_upper_arm": upper, f"{side}_forearm": fore})


def on_thigh(pose, side, fraction, out=0):
    """A point ``fraction`` of the way along ``side``'s thigh to the knee, ``out``
    cm off its line on the front (where a hand holding it rests)."""
    angle = pose.angle(f"{side}_thigh")
    return add(
        along(pose.hip, angle, pose.length(f"{side}_thigh") * fraction),
        rotate((0, -out), angle),
    )


def over_knee(pose, side, out):
    """A point ``out`` cm beyond ``side``'s knee, on the knee cap: away from
    both the hip and the ankle, where hands hugging the knee rest."""
    knee = pose.knee(side)
    back = pose.angle(f"{side}_thigh") + 180
    down = pose.angle(f"{side}_shin")
    # Straight out from the knee, halfway between the two bones' far sides.
    middle = back + ((down - back + 180) % 360 - 180) / 2
    return along(knee, middle + 180, out)


def on_torso(pose, fraction, out):
    """A point ``fraction`` of the way up the torso, ``out`` cm in front of it."""
    return add(
        along(pose.hip, pose.torso, TORSO * fraction), rotate((0, out), pose.torso)
    )


def solve(make, measure, target, low, high, steps=60):
    """The pose ``make(x)`` for x in [low, high] whose ``measure`` is ``target``.

    ``measure(make(x))`` must rise or fall steadily with x (bisection).
    """
    rising = measure(make(high)) > measure(make(low))
    for _ in range(steps):
        middle = (low + high) / 2
        if (measure(make(middle)) < target) == rising:
            low = middle
        else:
            high = middle
    return make((low + high) / 2)
