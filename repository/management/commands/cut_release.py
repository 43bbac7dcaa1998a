from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils.translation import gettext

from repository.job_errors import JobError
from repository.models import User
from repository.services.releases import release_build, release_cut, release_fail
from repository.validation import message_lines


class Command(BaseCommand):
    help = "Cut a release of the open database and build its archive now; prints its SHA-256."

    def add_arguments(self, parser):
        parser.add_argument("--tag", required=True, help="YEAR.MONTH or YEAR.MONTH.N")
        parser.add_argument("--title", required=True)
        parser.add_argument("--moderator", required=True, help="username of a moderator")
        parser.add_argument("--citation", default="")
        parser.add_argument("--notes", default="")

    def handle(self, *args, **opts):
        moderator = User.objects.filter(username=opts["moderator"]).first()
        if moderator is None:
            raise CommandError(
                gettext("No user named %(name)s.") % {"name": repr(opts["moderator"])}
            )
        try:
            # Built here, synchronously: the queued task finds it built and does nothing.
            with transaction.atomic():
                release = release_cut(
                    moderator=moderator,
                    tag=opts["tag"],
                    title=opts["title"],
                    citation=opts["citation"],
                    notes=opts["notes"],
                )
        except PermissionDenied as exc:
            raise CommandError(str(exc)) from None
        except ValidationError as exc:
            raise CommandError("; ".join(message_lines(exc))) from None
        try:
            release = release_build(release_id=release.pk)
        except Exception as exc:
            release_fail(release_id=release.pk, reason=JobError.from_exception(exc))
            raise CommandError(
                gettext("Release %(tag)s was not built: %(reason)s")
                % {"tag": release.tag, "reason": exc}
            ) from exc
        if release.status != release.Status.SUCCEEDED:
            raise CommandError(
                gettext("Release %(tag)s was not built: %(reason)s")
                % {"tag": release.tag, "reason": release.error_message}
            )
        self.stdout.write(
            gettext("Release %(tag)s: %(n)s image(s), %(size)s bytes, %(file)s")
            % {
                "tag": release.tag,
                "n": release.item_count,
                "size": f"{release.size:,}",
                "file": release.file.name,
            }
        )
        self.stdout.write(release.sha256)
