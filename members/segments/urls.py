"""Segment pages, included under segments/ in the portal's URLs (namespace "portal").

Every `pk` names a Segment resolved through Segment.objects.visible_to(request.user)."""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.segment_list, name="segment_list"),
    path("new/", views.segment_new, name="segment_new"),
    path("<int:pk>/", views.segment_detail, name="segment_detail"),
    path("<int:pk>/edit/", views.segment_edit, name="segment_edit"),
    path("<int:pk>/materialise/", views.segment_materialise_now, name="segment_materialise"),
    path("<int:pk>/export/", views.segment_export, name="segment_export"),
]
