from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.operations import CreateModel
from django.utils import timezone

from accounts.models import CompletedSession, StepResult, find_time_zone
from exercises.models import StepOutcome
from tests.accounts import aggregates
from tests.factories import (
    CompletedSessionFactory,
    RoutineFactory,
    StepResultFactory,
    UserFactory,
    week_noon,
)

# The user


def test_the_user_model_is_the_custom_one():
    assert get_user_model()._meta.label == "accounts.User"


def test_the_custom_user_is_created_by_the_first_migration():
    # Swapping the user model later is a migration Django cannot make.
    loader = MigrationLoader(None, ignore_no_migrations=True)
    first = loader.get_migration("accounts", "0001_initial")

    created = [op.name for op in first.operations if isinstance(op, CreateModel)]
    assert "User" in created
    assert first.initial is True


def test_a_new_person_aims_for_three_sessions_a_week(db):
    assert UserFactory().weekly_target == 3


@pytest.mark.parametrize("target", [0, 15])
def test_weekly_target_outside_1_to_14_does_not_validate(db, target):
    user = UserFactory.build(weekly_target=target)

    with pytest.raises(ValidationError) as error:
        user.full_clean(exclude=["password"])

    assert "weekly_target" in error.value.message_dict


@pytest.mark.parametrize("target", [0, 15])
def test_weekly_target_outside_1_to_14_is_refused_by_the_database(db, target):
    user = UserFactory()

    with pytest.raises(IntegrityError), transaction.atomic():
        get_user_model().objects.filter(pk=user.pk).update(weekly_target=target)

    user.refresh_from_db()
    assert user.weekly_target == 3


# The time zone


def test_a_new_person_has_the_sites_time_zone(db):
    assert UserFactory().time_zone == settings.TIME_ZONE


@pytest.mark.parametrize("name", ["Mars/Olympus_Mons", "", "localtime", "utc+2"])
def test_a_time_zone_must_be_an_iana_name(db, name):
    person = UserFactory.build(time_zone=name)

    with pytest.raises(ValidationError) as error:
        person.full_clean(exclude=["password"])

    assert "time_zone" in error.value.message_dict


def test_an_iana_name_is_a_time_zone(db):
    UserFactory.build(time_zone="Asia/Kolkata").full_clean(exclude=["password"])


@pytest.mark.parametrize(
    ("typed", "zone"),
    [
        ("America/Los_Angeles", "America/Los_Angeles"),
        ("  america/los angeles ", "America/Los_Angeles"),
        ("Shanghai", "Asia/Shanghai"),
        ("new york", "America/New_York"),
        ("utc", "UTC"),
        ("Mars/Olympus_Mons", None),
        ("localtime", None),
        ("", None),
    ],
)
def test_a_typed_time_zone_is_found_by_name_or_place(typed, zone):
    assert find_time_zone(typed) == zone


def test_an_unknown_stored_zone_reads_as_the_sites(db):
    person = UserFactory(time_zone="America/Los_Angeles")
    person.time_zone = "Atlantis/Capital"

    assert person.zone == timezone.get_default_timezone()


# Database constraints of a completed session


@pytest.mark.parametrize("pain", [11, -1])
@pytest.mark.parametrize("field", ["pain_before", "pain_after"])
def test_pain_outside_0_to_10_is_refused_by_the_database(db, field, pain):
    session = CompletedSessionFactory.build(user=UserFactory(), **{field: pain})

    with pytest.raises(IntegrityError), transaction.atomic():
        session.save()

    assert not CompletedSession.objects.exists()


@pytest.mark.parametrize("pain", [0, 10, None])
def test_pain_0_10_and_empty_are_stored(db, pain):
    session = CompletedSessionFactory(pain_before=pain, pain_after=pain)

    session.refresh_from_db()
    assert session.pain_before == pain
    assert session.pain_after == pain


def test_pain_11_fails_model_validation_too(db):
    session = CompletedSessionFactory.build(user=UserFactory(), pain_before=11)

    with pytest.raises(ValidationError) as error:
        session.full_clean()

    assert "pain_before" in error.value.message_dict


def test_a_session_cannot_finish_before_it_started(db):
    now = timezone.now()
    session = CompletedSessionFactory.build(
        user=UserFactory(), started_at=now, finished_at=now - timedelta(seconds=1)
    )

    with pytest.raises(IntegrityError), transaction.atomic():
        session.save()


def test_the_client_token_is_unique_per_person(db):
    first = CompletedSessionFactory(client_token="abc")

    with pytest.raises(IntegrityError), transaction.atomic():
        CompletedSessionFactory(user=first.user, client_token="abc")

    assert CompletedSession.objects.count() == 1


def test_two_people_may_send_the_same_client_token(db):
    CompletedSessionFactory(client_token="abc")
    CompletedSessionFactory(client_token="abc")

    assert CompletedSession.objects.filter(client_token="abc").count() == 2


def test_a_step_order_is_unique_within_a_session(db):
    step = StepResultFactory(order=1)

    with pytest.raises(IntegrityError), transaction.atomic():
        StepResultFactory(session=step.session, order=1)


# Facts about one session


def test_duration_is_the_time_from_start_to_finish(db):
    start = timezone.now() - timedelta(hours=2)
    session = CompletedSessionFactory(
        started_at=start, finished_at=start + timedelta(minutes=17)
    )

    assert session.duration == timedelta(minutes=17)


def test_str_and_url_of_a_session(db):
    session = CompletedSessionFactory(
        routine_title="Beginner",
        started_at=timezone.make_aware(timezone.datetime(2026, 3, 4, 9, 30)),
    )

    assert str(session) == "Beginner, 2026-03-04 09:30"
    assert session.get_absolute_url() == f"/progress/sessions/{session.pk}/"


def test_str_of_a_step_result(db):
    step = StepResultFactory(
        order=2, exercise_name="Heel slides", outcome=StepOutcome.SKIPPED
    )

    assert str(step) == "2. Heel slides: Skipped"


def test_removing_a_routine_keeps_the_history_with_its_title(db):
    routine = RoutineFactory(title="Gentle")
    session = CompletedSessionFactory(routine=routine)

    routine.delete()

    session.refresh_from_db()
    assert session.routine is None
    assert session.routine_title == "Gentle"


def test_deleting_a_person_deletes_their_sessions_and_steps_only(db):
    mine = StepResultFactory()
    theirs = StepResultFactory()

    mine.session.user.delete()

    assert list(CompletedSession.objects.all()) == [theirs.session]
    assert list(StepResult.objects.all()) == [theirs]


def test_deleting_a_session_deletes_its_steps(db):
    step = StepResultFactory()

    step.session.delete()

    assert not StepResult.objects.exists()


# The queryset


def test_for_user_keeps_one_persons_sessions(db):
    mine = CompletedSessionFactory()
    CompletedSessionFactory()

    assert list(CompletedSession.objects.for_user(mine.user)) == [mine]


def test_newest_first_orders_by_start_then_id(db):
    user = UserFactory()
    now = timezone.now()
    old = CompletedSessionFactory(user=user, started_at=now - timedelta(days=3))
    tie_a = CompletedSessionFactory(user=user, started_at=now - timedelta(days=1))
    tie_b = CompletedSessionFactory(user=user, started_at=now - timedelta(days=1))
    new = CompletedSessionFactory(user=user, started_at=now - timedelta(hours=1))

    ordered = CompletedSession.objects.for_user(user).newest_first()

    assert list(ordered) == [new, tie_b, tie_a, old]


def test_with_step_counts_counts_each_outcome(db):
    session = CompletedSessionFactory()
    outcomes = [
        StepOutcome.DONE,
        StepOutcome.DONE,
        StepOutcome.DONE,
        StepOutcome.SKIPPED,
        StepOutcome.SKIPPED_FOR_SAFETY,
    ]
    for order, outcome in enumerate(outcomes, start=1):
        StepResultFactory(session=session, order=order, outcome=outcome)
    CompletedSessionFactory(user=session.user)

    rows = CompletedSession.objects.for_user(session.user).with_step_counts()
    counted = {row.pk: row for row in rows}

    assert len(counted) == 2
    assert counted[session.pk].steps_done == 3
    assert counted[session.pk].steps_skipped == 1
    assert counted[session.pk].steps_skipped_for_safety == 1
    other = next(row for pk, row in counted.items() if pk != session.pk)
    assert (other.steps_done, other.steps_skipped) == (0, 0)


def test_totals_counts_sessions_and_sums_their_time(db):
    user = UserFactory()
    since = week_noon(0) - timedelta(hours=12)
    CompletedSessionFactory(
        user=user,
        started_at=since + timedelta(hours=1),
        finished_at=since + timedelta(hours=1, minutes=20),
    )
    CompletedSessionFactory(
        user=user,
        started_at=since - timedelta(days=3),
        finished_at=since - timedelta(days=3) + timedelta(minutes=25),
    )
    CompletedSessionFactory(started_at=since + timedelta(hours=1))

    totals = aggregates.totals(CompletedSession.objects.for_user(user), since=since)

    assert totals == {
        "recorded": 2,
        "count": 2,
        "count_since": 1,
        "time": timedelta(minutes=45),
    }


def test_totals_of_nobody_are_empty(db):
    totals = aggregates.totals(
        CompletedSession.objects.for_user(UserFactory()), since=timezone.now()
    )

    assert totals == {"recorded": 0, "count": 0, "count_since": 0, "time": None}


def test_per_week_groups_by_monday_with_average_pain(db):
    user = UserFactory()
    CompletedSessionFactory(user=user, started_at=week_noon(0), pain_before=6)
    CompletedSessionFactory(
        user=user,
        started_at=week_noon(0) + timedelta(days=2),
        pain_before=4,
        pain_after=1,
    )
    CompletedSessionFactory(user=user, started_at=week_noon(2), pain_before=8)

    rows = list(aggregates.per_week(CompletedSession.objects.for_user(user)))

    assert [row["week"] for row in rows] == [
        week_noon(0).date(),
        week_noon(2).date(),
    ]
    assert [row["count"] for row in rows] == [2, 1]
    assert rows[0]["pain_before"] == pytest.approx(5)
    assert rows[0]["pain_after"] == pytest.approx(2)


def test_per_day_counts_sessions_by_day_since_a_moment(db):
    user = UserFactory()
    monday = week_noon(1)
    CompletedSessionFactory(user=user, started_at=monday)
    CompletedSessionFactory(user=user, started_at=monday + timedelta(hours=2))
    CompletedSessionFactory(user=user, started_at=monday + timedelta(days=1))
    CompletedSessionFactory(user=user, started_at=monday - timedelta(days=1))

    rows = list(
        aggregates.per_day(CompletedSession.objects.for_user(user), since=monday)
    )

    assert rows == [
        {"day": monday.date(), "count": 2},
        {"day": monday.date() + timedelta(days=1), "count": 1},
    ]


def test_per_routine_counts_by_title_most_first(db):
    user = UserFactory()
    for title in ["Beginner", "Aerobic", "Beginner", "Advanced", "Aerobic", "Beginner"]:
        CompletedSessionFactory(user=user, routine_title=title)

    rows = list(aggregates.per_routine(CompletedSession.objects.for_user(user)))

    assert rows == [
        {"routine_title": "Beginner", "count": 3},
        {"routine_title": "Aerobic", "count": 2},
        {"routine_title": "Advanced", "count": 1},
    ]


def session_with_steps(user, outcomes):
    session = CompletedSessionFactory(user=user)
    for order, outcome in enumerate(outcomes, start=1):
        StepResultFactory(session=session, order=order, outcome=outcome)
    return session


def test_exercised_sessions_are_those_with_a_step_done_or_logged_by_hand(db):
    user = UserFactory()
    by_hand = CompletedSessionFactory(user=user)
    some_done = session_with_steps(user, [StepOutcome.SKIPPED, StepOutcome.DONE])
    skipped = session_with_steps(
        user, [StepOutcome.SKIPPED, StepOutcome.SKIPPED_FOR_SAFETY]
    )

    exercised = aggregates.exercised(CompletedSession.objects.for_user(user))

    assert set(exercised) == {by_hand, some_done}
    assert [by_hand.is_exercised, some_done.is_exercised] == [True, True]
    assert skipped.is_exercised is False
    annotated = {
        s.pk: s.is_exercised
        for s in CompletedSession.objects.for_user(user).with_step_counts()
    }
    assert annotated == {by_hand.pk: True, some_done.pk: True, skipped.pk: False}


# The person read on every request (PersonManager.get)


def test_a_person_read_by_pk_alone_is_the_orms_person(db):
    User = get_user_model()
    person = UserFactory(weekly_target=5, doctor_cleared_on=timezone.localdate())
    orm = User.objects.filter(pk=person.pk).get()

    for pk in (person.pk, str(person.pk)):
        read = User.objects.get(pk=pk)
        assert read == orm
        # Field for field, of the same types (True is not 1, a datetime not a string).
        assert {
            f.attname: (getattr(read, f.attname), type(getattr(read, f.attname)))
            for f in User._meta.fields
        } == {
            f.attname: (getattr(orm, f.attname), type(getattr(orm, f.attname)))
            for f in User._meta.fields
        }
    with pytest.raises(User.DoesNotExist):
        User.objects.get(pk=person.pk + 1000)
    with pytest.raises(ValueError):  # as the ORM's own
        User.objects.get(pk="not-a-number")
    assert User.objects.get(username=person.username) == orm


def test_a_relations_get_by_pk_keeps_the_relations_filter(db):
    group = Group.objects.create(name="Testers")
    member, outsider = UserFactory(), UserFactory()
    group.user_set.add(member)

    assert group.user_set.get(pk=member.pk) == member
    with pytest.raises(get_user_model().DoesNotExist):
        group.user_set.get(pk=outsider.pk)
