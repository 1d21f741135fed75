"""Homeowners: the list (staff apart), the support summary first on a homeowner's page, linking to Podero,
refreshing devices and viewing the dashboard as the homeowner sees it."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.admin.views.main import ChangeList
from django.contrib.auth.admin import UserAdmin
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, URLPattern, path, reverse
from django.utils.html import format_html
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from dashboard import cards
from dashboard.views import CARD_ORDER
from devices import podero, services
from devices.models import AuditEntry
from devices.services.audit import A_VIEW_AS, audit

from ..forms import HomeownerChangeForm, HomeownerCreationForm, LinkHomeownerForm
from ..models import HouseholdMember, PoderoLink, Role, User
from ..services import LinkError, homeowner_link, household_of
from ..templatetags.support import short_id
from .common import AUDIT_ROWS, REFRESH_PERM, log


class LinkedFilter(admin.SimpleListFilter):
    title = _("Podero link")
    parameter_name = "linked"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [("yes", _("Linked")), ("no", _("Not linked"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[User]) -> QuerySet[User]:
        if self.value() == "yes":
            return queryset.filter(podero__isnull=False)
        if self.value() == "no":
            return queryset.filter(podero__isnull=True)
        return queryset


class PoderoLinkInline(admin.StackedInline):
    model = PoderoLink
    max_num = 1
    can_delete = True
    fields = ("org_id", "podero_user_id", "created_at", "updated_at")
    readonly_fields = ("created_at", "updated_at")
    verbose_name_plural = _("Podero link (delete to unlink; the audit log is kept)")


class HomeownerChangeList(ChangeList):
    """Reads what the cache holds for the page's homeowners in one round trip, before the rows render."""

    def get_results(self, request: HttpRequest) -> None:
        super().get_results(request)
        links = [link for user in self.result_list if (link := getattr(user, "podero", None)) is not None]
        overviews = services.cached_overviews(links=links)
        for user in self.result_list:
            link = getattr(user, "podero", None)
            user.cached_overview = overviews.get(services.Ids.of(link)) if link is not None else None
        # Households in two queries for the whole page: how many people share each home, whose home a member is.
        owners = [u.podero.pk for u in self.result_list if getattr(u, "podero", None) is not None]
        counts: dict[int, int] = {}
        for link_id in HouseholdMember.objects.filter(link_id__in=owners).values_list("link_id", flat=True):
            counts[link_id] = counts.get(link_id, 0) + 1
        memberships = {m.user_id: m for m in HouseholdMember.objects.filter(
            user__in=[u.pk for u in self.result_list]).select_related("link__user")}
        for user in self.result_list:
            link = getattr(user, "podero", None)
            user.household_size = counts.get(link.pk, 0) if link is not None else 0
            user.membership = memberships.get(user.pk)


class HouseholdFilter(admin.SimpleListFilter):
    title = _("household")
    parameter_name = "household"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [("owner", _("Owners (hold the Podero link)")), ("shares", _("Owners who invited others")),
                ("member", _("Invited: members")), ("viewer", _("Invited: viewers"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[User]) -> QuerySet[User]:
        value = self.value()
        if value == "owner":
            return queryset.filter(podero__isnull=False)
        if value == "shares":
            return queryset.filter(podero__members__isnull=False).distinct()
        if value in (Role.MEMBER, Role.VIEWER):
            return queryset.filter(household_membership__role=value)
        return queryset


@admin.register(User)
class HomeownerAdmin(UserAdmin):
    """Homeowners and the people they invited into their home. Partner staff have their own list
    (StaffAdmin below). Columns fit a 1280 px screen: device names, not ids; a short Podero id."""

    form = HomeownerChangeForm
    add_form = HomeownerCreationForm
    list_display = ("person", "podero_user_id", "devices", "attention", "household", "last_login")
    list_display_links = ("person",)
    list_filter = (LinkedFilter, HouseholdFilter, "is_active")
    list_select_related = ("podero",)
    search_fields = ("email", "first_name", "last_name", "podero__podero_user_id")
    ordering = ("email",)
    inlines = (PoderoLinkInline,)
    actions = ("refresh_devices",)
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Personal info"), {"fields": ("first_name", "last_name")}),
        (_("Preferences"), {"fields": ("timezone", "notify_attention")}),
        (_("Permissions"), {"classes": ("collapse",),
                            "fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        (_("Important dates"), {"classes": ("collapse",), "fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("email", "usable_password", "password1", "password2")}),
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[User]:
        return super().get_queryset(request).filter(is_staff=False)

    def get_inline_instances(self, request: HttpRequest, obj: User | None = None) -> list[Any]:
        # The stock add form is email + password only (as Django's own); the link comes after.
        return super().get_inline_instances(request, obj) if obj is not None else []

    # --- list columns (cache only) -------------------------------------------------------------
    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[ChangeList]:
        return HomeownerChangeList

    @admin.display(description=_("homeowner"), ordering="email")
    def person(self, obj: User) -> str:
        name = obj.get_full_name()
        if not name:
            return obj.email
        return format_html('{}<span class="support-name">{}</span>', obj.email, name)

    @admin.display(description=_("Podero user"), ordering="podero__podero_user_id")
    def podero_user_id(self, obj: User) -> str | None:
        link = getattr(obj, "podero", None)
        if link is None:
            return None
        return format_html('<span class="support-id" title="{}">{}</span>', link.podero_user_id,
                           short_id(link.podero_user_id))

    @admin.display(description=_("devices"))
    def devices(self, obj: User) -> str | None:
        if getattr(obj, "podero", None) is None:
            return None
        overview = getattr(obj, "cached_overview", None)
        if overview is None:
            return _("not loaded yet")
        names = [d.name for d in overview.devices]
        return ", ".join(names) if names else _("none")

    @admin.display(description=_("needs attention"))
    def attention(self, obj: User) -> str | None:
        if getattr(obj, "podero", None) is None:
            return None
        overview = getattr(obj, "cached_overview", None)
        if overview is None:
            return _("unknown")
        count = len(overview.needs_attention)
        return _("yes (%(n)d)") % {"n": count} if count else _("no")

    @admin.display(description=_("household"))
    def household(self, obj: User) -> str:
        membership = getattr(obj, "membership", None)
        if membership is not None:
            return capfirst(_("%(role)s in %(owner)s's home") % {"role": membership.get_role_display(),
                                                                 "owner": membership.link.user.email})
        if getattr(obj, "podero", None) is None:
            return "—"
        size = getattr(obj, "household_size", 0)
        return (_("owner, %(n)d invited") % {"n": size}) if size else _("owner")

    # --- the refresh action and button ---------------------------------------------------------
    def has_refresh_devices_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(REFRESH_PERM)

    @admin.action(description=_("Refresh devices now"), permissions=["refresh_devices"])
    def refresh_devices(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        refreshed, failed, unlinked = 0, 0, 0
        for user in queryset.select_related("podero"):
            link = getattr(user, "podero", None)
            if link is None:
                unlinked += 1
                continue
            overview = services.device_overview(link=link, force=True)
            if overview.error:
                failed += 1
            else:
                refreshed += 1
        if refreshed:
            self.message_user(request, _("Refreshed the devices of %(n)d homeowner(s).") % {"n": refreshed},
                              messages.SUCCESS)
        if failed:
            self.message_user(request, _("Podero did not answer for %(n)d homeowner(s); their last-known "
                                         "data is kept. Try again in a minute.") % {"n": failed},
                              messages.WARNING)
        if unlinked:
            self.message_user(request, _("%(n)d selected account(s) are not linked to Podero.")
                              % {"n": unlinked}, messages.INFO)

    # --- extra pages ----------------------------------------------------------------------------
    def get_urls(self) -> list[URLPattern]:
        own = [
            path("add-homeowner/", self.admin_site.admin_view(self.link_view),
                 name="accounts_user_add_homeowner"),
            path("<path:object_id>/link-podero/", self.admin_site.admin_view(self.link_view),
                 name="accounts_user_link_podero"),
            path("<path:object_id>/refresh-devices/", self.admin_site.admin_view(self.refresh_view),
                 name="accounts_user_refresh_devices"),
            path("<path:object_id>/view-as-homeowner/", self.admin_site.admin_view(require_GET(self.view_as_homeowner)),
                 name="accounts_user_view_as"),
        ]
        return own + super().get_urls()

    def change_view(self, request: HttpRequest, object_id: str, form_url: str = "",
                    extra_context: dict[str, Any] | None = None) -> HttpResponse:
        extra_context = dict(extra_context or {})
        user = self.get_object(request, unquote(object_id))
        if user is not None and self.has_view_or_change_permission(request, user):
            extra_context.update(self._homeowner_context(request, user))
        return super().change_view(request, object_id, form_url, extra_context)

    def _homeowner_context(self, request: HttpRequest, user: User) -> dict[str, Any]:
        """The support summary at the top of a homeowner's page: devices, household, recent actions."""
        link = PoderoLink.objects.filter(user=user).first()
        membership = HouseholdMember.objects.select_related("link__user").filter(user=user).first()
        context: dict[str, Any] = {
            "podero_link": link,
            "membership": membership,
            "can_refresh": self.has_refresh_devices_permission(request),
            "can_link": request.user.has_perm("accounts.add_poderolink"),
            "can_view_as": link is not None and self.has_view_permission(request, user),
        }
        home = link or (membership.link if membership is not None else None)  # a member sees the home's devices
        context["home_link"] = home
        if home is not None:
            context["overview"] = services.device_overview(link=home)
        if link is not None:
            context.update(household_of(link))
        if request.user.has_perm("devices.view_auditentry"):
            # The home's actions, whoever in the household acted, and this person's own (as a member).
            entries = AuditEntry.objects.filter(Q(user=user) | Q(actor=user)).select_related("actor")
            context["audit_entries"] = list(entries[:AUDIT_ROWS])
            names = {str(d.id): d.name for d in context["overview"].devices} if home is not None else {}
            for entry in context["audit_entries"]:  # rows from before names were recorded: today's name
                entry.device_name = entry.device_name or names.get(entry.device_id, "")
            try:
                context["audit_url"] = (
                    reverse("admin:devices_auditentry_changelist", current_app=self.admin_site.name)
                    + f"?user__id__exact={user.pk}"
                )
            except NoReverseMatch:
                context["audit_url"] = None
        return context

    def view_as_homeowner(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """The homeowner's dashboard as they see it, without a single control (staff with the view
        permission). Every opening is audited: who looked at whose home, and when."""
        user = get_object_or_404(User.objects.select_related("podero"), pk=unquote(object_id), is_staff=False)
        if not self.has_view_permission(request, user):
            raise PermissionDenied
        link = getattr(user, "podero", None)
        if link is None:
            messages.info(request, _("%(email)s is not linked to Podero: there is no dashboard to show.")
                          % {"email": user.email})
            return HttpResponseRedirect(reverse("admin:accounts_user_change", args=[user.pk],
                                                current_app=self.admin_site.name))
        audit(user=request.user, link=link, kind="", device_id="", action=A_VIEW_AS, values={},
              outcome=AuditEntry.Outcome.OK)
        request.household_link = link  # type: ignore[attr-defined]  # what the card tags read
        request.household_role = "support"  # type: ignore[attr-defined]  # not owner/member: no control drawn
        overview = services.device_overview(link=link)
        devices = sorted(overview.devices, key=lambda d: CARD_ORDER.get(d.kind, len(CARD_ORDER)))
        return TemplateResponse(request, "dashboard/home.html", {
            "overview": overview, "devices": devices, "cards": cards.render_cards(request, devices),
            "view_as": user,
            "admin_url": reverse("admin:accounts_user_change", args=[user.pk], current_app=self.admin_site.name),
        })

    def refresh_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """The change page's "Refresh devices now" button (POST)."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not self.has_refresh_devices_permission(request):
            raise PermissionDenied
        user = get_object_or_404(User.objects.select_related("podero"), pk=unquote(object_id))
        link = getattr(user, "podero", None)
        if link is None:
            messages.info(request, _("%(email)s is not linked to Podero.") % {"email": user.email})
        else:
            overview = services.device_overview(link=link, force=True)
            if overview.error:
                messages.warning(request, _("Podero did not answer: %(error)s The last-known data is shown.")
                                 % {"error": overview.error})
            else:
                messages.success(request, _("Devices refreshed from Podero."))
        return HttpResponseRedirect(reverse("admin:accounts_user_change", args=[user.pk],
                                            current_app=self.admin_site.name))

    def link_view(self, request: HttpRequest, object_id: str | None = None) -> HttpResponse:
        """Add a homeowner (no object_id) or link an existing one, to an existing or a new Podero user."""
        user: User | None = None
        if object_id is not None:
            user = get_object_or_404(User, pk=unquote(object_id))
            allowed = request.user.has_perms(["accounts.add_poderolink", "accounts.change_user"])
        else:
            allowed = request.user.has_perms(["accounts.add_user", "accounts.add_poderolink"])
        if not allowed:
            raise PermissionDenied
        form = LinkHomeownerForm(request.POST or None, user=user)
        if request.method == "POST" and form.is_valid():
            linked = _link(request, form, user)
            if linked is not None:
                return HttpResponseRedirect(reverse("admin:accounts_user_change", args=[linked.pk],
                                                    current_app=self.admin_site.name))
        existing = getattr(user, "podero", None) if user is not None else None
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Link %(email)s to Podero") % {"email": user.email} if user else _("Add a homeowner"),
            "form": form,
            "homeowner": user,
            "existing_link": existing,
            "org_id": settings.PODERO_ORG_ID,
            "media": self.media + form.media,
        }
        return TemplateResponse(request, "admin/accounts/user/link_podero.html", context)


def _link(request: HttpRequest, form: LinkHomeownerForm, user: User | None) -> User | None:
    """Carry out a valid LinkHomeownerForm. Errors go onto the form; returns the linked user or None."""
    data = form.cleaned_data
    email = form.email_value
    podero_user_id = data.get("podero_user_id") or ""
    try:
        client = podero.get_client()
        if data["how"] == LinkHomeownerForm.CREATE:
            created = client.create_user(email=email, first_name=data.get("first_name", ""),
                                         last_name=data.get("last_name", ""),
                                         external_user_id=data.get("external_user_id") or None)
            podero_user_id = str(created["id"])
            messages.info(request, _("Created Podero user %(id)s.") % {"id": podero_user_id})
        else:
            client.get_user(user_id=podero_user_id)  # it must exist in our organization
    except podero.PoderoNotFound:
        form.add_error("podero_user_id", _("Podero has no user with this id in organization %(org)s.")
                       % {"org": settings.PODERO_ORG_ID})
        return None
    except (podero.PoderoConflict, podero.PoderoValidationError) as exc:
        fields = exc.field_errors if isinstance(exc, podero.PoderoValidationError) else {}
        detail = "; ".join(f"{k}: {v}" for k, v in fields.items()) or (
            exc.detail if isinstance(exc.detail, str) else "")
        suffix = f" ({detail})" if detail else ""
        if data["how"] == LinkHomeownerForm.CREATE:
            form.add_error("how", _("Podero refused to create this user%(detail)s. If the email is already a "
                                    "Podero user, link to that user's id instead.") % {"detail": suffix})
        else:
            form.add_error("podero_user_id", _("Podero refused this user id%(detail)s.") % {"detail": suffix})
        return None
    except podero.PoderoError as exc:
        log.warning("admin_link_failed", extra={"error": type(exc).__name__})
        form.add_error(None, _("%(reason)s Nothing was changed; please try again.")
                       % {"reason": services.describe_failure(exc)})
        return None
    try:
        with transaction.atomic():
            if user is None and not data.get("password"):
                User.objects.create_user(email=email, password=None)  # no usable password: "Forgot password?"
            linked, _created = homeowner_link(
                email=email, podero_user_id=podero_user_id, password=data.get("password") or None,
                first_name=data.get("first_name", ""), last_name=data.get("last_name", ""),
            )
    except LinkError as exc:
        form.add_error(None, str(exc))
        return None
    messages.success(request, _("%(email)s is linked to Podero user %(id)s.")
                     % {"email": email, "id": podero_user_id})
    return linked


