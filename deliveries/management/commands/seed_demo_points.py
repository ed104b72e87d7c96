import contextlib
import io

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import timezone

from core.jobs import subject_of
from core.models import Job
from deliveries.demo import demo_points_seed, round_plan_of
from deliveries.services.assignment import deliveries_assign
from volunteers.demo import demo_volunteer_seed


class Command(BaseCommand):
    help = (
        "After seed_demo: collection points and policies for the demo compounds, and one "
        "closed, planned round in the first compound (idempotent)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--without-round", action="store_true", help="only the points and policies"
        )

    def handle(self, *args, without_round, **options):
        console = io.StringIO()
        # Without a broker the plan runs here, and the console SMS backend would print a text
        # message for every household; they are in the households' inboxes instead.
        with contextlib.redirect_stdout(console):
            seeded = demo_points_seed(with_round=not without_round)
        for compound, created in seeded.points.items():
            self.stdout.write(
                f"  {compound}: {created} collection points created"
                if created
                else f"  {compound}: collection points already there"
            )
        if seeded.policies:
            self.stdout.write(f"  policies set for {', '.join(seeded.policies)}")
        supply_round = seeded.round
        if supply_round is not None:
            self.stdout.write(
                f"  round {supply_round.title} ({supply_round.get_status_display()}): "
                + ("created now" if seeded.round_created else "already there")
            )
            plan = round_plan_of(supply_round)
            if plan is not None and plan.scheduled_at:
                self.stdout.write(
                    f"  planned: {plan.allocation['orders']} orders "
                    f"{plan.allocation['fulfilment']}, {plan.schedule['slots']} pickup slots on "
                    f"{plan.schedule['pickup_date']}, "
                    f"{plan.schedule['unplaced_households']} households without a slot"
                )
            else:
                jobs = Job.objects.filter(subject=subject_of(supply_round)).order_by("pk")
                state = ", ".join(f"{job.kind} {job.status}" for job in jobs) or "no job yet"
                where = "a worker" if settings.CELERY_BROKER_URL else "this process"
                self.stdout.write(f"  not planned yet ({state}); the plan is made by {where}")
        shift = demo_volunteer_seed()
        if shift is not None and supply_round is not None and round_plan_of(supply_round):
            # The plan's door deliveries go to the demo volunteer, as from the shift's start.
            assigned = deliveries_assign(supply_round=supply_round, by=None, at=shift.start)
            start = timezone.localtime(shift.start)
            self.stdout.write(
                f"  volunteer on the supply shift from {start:%m-%d %H:%M}: "
                f"{assigned['assigned']} deliveries assigned now"
            )
        self.stdout.write(self.style.SUCCESS("Demo points ready."))
