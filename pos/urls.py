app_name = "pos"
urlpatterns = []
