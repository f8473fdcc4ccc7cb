"""The drawings: drawn to the guide's numbers, and the committed files are
what the figure model renders today."""

import gzip
import re
from dataclasses import replace

import pytest
from django.core.management import call_command

from exercises.drawings import DIRECTORY, DRAWINGS
from exercises.drawings.figure import SIDES, bend, distance
from exercises.drawings.poses import BED_TOP, BELT_TOP, MAT_TOP, PEDAL_AXLE, WALL_FACE
from exercises.drawings.svg import BODY, closest, frame_of, turn

SEED_EXERCISES = {
    "ankle-pumps",
    "heel-slides",
    "abdominal-contraction",
    "wall-squats",
    "heel-raises",
    "straight-leg-raises",
    "knee-to-chest",
    "hip-flexor-stretch",
    "piriformis-stretch",
    "stationary-bike",
    "treadmill",
}
SIDED = {"knee-to-chest", "hip-flexor-stretch", "piriformis-stretch"}
LYING = SEED_EXERCISES - {"wall-squats", "heel-raises", "stationary-bike", "treadmill"}


def poses(slug):
    figure = DRAWINGS[slug].figure
    return figure.start, figure.end


def resting_on(point, surface, tolerance=2.5):
    """``point`` touches ``surface`` (a height), give or take the stroke."""
    return abs(point[1] - surface) <= tolerance


def test_every_exercise_of_the_guide_has_a_drawing_and_only_those():
    assert set(DRAWINGS) == SEED_EXERCISES


def test_the_each_side_exercises_are_drawn_for_one_side():
    assert {slug for slug, drawing in DRAWINGS.items() if drawing.sided} == SIDED


@pytest.mark.parametrize("slug", sorted(SEED_EXERCISES))
def test_each_drawing_moves_between_two_different_poses(slug):
    start, end = poses(slug)
    assert start != end


# The guide's numbers, measured on the figure.


def test_the_wall_squat_bends_the_knees_to_45_degrees_with_the_feet_30_cm_out():
    start, end = poses("wall-squats")
    assert start.knee_bend("near") == pytest.approx(0, abs=0.5)
    assert end.knee_bend("near") == pytest.approx(45, abs=0.5)
    for pose in (start, end):
        assert pose.heel("near")[0] - WALL_FACE == pytest.approx(30, abs=0.5)
        assert resting_on(pose.heel("near"), 0) and resting_on(pose.toe("near"), 0)
        # The back stays on the wall: the torso upright, a body's half-width out.
        assert pose.torso == -90
        assert 0 < pose.hip[0] - WALL_FACE <= 10


def test_the_straight_leg_rises_15_to_30_cm_and_the_other_knee_stays_bent():
    start, end = poses("straight-leg-raises")
    assert resting_on(start.heel("near"), MAT_TOP)
    lifted = MAT_TOP - end.heel("near")[1]
    assert 15 <= lifted <= 30
    for pose in (start, end):
        assert pose.knee_bend("near") == pytest.approx(0, abs=0.5)
        assert pose.knee_bend("far") > 60
        assert resting_on(pose.heel("far"), MAT_TOP)


def test_the_heel_slide_bends_one_knee_with_the_heel_on_the_floor():
    start, end = poses("heel-slides")
    assert start.knee_bend("near") < 5 and end.knee_bend("near") > 60
    for pose in (start, end):
        assert resting_on(pose.heel("near"), MAT_TOP, tolerance=6)
        assert pose.knee_bend("far") < 5


def test_the_ankle_pumps_move_only_the_feet_up_and_down():
    start, end = poses("ankle-pumps")
    assert start.hip == end.hip and start.knee("near") == end.knee("near")
    assert bend(start.angle("near_foot"), end.angle("near_foot")) >= 45
    assert start.toe("near")[0] < end.toe("near")[0]  # toes towards you, then away


def test_the_abdominal_contraction_lies_with_knees_bent_and_hands_below_the_ribs():
    start, end = poses("abdominal-contraction")
    assert start.knee_bend("near") > 60 and start.knee_bend("far") > 60
    for side in ("near", "far"):
        hand = start.hand(side)
        # Below the ribs: on the front of the body, between hip and shoulder.
        assert start.shoulder[0] < hand[0] < start.hip[0]
        assert hand[1] < start.hip[1]
    assert end.belly < start.belly
    assert (start.hand("near"), start.knee("near")) == (
        end.hand("near"),
        end.knee("near"),
    )


def test_the_heel_raise_lifts_the_heels_on_still_toes():
    start, end = poses("heel-raises")
    assert end.toe("near") == pytest.approx(start.toe("near"))
    assert resting_on(start.heel("near"), 0)
    assert start.heel("near")[1] - end.heel("near")[1] > 5
    for pose in (start, end):
        assert pose.knee_bend("near") < 1 and pose.torso == -90


def test_the_knee_to_chest_draws_one_knee_up_held_by_both_hands():
    start, end = poses("knee-to-chest")
    assert start.knee_bend("near") > 60 and start.knee_bend("far") > 60
    assert (
        distance(end.knee("near"), end.shoulder)
        < distance(start.knee("near"), start.shoulder) - 25
    )
    for side in ("near", "far"):
        assert distance(end.hand(side), end.knee("near")) < 12
    assert end.knee("far") == start.knee("far")


def test_the_hip_flexor_stretch_lowers_one_bent_leg_below_the_bed():
    start, end = poses("hip-flexor-stretch")
    assert resting_on((0, start.hip[1] + 10), BED_TOP)
    for side in ("near", "far"):
        assert start.knee(side)[1] < start.hip[1]  # both knees to the chest
    assert end.knee("near")[1] > BED_TOP  # lowered past the bed's top
    assert end.knee_bend("near") > 45  # the knee kept bent
    assert end.knee("far") == start.knee("far")


def test_the_piriformis_stretch_keeps_the_ankle_on_the_knee_it_draws_in():
    start, end = poses("piriformis-stretch")
    for pose in (start, end):
        assert distance(pose.ankle("near"), pose.knee("far")) < 8
    assert distance(end.knee("far"), end.shoulder) < distance(
        start.knee("far"), start.shoulder
    )
    assert resting_on(start.heel("far"), MAT_TOP, tolerance=6)


@pytest.mark.parametrize("slug", sorted(LYING - {"hip-flexor-stretch"}))
def test_a_lying_exercise_lies_on_its_back_on_the_mat(slug):
    for pose in poses(slug):
        assert pose.torso == 180  # head to the left, face up
        assert resting_on((0, pose.head[1] + 10), MAT_TOP)
        assert resting_on((0, pose.hip[1] + 10), MAT_TOP)


def test_the_bike_rider_sits_with_a_straight_back_and_feet_on_the_pedals():
    for pose in poses("stationary-bike"):
        assert -90 < pose.torso < -60
        assert pose.angle("neck") == pytest.approx(pose.torso, abs=10)
        for side in ("near", "far"):
            assert distance(pose.ankle(side), PEDAL_AXLE) == pytest.approx(17, abs=0.5)


def test_the_runner_keeps_the_back_straight_with_a_foot_on_the_belt():
    for pose in poses("treadmill"):
        assert -95 < pose.torso < -80
        lowest = max(
            point[1]
            for side in ("near", "far")
            for point in (pose.heel(side), pose.toe(side))
        )
        assert lowest == pytest.approx(BELT_TOP, abs=0.5)


# Every frame of the moving drawing, the ones between start and end included.

#: Half a limb's stroke (svg.py draws limbs 7 wide): a joint this close to
#: the frame's edge is cut off.
HALF_STROKE = 3.5
#: Half the trunk's stroke (11) and half an arm's: an elbow nearer the trunk's
#: line than this is drawn inside it.
TRUNK_AND_ARM = 11 / 2 + HALF_STROKE
FRACTIONS = [step / 40 for step in range(41)]


def moving_poses(figure):
    """The poses the moving drawing passes through, as its animation turns
    them: each joint evenly from its start turn to its end turn (the
    shorter way round), the hips in a straight line."""
    start, end = figure.start, figure.end
    for fraction in FRACTIONS:
        angles = {}
        for name, parent in BODY:
            first = turn(start, name)
            last = closest(first, turn(end, name))
            relative = first + (last - first) * fraction
            angles[name] = relative + (angles[parent] if parent else 0)
        hip = tuple(
            a + (b - a) * fraction for a, b in zip(start.hip, end.hip, strict=True)
        )
        torso = angles.pop("torso")
        yield fraction, replace(start, hip=hip, torso=torso, angles=angles)


def bones(pose):
    """The figure's straight segments, by name, as (from, to) points."""
    found = {"torso": (pose.hip, pose.shoulder)}
    for side in SIDES:
        found[f"{side}_upper_arm"] = (pose.shoulder, pose.elbow(side))
        found[f"{side}_forearm"] = (pose.elbow(side), pose.hand(side))
        found[f"{side}_thigh"] = (pose.hip, pose.knee(side))
        found[f"{side}_shin"] = (pose.knee(side), pose.ankle(side))
    return found


def clearance(point, segment):
    """How far ``point`` is from the nearest point of ``segment``."""
    (ax, ay), (bx, by) = segment
    length = distance(*segment) ** 2
    along = ((point[0] - ax) * (bx - ax) + (point[1] - ay) * (by - ay)) / length
    along = min(1, max(0, along))
    return distance(point, (ax + (bx - ax) * along, ay + (by - ay) * along))


def side_of(point, segment):
    """How far ``point`` lies left (< 0) or right (> 0) of the line through
    ``segment``, in centimetres."""
    (ax, ay), (bx, by) = segment
    return ((bx - ax) * (point[1] - ay) - (by - ay) * (point[0] - ax)) / distance(
        *segment
    )


def cross(first, second, tolerance=0.5):
    """The two segments cross: each one's ends lie on either side of the
    other, clear of it. An end resting on the other (a hand on a thigh) or a
    joint they share (hip, knee) is not a crossing."""
    return all(
        side_of(one[0], other) * side_of(one[1], other) < -(tolerance**2)
        and min(abs(side_of(one[0], other)), abs(side_of(one[1], other))) > tolerance
        for one, other in ((first, second), (second, first))
    )


ARMS = [f"{side}_{part}" for side in SIDES for part in ("upper_arm", "forearm")]
LEGS = [f"{side}_{part}" for side in SIDES for part in ("thigh", "shin")]
#: Seen from the side a limb may pass in front of or behind the other limbs,
#: but an arm never goes through a leg, nor a leg through the trunk.
NEVER_CROSS = [(arm, leg) for arm in ARMS for leg in LEGS] + [
    (leg, "torso") for leg in LEGS
]


def test_the_crossing_test_tells_a_crossing_from_a_touch():
    thigh = ((0, 0), (0, -40))
    assert cross(((-10, -20), (10, -25)), thigh)
    assert not cross(((-20, -20), (0, -30)), thigh)  # a hand resting on it
    assert not cross(((0, 0), (30, 5)), thigh)  # a joint they share
    assert not cross(((-10, -50), (10, -60)), thigh)  # past its end


@pytest.mark.parametrize("slug", sorted(SEED_EXERCISES))
def test_every_frame_of_the_moving_drawing_stays_inside_its_picture(slug):
    figure = DRAWINGS[slug].figure
    left, top, width, height = frame_of(figure)
    outside = {
        fraction: point
        for fraction, pose in moving_poses(figure)
        for point in pose.points()
        if not (
            left + HALF_STROKE <= point[0] <= left + width - HALF_STROKE
            and top + HALF_STROKE <= point[1] <= top + height - HALF_STROKE
        )
    }
    assert not outside, outside


@pytest.mark.parametrize("slug", sorted(SEED_EXERCISES))
def test_no_limb_goes_through_the_body_in_any_frame(slug):
    figure = DRAWINGS[slug].figure
    crossings = [
        (fraction, first, second)
        for fraction, pose in moving_poses(figure)
        for first, second in NEVER_CROSS
        if cross(bones(pose)[first], bones(pose)[second])
    ]
    assert not crossings, crossings


#: Where the hands hold a leg: the pose, and the thigh they hold.
HELD = {
    "knee-to-chest": [("end", "near_thigh")],
    "hip-flexor-stretch": [("start", "far_thigh"), ("end", "far_thigh")],
    "piriformis-stretch": [("end", "far_thigh")],
}


@pytest.mark.parametrize("slug", sorted(HELD))
def test_hands_that_hold_a_leg_rest_on_it_clear_of_the_body(slug):
    figure = DRAWINGS[slug].figure
    for moment, thigh in HELD[slug]:
        pose = getattr(figure, moment)
        held = bones(pose)[thigh]
        for side in SIDES:
            # Not an arm rising out of the trunk into the thigh: the elbow is
            # clear of the trunk's stroke, and the hand rests against the
            # thigh from the head's side, outside its stroke but touching it.
            assert clearance(pose.elbow(side), bones(pose)["torso"]) > TRUNK_AND_ARM
            assert HALF_STROKE <= clearance(pose.hand(side), held) <= 2 * HALF_STROKE
            assert side_of(pose.hand(side), held) * side_of(pose.shoulder, held) > 0


# The files.


def test_the_committed_svg_files_are_what_the_poses_render_today():
    for drawing in DRAWINGS.values():
        for name, text in drawing.files().items():
            assert (DIRECTORY / name).read_text() == text, name
    call_command("render_drawings", check=True)


def test_the_check_fails_when_a_drawing_was_edited_by_hand(tmp_path, monkeypatch):
    import exercises.management.commands.render_drawings as command

    monkeypatch.setattr(command, "DIRECTORY", tmp_path)
    call_command("render_drawings")
    (tmp_path / "treadmill.svg").write_text("<svg/>")
    with pytest.raises(Exception, match="treadmill.svg"):
        call_command("render_drawings", check=True)
    call_command("render_drawings")
    call_command("render_drawings", check=True)


@pytest.mark.parametrize("slug", sorted(SEED_EXERCISES))
def test_a_drawing_is_a_few_kb_moves_by_css_alone_and_stands_still_on_request(slug):
    moving = (DIRECTORY / f"{slug}.svg").read_text()
    printed = (DIRECTORY / f"{slug}-frames.svg").read_text()
    for text in (moving, printed):
        assert len(gzip.compress(text.encode())) < 2_000
        assert len(text) < 8_000
        assert "<script" not in text and "on" + "load" not in text
        assert not re.search(r'href="(?!#)', text)  # nothing fetched from elsewhere
        assert "<title>" in text
    assert "@keyframes" in moving and "infinite alternate" in moving
    assert (
        "@media (prefers-reduced-motion:reduce){.mv{display:none}.fr{display:inline}}"
        in moving
    )
    assert "@keyframes" not in printed


@pytest.mark.parametrize("slug", sorted(SEED_EXERCISES))
def test_a_drawing_is_drawn_by_its_attributes_its_style_only_moves_it(slug):
    # Opened on its own, a drawing is a document under the site's policy
    # (style-src 'self'), which refuses its inline style (issue 27.8).
    moving = (DIRECTORY / f"{slug}.svg").read_text()
    printed = (DIRECTORY / f"{slug}-frames.svg").read_text()
    assert "<style" not in printed
    style = re.search(r"<style>(.*?)</style>", moving, re.S)[1]
    assert not re.search(r"fill|stroke|\.fr\{display:none", style), style
    assert '<g class="fr" display="none">' in moving
    for text in (moving, printed):
        assert re.search(r'<rect fill="#fff"', text)  # the card, white
        assert 'stroke-linecap="round"' in text


@pytest.mark.parametrize("slug", sorted(SEED_EXERCISES))
def test_the_printed_frames_are_black_and_white(slug):
    printed = (DIRECTORY / f"{slug}-frames.svg").read_text()
    colours = set(re.findall(r"#[0-9a-fA-F]{3,6}", printed))
    for colour in colours:
        digits = colour[1:] if len(colour) == 7 else "".join(c * 2 for c in colour[1:])
        red, green, blue = (digits[i : i + 2] for i in (0, 2, 4))
        assert red == green == blue, colour


@pytest.mark.parametrize("slug", sorted(SEED_EXERCISES))
def test_every_drawing_says_what_it_shows(slug):
    drawing = DRAWINGS[slug]
    assert len(drawing.alt) > 40
    if drawing.sided:
        assert "right" in drawing.alt and "left" in drawing.alt
