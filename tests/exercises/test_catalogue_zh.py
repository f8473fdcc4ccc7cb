"""
The seed catalogue in Simplified Chinese (issue 29): every number, step and
warning of the English is in the Chinese, and the Chinese pages show it.
"""

import json
import re
from collections import Counter
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation

from exercises.models import Exercise, Routine
from tests.helpers import text_of

FIXTURE = Path(settings.BASE_DIR) / "fixtures" / "catalogue.json"
NUMBER = re.compile(r"\d+(?:\.\d+)?")
CJK = re.compile(r"[\u4e00-\u9fff]")
# Texts read one item per line: the Chinese has as many lines, in order.
PER_LINE = {"instructions", "cues"}


def translated_fields():
    """(row, field, English, Chinese) of every text of the seed with a Chinese column."""
    for row in json.loads(FIXTURE.read_text()):
        fields = row["fields"]
        for name, chinese in fields.items():
            if name.endswith("_zh_hans"):
                english = name.removesuffix("_zh_hans")
                yield (
                    f"{row['model']} {fields['slug']}",
                    english,
                    fields[english],
                    chinese,
                )


FIELDS = list(translated_fields())


def test_every_text_of_the_seed_has_its_chinese():
    # Titles, descriptions, questions, names, positions, instructions, cues,
    # summaries: 83 texts, each in Chinese where the English has any.
    assert len(FIELDS) == 83
    missing = [
        (row, field)
        for row, field, english, chinese in FIELDS
        if english and not chinese
    ]
    assert missing == []
    english_left = [
        (row, field)
        for row, field, english, chinese in FIELDS
        if chinese and not CJK.search(chinese)
    ]
    assert english_left == []


@pytest.mark.parametrize(
    ("row", "field", "english", "chinese"),
    FIELDS,
    ids=[f"{r} {f}" for r, f, *_ in FIELDS],
)
def test_every_number_of_the_english_is_in_the_chinese(row, field, english, chinese):
    assert Counter(NUMBER.findall(chinese)) == Counter(NUMBER.findall(english))
    if field in PER_LINE:
        assert len(chinese.splitlines()) == len(english.splitlines())


def test_the_seed_distances_and_angles_are_metric_first(catalogue):
    with translation.override("zh-hans"):
        wall_squats = Exercise.objects.get(slug="wall-squats")
        leg_raises = Exercise.objects.get(slug="straight-leg-raises")

        assert "约 30 厘米（12 英寸）" in wall_squats.position
        assert "45 度" in wall_squats.instructions
        assert "15–30 厘米（6–12 英寸）" in leg_raises.instructions


@pytest.mark.parametrize("slug", ["beginner", "intermediate", "advanced", "aerobic"])
def test_each_chinese_routine_page_shows_its_exercises_and_warnings(
    client, catalogue, slug
):
    response = client.get(f"/zh-hans/routines/{slug}/")

    assert response.status_code == 200
    text = text_of(response)
    with translation.override("zh-hans"):
        routine = Routine.objects.get(slug=slug)
        assert routine.title in text
        steps = routine.steps.select_related("exercise")
        assert steps
        for step in steps:
            assert step.exercise.name in text
            assert step.dose_text in text
            assert CJK.search(step.dose_text), step.dose_text
        for warning in routine.contraindications.all():
            assert warning.description in text
    assert "Dose:" not in text
    assert "Consult a doctor" not in text


def test_a_chinese_guided_step_shows_every_line_of_its_instructions(client, catalogue):
    client.post("/zh-hans/routines/beginner/guide/", {"acknowledged": "on"})

    text = text_of(client.get("/zh-hans/routines/beginner/guide/4/"))

    with translation.override("zh-hans"):
        step = Routine.objects.get(slug="beginner").steps.get(order=4)
        assert step.exercise.slug == "wall-squats"
        for line in step.exercise.instructions.splitlines():
            assert line in text
        assert step.dose_text in text
