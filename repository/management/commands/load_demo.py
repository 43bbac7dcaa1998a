from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from repository.services.demo import DEMO_ACCOUNTS, demo_accounts, demo_images


class Command(BaseCommand):
    help = (
        "Create the demo accounts, import the shipped demo images and install the shipped demo "
        "DCGAN (idempotent)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--no-accounts", action="store_true", help="do not list the accounts (rundemo does)"
        )

    def handle(self, *args, **opts):
        from synthesis.services.demo_gan import DEMO_GAN_DIR, WEIGHTS_NAME, demo_gan_install
        from synthesis.services.templates import style_templates_load_defaults

        users = demo_accounts()
        created, existing = demo_images(
            contributor=users["clinician"], moderator=users["moderator"]
        )
        self.stdout.write(f"Demo images: {created} imported now, {existing} already present.")
        templates = style_templates_load_defaults(user=users["moderator"])
        self.stdout.write(f"Style templates: {len(templates)} default templates created now.")
        if not (DEMO_GAN_DIR / WEIGHTS_NAME).exists():
            self.stdout.write(
                f"No demo DCGAN weights in {DEMO_GAN_DIR}: generation needs a trained model "
                "(manage.py train_demo_dcgan makes them)."
            )
        else:
            try:
                model, made = demo_gan_install()
            except ValidationError as exc:
                raise CommandError(" ".join(exc.messages)) from None
            state = "installed now" if made else "already installed"
            self.stdout.write(f"Demo DCGAN {model.version}: {state}.")
        if not opts["no_accounts"]:
            self.stdout.write("Demo accounts (username / password — role):")
            for spec in DEMO_ACCOUNTS:
                self.stdout.write(f"  {spec.username:<11} / {spec.password:<18} — {spec.role}")
