from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext

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
        self.stdout.write(
            gettext("Demo images: %(created)s imported now, %(existing)s already present.")
            % {"created": created, "existing": existing}
        )
        templates = style_templates_load_defaults(user=users["moderator"])
        self.stdout.write(
            gettext("Style templates: %(n)s default templates created now.") % {"n": len(templates)}
        )
        if not (DEMO_GAN_DIR / WEIGHTS_NAME).exists():
            self.stdout.write(
                gettext(
                    "No demo DCGAN weights in %(path)s: generation needs a trained model "
                    "(manage.py train_demo_dcgan makes them)."
                )
                % {"path": DEMO_GAN_DIR}
            )
        else:
            try:
                model, made = demo_gan_install()
            except ValidationError as exc:
                raise CommandError(" ".join(exc.messages)) from None
            message = (
                gettext("Demo DCGAN %(version)s: installed now.")
                if made
                else gettext("Demo DCGAN %(version)s: already installed.")
            )
            self.stdout.write(message % {"version": model.version})
        if not opts["no_accounts"]:
            self.stdout.write(gettext("Demo accounts (username / password — role):"))
            for spec in DEMO_ACCOUNTS:
                self.stdout.write(f"  {spec.username:<11} / {spec.password:<18} — {spec.role}")
