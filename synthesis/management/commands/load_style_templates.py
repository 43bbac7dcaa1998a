from django.core.management.base import BaseCommand
from django.utils.translation import gettext

from synthesis.models import StyleTemplate
from synthesis.services.templates import style_templates_load_defaults


class Command(BaseCommand):
    help = "Create the default style templates, one per Fitzpatrick type (idempotent)."

    def handle(self, *args, **opts):
        created = style_templates_load_defaults()
        for template in created:
            self.stdout.write(f"  {template.name}: measured ITA {template.ita_deg:.1f}°")
        self.stdout.write(
            gettext("Style templates: %(created)s created now, %(total)s in all.")
            % {"created": len(created), "total": StyleTemplate.objects.count()}
        )
