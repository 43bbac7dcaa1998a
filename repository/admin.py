from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from repository.models import (
    ApiToken,
    ClinicianApplication,
    Diagnosis,
    Export,
    ImageRequest,
    LesionImage,
    Release,
    ToneLabel,
    User,
)
from repository.services.accounts import api_token_revoke
from repository.services.catalogue_counts import catalogue_change


class ModeratorAccess:
    """Moderators run the admin without per-model Django permissions; rows that own files
    (images) are never deleted here, only withdrawn or rejected through the services."""

    def _moderator(self, request) -> bool:
        return request.user.is_active and (request.user.is_superuser or request.user.is_moderator)

    def has_module_permission(self, request):
        return self._moderator(request)

    def has_view_permission(self, request, obj=None):
        return self._moderator(request)

    def has_change_permission(self, request, obj=None):
        return self._moderator(request)

    def has_add_permission(self, request):
        return self._moderator(request)

    def has_delete_permission(self, request, obj=None):
        return self._moderator(request)


@admin.register(User)
class PixGenUserAdmin(ModeratorAccess, UserAdmin):
    """Moderators edit names, e-mail and whether an account is active; roles change on the
    Users page (role_set), and permission flags, passwords and superuser accounts are for
    superusers only, so the admin is no way to raise anyone's privileges."""

    fieldsets = UserAdmin.fieldsets + (
        ("PixGen roles", {"fields": ("is_moderator", "is_reviewer", "data_terms_accepted_at")}),
    )
    moderator_fieldsets = (
        (None, {"fields": ("username", "password")}),
        ("Personal info", {"fields": ("first_name", "last_name", "email")}),
        ("Status", {"fields": ("is_active", "last_login", "date_joined")}),
        ("PixGen roles", {"fields": ("is_moderator", "is_reviewer", "data_terms_accepted_at")}),
    )
    moderator_readonly = ("is_moderator", "is_reviewer", "last_login", "date_joined")
    list_display = ("username", "email", "is_moderator", "is_reviewer", "is_staff")
    list_filter = ("is_moderator", "is_reviewer", "is_staff")

    def get_fieldsets(self, request, obj=None):
        if obj is None or request.user.is_superuser:
            return super().get_fieldsets(request, obj)
        return self.moderator_fieldsets

    def get_readonly_fields(self, request, obj=None):
        if request.user.is_superuser:
            return super().get_readonly_fields(request, obj)
        return self.moderator_readonly

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return super().has_change_permission(request, obj)

    def has_add_permission(self, request):
        return request.user.is_active and request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser

    def user_change_password(self, request, id, form_url=""):
        if not request.user.is_superuser:
            raise PermissionDenied(_("Passwords are reset by e-mail, not set by moderators."))
        return super().user_change_password(request, id, form_url)


@admin.register(ClinicianApplication)
class ClinicianApplicationAdmin(ModeratorAccess, admin.ModelAdmin):
    list_display = ("user", "institution", "country", "status", "created_at")
    list_filter = ("status", "country")
    search_fields = ("user__username", "licence_number", "institution")
    # Decided on the moderation page (clinician_decide), which notifies the applicant.
    readonly_fields = ("user", "status", "decided_by", "decided_at", "decision_reason")


@admin.register(Diagnosis)
class DiagnosisAdmin(ModeratorAccess, admin.ModelAdmin):
    list_display = ("code", "name", "malignant", "is_active", "sort_order")
    list_editable = ("is_active", "sort_order")


@admin.register(LesionImage)
class LesionImageAdmin(ModeratorAccess, admin.ModelAdmin):
    list_display = (
        "id",
        "diagnosis",
        "fitzpatrick",
        "status",
        "contributor",
        "tone_flagged",
        "created_at",
    )
    list_filter = ("status", "diagnosis", "fitzpatrick", "modality", "tone_flagged")
    search_fields = ("sha256", "lesion_identifier")

    # Files and hashes are written by the ingest service only.
    def has_add_permission(self, request):
        return False  # images enter through the ingest service only

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        # A label edited here changes the gallery's facet counts like any relabelling.
        with catalogue_change(real=[obj.pk] if obj.pk else []):
            super().save_model(request, obj, form, change)

    # Files and hashes are written by the ingest service, the status by moderation
    # (publish, reject, withdraw), the measurements by the analysis: never by hand here.
    readonly_fields = (
        "image",
        "thumbnail",
        "mask",
        "sha256",
        "width",
        "height",
        "file_format",
        "file_size",
        "contributor",
        "consent_attested",
        "status",
        "moderated_by",
        "moderated_at",
        "rejection_reason",
        "withdrawn_at",
        "analysis_status",
        "analysis_error",
        "analysed_at",
        "mask_source",
        "ita_deg",
        "measured_fitzpatrick",
        "tone_measurement",
        "tone_flagged",
    )


@admin.register(ToneLabel)
class ToneLabelAdmin(ModeratorAccess, admin.ModelAdmin):
    list_display = ("image", "source", "rater", "fitzpatrick", "monk_tone", "created_at")
    list_filter = ("source", "fitzpatrick")
    raw_id_fields = ("image", "rater")


@admin.register(ImageRequest)
class ImageRequestAdmin(ModeratorAccess, admin.ModelAdmin):
    list_display = ("id", "diagnosis", "fitzpatrick_min", "fitzpatrick_max", "quantity", "status")
    list_filter = ("status", "diagnosis")
    # Closed or fulfilled by the request services, which notify the requester.
    readonly_fields = ("requester", "status", "fulfilled_at")


@admin.register(ApiToken)
class ApiTokenAdmin(ModeratorAccess, admin.ModelAdmin):
    list_display = ("prefix", "user", "name", "created_at", "last_used_at", "revoked_at")
    readonly_fields = ("user", "prefix", "key_hash", "last_used_at", "revoked_at")
    actions = ["revoke"]

    def has_add_permission(self, request):
        return False  # issued on the account page, whose key is shown once

    @admin.action(description=_lazy("Revoke the selected tokens"))
    def revoke(self, request, queryset):
        for token in queryset:
            api_token_revoke(token=token, user=request.user)


@admin.register(Export)
class ExportAdmin(ModeratorAccess, admin.ModelAdmin):
    list_display = ("id", "created_by", "status", "item_count", "layout", "created_at")
    list_filter = ("status", "layout")
    readonly_fields = (
        "created_by",
        "params",
        "layout",
        "augment",
        "seed",
        "status",
        "file",
        "size",
        "sha256",
        "item_count",
        "error",
        "started_at",
        "finished_at",
    )

    def has_add_permission(self, request):
        return False  # exports are started from the images page, the API or export_dataset


@admin.register(Release)
class ReleaseAdmin(ModeratorAccess, admin.ModelAdmin):
    """Releases are immutable: cut on the site or with cut_release, never edited here."""

    list_display = ("tag", "title", "status", "item_count", "created_at")
    list_filter = ("status",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
