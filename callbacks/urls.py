"""Callback pages, included under callbacks/ in the portal's URLs (namespace "portal"). `pk`
names a CallbackTask under tasks/ and a CallbackPlan under plans/, each resolved through its
visible_to(request.user)."""

from django.urls import path

from . import views, views_funnel, views_plans

urlpatterns = [
    path("", views.worklist_page, name="callback_worklist"),
    path("tasks/reassign/", views.tasks_reassign_bulk, name="callback_tasks_reassign"),
    path("tasks/<int:pk>/", views.task_detail, name="callback_task"),
    path("tasks/<int:pk>/record/", views.task_record, name="callback_task_record"),
    path("tasks/<int:pk>/reassign/", views.task_reassign, name="callback_task_reassign"),
    path("progress/", views.progress, name="callback_progress"),
    path("funnel/", views_funnel.funnel, name="callback_funnel"),
    path("products/", views_plans.product_search_view, name="callback_products"),
    path("plans/", views_plans.plan_list, name="callback_plans"),
    path("plans/new/", views_plans.plan_new, name="callback_plan_new"),
    path("plans/<int:pk>/", views_plans.plan_detail, name="callback_plan"),
    path("plans/<int:pk>/edit/", views_plans.plan_edit, name="callback_plan_edit"),
    path("plans/<int:pk>/activate/", views_plans.plan_activate_view, name="callback_plan_activate"),
    path("plans/<int:pk>/close/", views_plans.plan_close_view, name="callback_plan_close"),
]
