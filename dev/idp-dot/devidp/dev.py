"""The dev-only parts: claims for the ID token, a login that accepts anyone, and token
endpoint statistics for the tests."""

import json
import threading

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.http import JsonResponse
from oauth2_provider.oauth2_validators import OAuth2Validator


class Validator(OAuth2Validator):
    """DOT's validator with the profile and email claims (OIDC Core §5.1) of each person."""

    def get_additional_claims(self):
        # The request-agnostic form, so that discovery lists the claims.
        return {
            "name": lambda request: request.user.first_name,
            "nickname": lambda request: request.user.username,
            "preferred_username": lambda request: request.user.username,
            "email": lambda request: request.user.email,
            "email_verified": lambda request: True,
        }

    # oauthlib asks these for `prompt=none` (OIDC Core §3.1.2.1) and DOT leaves them
    # unimplemented: without them a silent sign-in with a live session is an HTTP 500.
    def validate_silent_login(self, request):
        # DOT's AuthorizationView validates only once the person is signed in (LoginRequiredMixin);
        # without a session it answers `login_required` itself.
        return True

    def validate_silent_authorization(self, request):
        # A first-party client (no consent screen) needs no consent for a silent sign-in.
        return bool(getattr(request.client, "skip_authorization", False))


class AnyPasswordBackend(ModelBackend):
    """Any login and any password (dev only): the person is made at the first sign-in."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if not username or not password:
            return None
        user, created = get_user_model().objects.get_or_create(
            username=username,
            defaults={"first_name": username[:1].upper() + username[1:], "email": f"{username}@example.test"},
        )
        if created:
            user.set_unusable_password()
            user.save()
        return user if self.user_can_authenticate(user) else None


_lock = threading.Lock()
_stats = {"authorization_code": 0, "refresh_token": 0, "errors": 0, "revocations": 0, "introspections": 0,
          "refresh_errors": []}


class TokenStats:
    """Counts the token endpoint's answers by grant type (and its refusals), revocations and
    introspections, and serves them at `/__dev/stats` (dev only)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path == "/__dev/stats":
            with _lock:
                return JsonResponse(_stats)
        response = self.get_response(request)
        if request.method == "POST" and request.path == "/o/token/":
            grant = request.POST.get("grant_type", "")
            with _lock:
                if response.status_code == 200 and grant in _stats:
                    _stats[grant] += 1
                elif response.status_code != 200:
                    _stats["errors"] += 1
                    if grant == "refresh_token":
                        try:
                            body = json.loads(response.content)
                        except ValueError:
                            body = response.content.decode(errors="replace")
                        _stats["refresh_errors"].append({"status": response.status_code, "body": body})
        elif request.method == "POST" and request.path == "/o/revoke_token/":
            with _lock:
                _stats["revocations"] += 1
        elif request.path == "/o/introspect/":
            with _lock:
                _stats["introspections"] += 1
        return response
