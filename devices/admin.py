"""The audit log and the timed resumes in the Django admin: read-only, in plain words, filterable, exportable.
Nobody edits history; a pending resume is the homeowner's to change (by pausing again or resuming)."""

from __future__ import annotations

import csv
from datetime import UTC, datetime, time, timedelta
from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.admin.views.main import ChangeList
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from . import services
from .models import ACTION_LABELS, DEVICE_KIND_LABELS, AuditEntry, ScheduledResume

EXPORT_MAX_DAYS = 366  # one CSV covers at most a year (a support export, not a backup)


class DeviceKindFilter(admin.SimpleListFilter):
    title = _("device kind")
    parameter_name = "device_kind"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, Any]]:
        return [(kind, label) for kind, label in DEVICE_KIND_LABELS.items()]

    def queryset(self, request: HttpRequest, queryset: QuerySet[AuditEntry]) -> QuerySet[AuditEntry]:
        return queryset.filter(device_kind=self.value()) if self.value() else queryset


class ActionFilter(admin.SimpleListFilter):
    title = _("action")
    parameter_name = "action"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, Any]]:
        return list(ACTION_LABELS.items())

    def queryset(self, request: HttpRequest, queryset: QuerySet[AuditEntry]) -> QuerySet[AuditEntry]:
        return queryset.filter(action=self.value()) if self.value() else queryset


class ExportForm(forms.Form):
    start = forms.DateField(label=_("From (first day)"), widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("To (last day, included)"), widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end:
            if end < start:
                self.add_error("end", _("The last day is before the first."))
            elif (end - start).days >= EXPORT_MAX_DAYS:
                self.add_error("end", _("At most %(n)d days per export.") % {"n": EXPORT_MAX_DAYS})
        return data


class _Echo:
    def write(self, value: str) -> str:
        return value


def _cell(value: Any) -> str:
    """A CSV cell a spreadsheet shows as text: a leading = + - @ (a formula) gets a quote in front."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


CSV_COLUMNS = ("time (UTC)", "homeowner", "acted by", "action", "action code", "device", "device kind",
               "device id", "outcome", "Podero status", "error")


class AuditChangeList(ChangeList):
    """Rows recorded before device names were stored get the device's current name, from the cache only
    (one round trip for the page, never an upstream call)."""

    def get_results(self, request: HttpRequest) -> None:
        super().get_results(request)
        unnamed = [e for e in self.result_list if not e.device_name and e.device_id]
        links = {getattr(e.user, "podero", None) for e in unnamed if e.user is not None} - {None}
        if not links:
            return
        names = {str(d.id): d.name for overview in services.cached_overviews(links=list(links)).values()
                 if overview is not None for d in overview.devices}
        for entry in unnamed:
            entry.device_name = names.get(entry.device_id, "")


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows written by the product only (the audit log, timed resumes): staff look, nobody edits."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "homeowner", "who", "what", "device", "result")
    list_filter = ("outcome", DeviceKindFilter, ActionFilter, ("user", admin.RelatedOnlyFieldListFilter),
                   "created_at")
    search_fields = ("user_email", "actor_email", "device_id", "device_name", "user__email")
    date_hierarchy = "created_at"
    ordering = ("-created_at",)
    list_select_related = ("user", "user__podero", "actor")
    list_per_page = 50
    show_full_result_count = False  # a long log must not cost a COUNT(*) per page
    fields = ("created_at", "user", "user_email", "actor", "actor_email", "podero_user_id", "device_kind",
              "device_name", "device_id", "action", "values", "upstream_status", "outcome", "error", "resolved_at")
    readonly_fields = fields

    @admin.display(description=_("home of"), ordering="user_email")
    def homeowner(self, obj: AuditEntry) -> str:
        return obj.user_email or "—"

    @admin.display(description=_("acted by"), ordering="actor_email")
    def who(self, obj: AuditEntry) -> str:
        if not obj.actor_email or obj.actor_email == obj.user_email:
            return str(_("the homeowner"))
        return obj.actor_email

    @admin.display(description=_("action"), ordering="action")
    def what(self, obj: AuditEntry) -> str:
        return obj.action_label

    @admin.display(description=_("device"), ordering="device_name")
    def device(self, obj: AuditEntry) -> str:
        return obj.device_label or "—"

    @admin.display(description=_("outcome"), ordering="outcome")
    def result(self, obj: AuditEntry) -> str:
        text = str(obj.get_outcome_display()).capitalize()
        return f"{text} ({obj.upstream_status})" if obj.upstream_status else text

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[ChangeList]:
        return AuditChangeList

    # --- CSV export for a date range ---------------------------------------------------------------
    def get_urls(self) -> list[URLPattern]:
        return [path("export/", self.admin_site.admin_view(require_GET(self.export_view)),
                     name="devices_auditentry_export"),
                *super().get_urls()]

    def export_view(self, request: HttpRequest) -> HttpResponse:
        """A date form (GET); with valid dates, the rows of those days as CSV, oldest first (streamed)."""
        if not self.has_view_permission(request):
            from django.core.exceptions import PermissionDenied

            raise PermissionDenied
        today = timezone.localdate()
        form = ExportForm(request.GET or None, initial={"start": today - timedelta(days=30), "end": today})
        if request.GET and form.is_valid():
            zone = timezone.get_current_timezone()
            start = datetime.combine(form.cleaned_data["start"], time.min, tzinfo=zone)
            end = datetime.combine(form.cleaned_data["end"] + timedelta(days=1), time.min, tzinfo=zone)
            rows = (AuditEntry.objects.filter(created_at__gte=start, created_at__lt=end)
                    .order_by("created_at", "pk").iterator(chunk_size=500))
            writer = csv.writer(_Echo())

            def lines() -> Any:
                yield "\ufeff"  # a BOM, so spreadsheet programs read the file as UTF-8
                yield writer.writerow(CSV_COLUMNS)
                for e in rows:
                    yield writer.writerow([_cell(v) for v in (
                        e.created_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S"), e.user_email,
                        e.actor_email or e.user_email, e.action_label, e.action, e.device_label, e.kind_label,
                        e.device_id, e.get_outcome_display(), e.upstream_status, e.error)])

            response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
            name = f"audit-log-{form.cleaned_data['start']:%Y%m%d}-{form.cleaned_data['end']:%Y%m%d}.csv"
            response["Content-Disposition"] = f'attachment; filename="{name}"'
            return response
        context = {**self.admin_site.each_context(request), "opts": self.opts, "form": form,
                   "title": _("Export the audit log as CSV")}
        return TemplateResponse(request, "admin/devices/auditentry/export.html", context,
                                status=400 if request.GET else 200)


@admin.register(ScheduledResume)
class ScheduledResumeAdmin(ReadOnlyAdmin):
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

