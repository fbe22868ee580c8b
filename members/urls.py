"""The store portal. Every member URL is store-scoped: `pk` names a Member, resolved through
Member.objects.visible_to(request.user), so another store's member is a 404."""

from django.contrib.auth import views as auth_views
from django.urls import include, path

from . import views, views_exports, views_groups, views_tags
from .forms import LoginForm

app_name = "portal"
urlpatterns = [
    path("", views.home, name="home"),
    path(
        "login/",
        auth_views.LoginView.as_view(
            template_name="portal/login.html",
            authentication_form=LoginForm,
            redirect_authenticated_user=True,
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("members/", views.member_list, name="member_list"),
    path("members/export/", views_exports.member_export, name="member_export"),
    path("members/<int:pk>/", views.member_detail, name="member_detail"),
    path("members/<int:pk>/phone/", views.member_phone_reveal, name="member_phone_reveal"),
    path("members/<int:pk>/rebind/", views.member_rebind, name="member_rebind"),
    path("members/<int:pk>/tags/", views_tags.member_tag_add, name="member_tag_add"),
    path("members/<int:pk>/tags/new/", views_tags.member_tag_create, name="member_tag_create"),
    path(
        "members/<int:pk>/tags/<int:tag_id>/remove/",
        views_tags.member_tag_remove,
        name="member_tag_remove",
    ),
    path("groups/migration/", views_groups.group_migration, name="group_migration"),
    path("segments/", include("members.segments.urls")),
    path("coupons/", include("coupons.urls")),
    path("callbacks/", include("callbacks.urls")),
]
