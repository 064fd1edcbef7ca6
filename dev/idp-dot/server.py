"""Local second OpenID Provider: django-oauth-toolkit, configured as a deployer would for a browser
SPA. Not for production: any login and password are accepted, the key is made at every start and
the database lives in a temporary folder removed at exit.

Run with `.venv/bin/python server.py` (`cargo xtask dev` or `test` makes the .venv); it takes
DOT_PORT (5500), APP_PORT (8080), ACCESS_TOKEN_TTL (60 s), REFRESH_TOKEN_TTL, SESSION_TTL and
DOT_DATA from the environment. Dev-only: `/__dev/stats` counts the token endpoint's answers.
"""

import os
import shutil
import signal
import sys
import tempfile

HOST = "127.0.0.1"
PORT = int(os.environ.get("DOT_PORT", "5500"))
APP_PORT = int(os.environ.get("APP_PORT", "8080"))
APP_ORIGINS = [f"http://127.0.0.1:{APP_PORT}", f"http://localhost:{APP_PORT}"]

# Plain http is only for loopback development: oauthlib refuses it (and sends no CORS headers to
# an http origin) unless told otherwise.
os.environ["OAUTHLIB_INSECURE_TRANSPORT"] = "1"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "devidp.settings")
# The database: in DOT_DATA (emptied at start, e.g. by tests that kill the server), else in a
# temporary folder removed at exit.
KEEP = bool(os.environ.get("DOT_DATA"))
DATA = os.environ["DOT_DATA"] if KEEP else tempfile.mkdtemp(prefix="idp-dot-")
os.makedirs(DATA, exist_ok=True)
os.environ["DOT_DATABASE"] = os.path.join(DATA, "db.sqlite3")
for suffix in ("", "-journal", "-wal", "-shm"):
    if os.path.exists(os.environ["DOT_DATABASE"] + suffix):
        os.remove(os.environ["DOT_DATABASE"] + suffix)
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


def stop(*_):
    if not KEEP:
        shutil.rmtree(DATA, ignore_errors=True)
    os._exit(0)


signal.signal(signal.SIGTERM, stop)
signal.signal(signal.SIGINT, stop)

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.core.wsgi import get_wsgi_application  # noqa: E402
from oauth2_provider.models import get_application_model  # noqa: E402
from waitress import create_server  # noqa: E402


def register_clients():
    Application = get_application_model()
    # The SPA: public (no secret), PKCE S256 (required for every client), no consent screen.
    Application.objects.create(
        name="leptos-pkce (dev)",
        client_id=os.environ.get("IDP_CLIENT_ID", "leptos-pkce-dev"),
        client_secret="",
        client_type=Application.CLIENT_PUBLIC,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris=" ".join(f"{origin}/callback" for origin in APP_ORIGINS),
        post_logout_redirect_uris=" ".join(f"{origin}/" for origin in APP_ORIGINS),
        allowed_origins=" ".join(APP_ORIGINS),
        skip_authorization=True,
        algorithm=Application.RS256_ALGORITHM,
    )
    # The demo API: a confidential client that introspects access tokens (RFC 7662).
    Application.objects.create(
        name="leptos-pkce demo API",
        client_id="leptos-pkce-api",
        client_secret="leptos-pkce-api-dev-secret",
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_CLIENT_CREDENTIALS,
        algorithm=Application.RS256_ALGORITHM,
    )


def main():
    call_command("migrate", verbosity=0, interactive=False)
    register_clients()
    ttl = os.environ.get("ACCESS_TOKEN_TTL", "60")
    server = create_server(get_wsgi_application(), host=HOST, port=PORT, threads=8, ident="idp-dot")
    print(f"identity provider (django-oauth-toolkit) ready at http://{HOST}:{PORT}/o (access tokens live {ttl}s)",
          flush=True)
    try:
        server.run()
    finally:
        stop()


if __name__ == "__main__":
    main()
