from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CallbacksConfig(AppConfig):
    name = "callbacks"
    verbose_name = _("回访")

    def ready(self):
        from members.services import REBIND_FOLLOWERS

        from . import (
            admin_settings,  # noqa: F401  (the lifecycle rules' admin)
            segment_conditions,  # noqa: F401  (registers the callback conditions)
        )
        from .services.reassign import open_tasks_follow

        if open_tasks_follow not in REBIND_FOLLOWERS:
            REBIND_FOLLOWERS.append(open_tasks_follow)
