"""Partner staff accounts, listed apart from homeowners."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import URLPattern
from django.utils.translation import gettext_lazy as _

from ..forms import HomeownerChangeForm, HomeownerCreationForm
from ..models import StaffUser, User
from .homeowners import HomeownerAdmin


@admin.register(StaffUser)
class StaffAdmin(UserAdmin):
    """Partner staff accounts: their groups and rights; no devices, no household."""

    form = HomeownerChangeForm
    add_form = HomeownerCreationForm
    list_display = ("email", "full_name", "group_names", "is_superuser", "is_active", "last_login")
    list_filter = ("is_superuser", "is_active", "groups")
    search_fields = ("email", "first_name", "last_name")
    ordering = ("email",)
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Personal info"), {"fields": ("first_name", "last_name")}),
        (_("Permissions"), {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = HomeownerAdmin.add_fieldsets

    def get_queryset(self, request: HttpRequest) -> QuerySet[User]:
        return super().get_queryset(request).filter(is_staff=True).prefetch_related("groups")

    def get_urls(self) -> list[URLPattern]:
        # UserAdmin names its password page "auth_user_password_change" whatever the model: give this
        # list's its own name, so reversing the homeowners' one never lands here (forms link "../password/").
        urls = super().get_urls()
        for url in urls:
            if getattr(url, "name", None) == "auth_user_password_change":
                url.name = "accounts_staffuser_password_change"
        return urls

    def save_model(self, request: HttpRequest, obj: User, form: Any, change: bool) -> None:
        if not change:
            obj.is_staff = True  # added from the staff list: a staff account
        super().save_model(request, obj, form, change)

    @admin.display(description=_("name"), ordering="first_name")
    def full_name(self, obj: User) -> str:
        return obj.get_full_name() or "—"

    @admin.display(description=_("groups"))
    def group_names(self, obj: User) -> str:
        return ", ".join(g.name for g in obj.groups.all()) or "—"


