from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from repository.models import (
    ApiToken,
    ClinicianApplication,
    Diagnosis,
    ImageRequest,
    LesionImage,
    User,
)


@admin.register(User)
class PixGenUserAdmin(UserAdmin):
    fieldsets = UserAdmin.fieldsets + (
        ("PixGen roles", {"fields": ("is_moderator", "is_reviewer", "data_terms_accepted_at")}),
    )
    list_display = ("username", "email", "is_moderator", "is_reviewer", "is_staff")
    list_filter = ("is_moderator", "is_reviewer", "is_staff")


@admin.register(ClinicianApplication)
class ClinicianApplicationAdmin(admin.ModelAdmin):
    list_display = ("user", "institution", "country", "status", "created_at")
    list_filter = ("status", "country")
    search_fields = ("user__username", "licence_number", "institution")
    readonly_fields = ("decided_by", "decided_at")


@admin.register(Diagnosis)
class DiagnosisAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "malignant", "is_active", "sort_order")
    list_editable = ("is_active", "sort_order")


@admin.register(LesionImage)
class LesionImageAdmin(admin.ModelAdmin):
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
class ImageRequestAdmin(admin.ModelAdmin):
    list_display = ("id", "diagnosis", "fitzpatrick_min", "fitzpatrick_max", "quantity", "status")
    list_filter = ("status", "diagnosis")


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("prefix", "user", "name", "created_at", "last_used_at", "revoked_at")
    readonly_fields = ("prefix", "key_hash")
