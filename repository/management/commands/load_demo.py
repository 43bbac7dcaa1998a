from django.core.management.base import BaseCommand

from repository.services.demo import DEMO_ACCOUNTS, demo_accounts, demo_images


class Command(BaseCommand):
    help = "Create one demo account per role and import the shipped demo images (idempotent)."

    def handle(self, *args, **opts):
        users = demo_accounts()
        created, existing = demo_images(
            contributor=users["clinician"], moderator=users["moderator"]
        )
        self.stdout.write(f"Demo images: {created} imported now, {existing} already present.")
        from synthesis.services.templates import style_templates_load_defaults

        templates = style_templates_load_defaults(user=users["moderator"])
        self.stdout.write(f"Style templates: {len(templates)} default templates created now.")
        self.stdout.write("Demo accounts (username / password — role):")
        for spec in DEMO_ACCOUNTS:
            self.stdout.write(f"  {spec.username:<11} / {spec.password:<18} — {spec.role}")
