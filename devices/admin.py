"""The audit log and the timed resumes in the Django admin: read-only, filterable, searchable. Nobody edits
history; a pending resume is the homeowner's to change (by pausing again or resuming)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import AuditEntry, ScheduledResume


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ("created_at", "user_email", "device_kind", "device_id", "action", "outcome", "upstream_status")
    list_filter = ("outcome", "action", "device_kind", ("user", admin.RelatedOnlyFieldListFilter), "created_at")
    search_fields = ("user_email", "device_id", "user__email")
    date_hierarchy = "created_at"
    ordering = ("-created_at",)
    list_select_related = ("user",)
    list_per_page = 50
    show_full_result_count = False  # a long log must not cost a COUNT(*) per page
    fields = ("created_at", "user", "user_email", "podero_user_id", "device_kind", "device_id", "action", "values",
              "upstream_status", "outcome", "error")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ScheduledResume)
class ScheduledResumeAdmin(admin.ModelAdmin):
    """"Pause until…": when each pause ends, whether our resume happened, and why a retry is pending."""

    list_display = ("resume_at", "user", "device_kind", "device_id", "status", "attempts", "next_attempt_at",
                    "last_error")
    list_filter = ("status", "device_kind", "resume_at")
    search_fields = ("user__email", "device_id")
    list_select_related = ("user",)
    ordering = ("-resume_at",)
    fields = ("user", "org_id", "podero_user_id", "device_kind", "device_id", "resume_at", "status", "attempts",
              "next_attempt_at", "last_error", "created_at", "finished_at")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
