from django.contrib import admin

from repository.admin import ModeratorAccess
from synthesis.models import (
    GanModel,
    JobItem,
    Review,
    ReviewSettlement,
    SegmenterModel,
    StyleTemplate,
    SynthesisJob,
    SyntheticImage,
)


class ReadOnlyFiles(ModeratorAccess):
    """Rows that own files are written by the services only: no add or delete here."""

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ViewOnly(ReadOnlyFiles):
    """Rows that carry a review decision: shown for audit, changed only by the services that
    enforce the review rules (review_submit, review_settle)."""

    def has_change_permission(self, request, obj=None):
        return False


class JobItemInline(admin.TabularInline):
    model = JobItem
    extra = 0
    fields = ("source_image", "target_key", "status", "attempts", "error", "result")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(SynthesisJob)
class SynthesisJobAdmin(ReadOnlyFiles, admin.ModelAdmin):
    list_display = (
        "id",
        "kind",
        "status",
        "items_done",
        "items_failed",
        "items_total",
        "created_by",
        "created_at",
    )
    list_filter = ("kind", "status")
    # Jobs change state through the job services (cancel, retry, the worker's claim).
    readonly_fields = (
        "kind",
        "status",
        "items_total",
        "items_done",
        "items_failed",
        "error",
        "created_by",
        "params",
        "progress",
        "celery_task_id",
        "started_at",
        "finished_at",
    )
    inlines = [JobItemInline]


@admin.register(SyntheticImage)
class SyntheticImageAdmin(ViewOnly, admin.ModelAdmin):
    """Nothing synthetic is edited by hand: its status comes from dermatologist review, and its
    claimed labels are what the reviewers approved."""

    list_display = (
        "id",
        "method",
        "backend",
        "diagnosis",
        "fitzpatrick",
        "measured_ita",
        "in_band",
        "status",
        "created_at",
    )
    list_filter = ("status", "method", "backend", "fitzpatrick", "in_band")
    search_fields = ("sha256",)
    readonly_fields = (
        "image",
        "thumbnail",
        "sha256",
        "width",
        "height",
        "method",
        "backend",
        "model_version",
        "source_image",
        "target",
        "params",
        "seed",
        "measurements",
        "measured_ita",
        "in_band",
        "job",
        "created_by",
    )


@admin.register(StyleTemplate)
class StyleTemplateAdmin(ReadOnlyFiles, admin.ModelAdmin):
    list_display = ("name", "fitzpatrick", "ita_deg", "is_active", "created_at")
    list_filter = ("fitzpatrick", "is_active")
    list_editable = ("is_active",)
    readonly_fields = (
        "patch",
        "ita_deg",
        "lab_stats",
        "width",
        "height",
        "source_image",
        "crop_box",
    )


@admin.register(SegmenterModel)
class SegmenterModelAdmin(ReadOnlyFiles, admin.ModelAdmin):
    list_display = ("version", "val_dice", "device", "is_active", "created_at")
    list_filter = ("is_active",)
    list_editable = ("is_active",)
    readonly_fields = (
        "version",
        "weights",
        "weights_sha256",
        "data_snapshot",
        "config",
        "metrics",
        "val_dice",
        "wall_seconds",
        "device",
        "job",
    )


@admin.register(GanModel)
class GanModelAdmin(ReadOnlyFiles, admin.ModelAdmin):
    list_display = ("version", "status", "image_size", "step", "device", "created_at")
    list_filter = ("status", "image_size")
    readonly_fields = (
        "version",
        "status",
        "image_size",
        "config",
        "data_snapshot",
        "condition_space",
        "checkpoint",
        "weights",
        "weights_sha256",
        "sample_grid",
        "loss_plot",
        "metrics",
        "step",
        "wall_seconds",
        "device",
        "error",
        "job",
    )


@admin.register(Review)
class ReviewAdmin(ViewOnly, admin.ModelAdmin):
    list_display = ("id", "synthetic", "reviewer", "decision", "realism", "created_at")
    list_filter = ("decision",)


@admin.register(ReviewSettlement)
class ReviewSettlementAdmin(ViewOnly, admin.ModelAdmin):
    list_display = ("id", "synthetic", "moderator", "decision", "created_at")
    list_filter = ("decision",)
