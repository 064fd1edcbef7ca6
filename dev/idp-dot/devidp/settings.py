"""Django settings of the local second OpenID Provider (django-oauth-toolkit), for development
and tests only: any login and password are accepted, the signing key is made at every start and
the database is a throwaway sqlite file. Everything a deployer would choose for a browser SPA is
here; DOT's own behaviour (issuer, paths, opaque tokens, logout confirmation) is left as it is."""

import os

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa


def seconds(name, default):
    value = int(os.environ.get(name, default))
    if value <= 0:
        raise ValueError(f"{name} must be a positive integer")
    return value


# The dev-only signing key (RS256, 2048 bits), made at every start: never for production.
_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
RSA_PRIVATE_KEY = _key.private_bytes(
    serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
).decode()

SECRET_KEY = "leptos-pkce-dot-dev-only-secret-key"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
ROOT_URLCONF = "devidp.urls"
WSGI_APPLICATION = None
USE_TZ = True
TIME_ZONE = "UTC"

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "oauth2_provider",
    "corsheaders",
    "devidp",
]

MIDDLEWARE = [
    "devidp.dev.TokenStats",
    "corsheaders.middleware.CorsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
]

# A SPA reads the token endpoint's errors too (DOT's own `allowed_origins` answers CORS on
# successes only): django-cors-headers, as DOT's documentation suggests, for the token endpoints.
_APP_PORT = os.environ.get("APP_PORT", "8080")
CORS_ALLOWED_ORIGINS = [f"http://127.0.0.1:{_APP_PORT}", f"http://localhost:{_APP_PORT}"]
CORS_URLS_REGEX = r"^/o/(token|revoke_token)/$"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {"context_processors": ["django.template.context_processors.request"]},
    }
]

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ["DOT_DATABASE"],
        # Concurrent refreshes from several tabs: wait for the write lock instead of failing.
        "OPTIONS": {"timeout": 20, "transaction_mode": "IMMEDIATE"},
    }
}
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"

# Any login and password: the user is made at the first sign-in (dev only).
AUTHENTICATION_BACKENDS = ["devidp.dev.AnyPasswordBackend"]
LOGIN_URL = "/accounts/login/"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast, dev only
SESSION_COOKIE_AGE = seconds("SESSION_TTL", 24 * 3600)

LOGGING = {
    "version": 1,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {"django.request": {"handlers": ["console"], "level": "WARNING"}},
}

OAUTH2_PROVIDER = {
    "OIDC_ENABLED": True,
    "OIDC_RSA_PRIVATE_KEY": RSA_PRIVATE_KEY,
    "OIDC_RP_INITIATED_LOGOUT_ENABLED": True,
    "OAUTH2_VALIDATOR_CLASS": "devidp.dev.Validator",
    "SCOPES": {
        "openid": "OpenID Connect",
        "profile": "Your name and nickname",
        "email": "Your email address",
        "offline_access": "Stay signed in",
        "read:messages": "Read messages",
        "write:messages": "Write messages",
        "read:reports": "Read reports",
        "introspection": "Introspect tokens (the demo API)",
    },
    "DEFAULT_SCOPES": ["openid"],
    "ACCESS_TOKEN_EXPIRE_SECONDS": seconds("ACCESS_TOKEN_TTL", 60),
    "REFRESH_TOKEN_EXPIRE_SECONDS": seconds("REFRESH_TOKEN_TTL", 24 * 3600),
    "ID_TOKEN_EXPIRE_SECONDS": 3600,
    # Rotating refresh tokens; a spent one used again revokes the whole family.
    "ROTATE_REFRESH_TOKEN": True,
    "REFRESH_TOKEN_REUSE_PROTECTION": True,
    "PKCE_REQUIRED": True,
    # RFC 9700 gates DOT recommends turning on: S256 only, no implicit or password grant.
    "COMPLIANT_BCP_RFC9700_PKCE_METHOD": True,
    "COMPLIANT_BCP_RFC9700_IMPLICIT_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PASSWORD_GRANT": True,
    "OIDC_RESPONSE_TYPES_SUPPORTED": ["code"],
    # The app's origins are plain http on loopback: CORS for them needs "http" here.
    "ALLOWED_SCHEMES": ["https", "http"],
}
