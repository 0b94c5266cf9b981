from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.utils.translation import gettext as _

from .models import Membership

ROLE_RANK = {Membership.VIEWER: 0, Membership.FINANCE: 1, Membership.OWNER: 2}


def entity_required(view):
    """The user is logged in and a member of the Account of a current Entity."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.entity is None:
            return render(request, "entities/no_entity.html", status=403)
        return view(request, *args, **kwargs)

    return wrapper


def role_required(role: str):
    """At least `role` in the current Entity's Account: 'finance' for any change, 'owner' for
    settings. A viewer gets 403."""

    def decorator(view):
        @entity_required
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if ROLE_RANK[request.membership.role] < ROLE_RANK[role]:
                raise PermissionDenied(_("Your role in this account is read-only for this."))
            return view(request, *args, **kwargs)

        return wrapper

    return decorator
