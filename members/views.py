"""Store portal views: thin, every read through visible_to(request.user)."""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render


@login_required
def home(request):
    return HttpResponse("Siyu")


def page_not_found(request, exception=None):
    return render(request, "404.html", status=404)
