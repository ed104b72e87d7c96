from django.core.management.base import BaseCommand

from residents.demo import demo_seed


class Command(BaseCommand):
    help = "Create demo data (idempotent) and print one login for each role."

    def add_arguments(self, parser):
        parser.add_argument(
            "--scale",
            choices=["default", "large"],
            default="default",
            help="large adds a compound of 286 buildings and about 40,000 residents",
        )

    def handle(self, *args, scale, **options):
        logins = demo_seed(scale=scale)
        self.stdout.write(self.style.SUCCESS("Demo data ready. Logins:"))
        for login in logins:
            self.stdout.write(
                f"  {login.role:<16} {login.username:<10} {login.password}  ({login.scope})"
            )
