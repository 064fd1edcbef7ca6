from django.contrib.auth import views as auth_views
from django.urls import include, path
from oauth2_provider.urls import metadata_urlpatterns

urlpatterns = [
    # DOT where its documentation mounts it: the issuer is then http://host:port/o.
    path("o/", include("oauth2_provider.urls", namespace="oauth2_provider")),
    # RFC 8414 metadata at the root as well, as DOT's documentation asks of a prefixed mount:
    # /.well-known/oauth-authorization-server/o names the issuer http://host:port/o.
    path("", include((metadata_urlpatterns, "metadata"))),
    # Django's own login form (inputs `username` and `password`).
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
]
