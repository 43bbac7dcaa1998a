from pathlib import Path

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext

from repository.job_errors import JobError
from repository.models import User
from synthesis.management.commands._training import NO_USER
from synthesis.models import SyntheticImage
from synthesis.services.files import read_stored
from synthesis.services.gan_generation import gan_generate_job_create, gan_generate_run
from synthesis.services.jobs import job_fail


class Command(BaseCommand):
    help = (
        "Generate images with a ready DCGAN version: rows pending dermatologist review (full "
        "provenance) and PNG copies in --out."
    )

    def add_arguments(self, parser):
        parser.add_argument("--model", required=True, help="model version, e.g. dcgan-0001")
        parser.add_argument("--fitzpatrick", type=int, required=True)
        parser.add_argument("--diagnosis", required=True, help="diagnosis code, e.g. mel")
        parser.add_argument("--site", default=None, help="body site")
        parser.add_argument("--age", type=float, default=None, help="age in years")
        parser.add_argument("--sex", default=None)
        parser.add_argument("--count", type=int, required=True)
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument("--out", required=True, help="folder for the PNG copies")
        parser.add_argument("--user", default="moderator", help="who asks (username)")
        parser.add_argument("--device", default=None)

    def handle(self, *args, **opts):
        user = User.objects.filter(username=opts["user"]).first()
        if user is None:
            raise CommandError(NO_USER % {"name": repr(opts["user"])})
        conditions = {"diagnosis": opts["diagnosis"], "fitzpatrick": opts["fitzpatrick"]}
        for key, name in (("body_site", "site"), ("age", "age"), ("sex", "sex")):
            if opts[name] is not None:
                conditions[key] = opts[name]
        try:
            job = gan_generate_job_create(
                user=user,
                model_version=opts["model"],
                conditions=[conditions],
                count=opts["count"],
                seed=opts["seed"],
                enqueue=False,
            )
        except (ValidationError, PermissionDenied) as exc:
            raise CommandError(" ".join(getattr(exc, "messages", [str(exc)]))) from None
        try:
            gan_generate_run(job_id=job.pk, device=opts["device"])
        except ValidationError as exc:
            job_fail(job_id=job.pk, reason=JobError.from_exception(exc))
            raise CommandError(" ".join(exc.messages)) from None
        except BaseException as exc:
            job_fail(job_id=job.pk, reason=JobError.from_exception(exc))
            raise
        out = Path(opts["out"])
        out.mkdir(parents=True, exist_ok=True)
        rows = SyntheticImage.objects.filter(job=job).order_by("pk")
        for row in rows:
            name = f"{row.model_version}-seed{row.seed}-{row.params['index']:04d}.png"
            (out / name).write_bytes(read_stored(row.image.name))
        self.stdout.write(
            gettext("%(n)s images (job #%(job)s) pending review, PNG copies in %(path)s")
            % {"n": rows.count(), "job": job.pk, "path": out}
        )
