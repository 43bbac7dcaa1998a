from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from repository.services.ingest import read_limited
from repository.views.common import apply_errors
from synthesis.forms.templates import StyleTemplateForm
from synthesis.models import StyleTemplate
from synthesis.selectors import style_template_get, style_templates
from synthesis.services.templates import (
    style_template_create_from_crop,
    style_template_create_from_upload,
    style_template_crop_source,
    style_template_decide,
    style_template_set_active,
    style_templates_load_defaults,
)
from synthesis.views.common import require_moderator, require_staff


def _template_or_404(pk: int, *, accepted: bool = False) -> StyleTemplate:
    template = style_template_get(pk=pk, accepted=accepted)
    if template is None:
        raise Http404
    return template


@login_required
def template_list(request):
    require_staff(request)
    return render(
        request,
        "synthesis/template_list.html",
        {"templates": style_templates()},
    )


@login_required
def template_create(request):
    require_moderator(request)
    form = StyleTemplateForm(
        request.POST or None, request.FILES or None, initial=request.GET or None
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if data.get("patch"):
                template = style_template_create_from_upload(
                    user=request.user,
                    name=data["name"],
                    fitzpatrick=data["fitzpatrick"],
                    data=read_limited(
                        data["patch"], max_bytes=settings.PIXGEN_MAX_UPLOAD_BYTES, field="patch"
                    ),
                )
            else:
                template = style_template_create_from_crop(
                    user=request.user,
                    name=data["name"],
                    fitzpatrick=data["fitzpatrick"],
                    image=style_template_crop_source(image_id=data["image"]),
                    box=(data["left"], data["top"], data["width"], data["height"]),
                )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(
                request,
                _("Template “%(name)s” measured at ITA %(ita).1f°.")
                % {"name": template.name, "ita": template.ita_deg},
            )
            return redirect("synthesis-templates")
    status = 400 if request.method == "POST" else 200
    return render(request, "synthesis/template_form.html", {"form": form}, status=status)


@login_required
@require_POST
def template_toggle(request, pk: int):
    require_moderator(request)
    template = _template_or_404(pk, accepted=True)
    style_template_set_active(template=template, user=request.user, active=not template.is_active)
    return redirect("synthesis-templates")


@login_required
@require_POST
def template_decide(request, pk: int):
    """Accept or reject a template proposed from a published image."""
    require_moderator(request)
    template = _template_or_404(pk)
    accept = request.POST.get("decision") == "accept"
    try:
        style_template_decide(template=template, user=request.user, accept=accept)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            (_("Template “%(name)s” accepted.") if accept else _("Template “%(name)s” rejected."))
            % {"name": template.name},
        )
    return redirect("synthesis-templates")


@login_required
@require_POST
def template_defaults(request):
    require_moderator(request)
    created = style_templates_load_defaults(user=request.user)
    messages.success(request, _("%(n)s default templates created.") % {"n": len(created)})
    return redirect("synthesis-templates")
