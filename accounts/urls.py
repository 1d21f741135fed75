from django.urls import path

from . import language, views

app_name = "accounts"
urlpatterns = [
    path("", views.settings_view, name="settings"),
    path("language", language.set_language, name="language"),
    path("sessions/end-others", views.sessions_end, name="sessions-end"),
    path("delete", views.account_delete, name="delete"),
    path("household/invite", views.household_invite, name="household-invite"),
    path("household/members/<int:member_id>/remove", views.household_member_remove, name="household-remove"),
    path("household/invites/<int:invite_id>/revoke", views.household_invite_revoke, name="household-revoke"),
    path("household/join/<str:token>/", views.household_join, name="household-join"),
]
