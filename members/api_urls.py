from rest_framework.routers import DefaultRouter

from .api import MemberViewSet

router = DefaultRouter()
router.register("members", MemberViewSet, basename="member")

urlpatterns = router.urls
