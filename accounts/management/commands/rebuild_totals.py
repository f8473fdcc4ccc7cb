from django.core.management.base import BaseCommand, CommandError

from accounts import services
from accounts.models import User


class Command(BaseCommand):
    help = (
        "Count every person's progress figures (or one person's, with --user) "
        "afresh from their completed sessions: after sessions were written "
        "other than through BackCare's services, or to check the kept ones."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--user", help="The id or username of the one person to rebuild."
        )

    def handle(self, *args, user, **options):
        people = User.objects.order_by("pk")
        if user is not None:
            match = people.filter(username=user)
            if user.isdigit():
                match = match | people.filter(pk=int(user))
            people = match
            if not people.exists():
                raise CommandError(f"No person has the id or username “{user}”.")
        count = 0
        for person in people.iterator():
            services.totals_rebuild(user=person)
            count += 1
        self.stdout.write(f"Rebuilt the progress figures of {count} people.")
