from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from repository.models import (
    ApiToken,
    ClinicianApplication,
    Diagnosis,
    Export,
    ImageRequest,
    LesionImage,
    Release,
    User,
)


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
    fieldsets = UserAdmin.fieldsets + (
        ("PixGen roles", {"fields": ("is_moderator", "is_reviewer", "data_terms_accepted_at")}),
    )
    list_display = ("username", "email", "is_moderator", "is_reviewer", "is_staff")
    list_filter = ("is_moderator", "is_reviewer", "is_staff")


@admin.register(ClinicianApplication)
class ClinicianApplicationAdmin(ModeratorAccess, admin.ModelAdmin):
    list_display = ("user", "institution", "country", "status", "created_at")
    list_filter = ("status", "country")
    search_fields = ("user__username", "licence_number", "institution")
    readonly_fields = ("decided_by", "decided_at")


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

    readonly_fields = (
        "image",
        "thumbnail",
        "mask",
        "sha256",
        "width",
        "height",
        "file_format",
        "file_size",
    )


@admin.register(ImageRequest)
class ImageRequestAdmin(ModeratorAccess, admin.ModelAdmin):
    list_display = ("id", "diagnosis", "fitzpatrick_min", "fitzpatrick_max", "quantity", "status")
    list_filter = ("status", "diagnosis")


@admin.register(ApiToken)
class ApiTokenAdmin(ModeratorAccess, admin.ModelAdmin):
    list_display = ("prefix", "user", "name", "created_at", "last_used_at", "revoked_at")
    readonly_fields = ("prefix", "key_hash")


@admin.register(Export)
class ExportAdmin(ModeratorAccess, admin.ModelAdmin):
    list_display = ("id", "created_by", "status", "item_count", "layout", "created_at")
    list_filter = ("status", "layout")
    readonly_fields = ("file", "size", "sha256", "item_count", "error", "started_at", "finished_at")

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
