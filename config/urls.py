from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/pos/", include("pos.urls")),
    path("api/", include("members.api_urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("members.urls")),
]

handler404 = "members.views.page_not_found"
