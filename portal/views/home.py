from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from portal.access import workplaces_for


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    workplaces = workplaces_for(request.user).order_by("name")
    return render(request, "portal/dashboard.html", {"workplaces": workplaces})
