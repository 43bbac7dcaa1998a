"""Reads of the synthesis app that pages share: each lookup written once, here, instead of in
every view that shows the thing. Writes and rules stay in services/; a view asks a selector
(or a service) and renders what it gets, turning None into a 404."""

from synthesis.models import (
    AugmentationExperiment,
    BiasAudit,
    BlindJudgement,
    BlindSession,
    StyleTemplate,
    SynthesisJob,
    SyntheticImage,
)

RECENT_TRAINING_JOBS = 10


def synthetic_get(*, pk: int, user=None) -> SyntheticImage | None:
    """One synthetic image with what its pages show (diagnosis, source image, job); None when
    there is none, or, with `user`, when that user may not see it."""
    rows = SyntheticImage.objects.select_related("diagnosis", "source_image", "job")
    if user is not None:
        rows = rows.visible_to(user)
    return rows.filter(pk=pk).first()


def synthetic_images(*, user, status: str):
    """The synthetic images `user` may see with this status (any status when it is not one),
    newest first as the model orders them."""
    rows = SyntheticImage.objects.visible_to(user).select_related("diagnosis")
    return rows.filter(status=status) if status in SyntheticImage.Status.values else rows


def style_templates():
    """Every style template, for the templates page (with the image a template was cut from)."""
    return StyleTemplate.objects.select_related("source_image")


def style_template_get(*, pk: int, accepted: bool = False) -> StyleTemplate | None:
    """One style template; with `accepted`, only an accepted one (what may be switched on)."""
    rows = StyleTemplate.objects.all()
    if accepted:
        rows = rows.filter(status=StyleTemplate.Status.ACCEPTED)
    return rows.filter(pk=pk).first()


def blind_session_get(*, pk: int, reviewer) -> BlindSession | None:
    """A reviewer's own blinded session; another reviewer's is None, as if it did not exist."""
    return BlindSession.objects.filter(pk=pk, reviewer=reviewer).first()


def blind_judgement_get(*, session: BlindSession, position: int) -> BlindJudgement | None:
    """The judgement at this position of the session (with both images it may show)."""
    rows = BlindJudgement.objects.select_related("real_image", "synthetic")
    return rows.filter(session=session, position=position).first()


def synthesis_jobs():
    """Synthesis jobs, newest first, with who started each (the jobs page and the jobs API)."""
    return SynthesisJob.objects.select_related("created_by")


def synthesis_job_get(*, pk: int) -> SynthesisJob | None:
    return synthesis_jobs().filter(pk=pk).first()


def registry_versions(model):
    """Every version of a trained-model registry (SegmenterModel, GanModel, ClassifierModel),
    newest first, with the job that trained it."""
    return model.objects.select_related("job")


def training_jobs(kind: str):
    """The latest training jobs of one kind, for its registry page."""
    return SynthesisJob.objects.of_kind(kind)[:RECENT_TRAINING_JOBS]


def bias_audits():
    return BiasAudit.objects.select_related("model", "compared_with", "created_by")


def bias_audit_get(*, pk: int) -> BiasAudit | None:
    return bias_audits().filter(pk=pk).first()


def experiments():
    return AugmentationExperiment.objects.select_related("job", "created_by")


def experiment_get(*, pk: int) -> AugmentationExperiment | None:
    return experiments().filter(pk=pk).first()
