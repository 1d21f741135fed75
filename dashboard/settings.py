"""The one settings module. Every value that differs between machines comes from the environment.

`make run` needs none of them: it runs on SQLite, an in-process cache and the built-in Podero
simulator. Production sets `DJANGO_DEBUG=0`, and then refuses to start without a real secret key.
See the configuration table in README.md.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

from dashboard import branding

BASE_DIR = Path(__file__).resolve().parent.parent
env = environ.Env()

# --- Core -----------------------------------------------------------------------------------
DEBUG = env.bool("DJANGO_DEBUG", default=True)
_DEV_SECRET = "dev-only-secret-key-never-use-in-production-1f4e9a7c2b"
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default=_DEV_SECRET if DEBUG else "")
if not DEBUG and (not SECRET_KEY or SECRET_KEY == _DEV_SECRET):
    raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off.")
if not DEBUG and (len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5):
    raise ImproperlyConfigured(
        "DJANGO_SECRET_KEY is too short: use at least 50 random characters, e.g. "
        "python -c 'import secrets; print(secrets.token_urlsafe(50))'."
    )
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "django_htmx",
    "accounts",
    "devices",
    "dashboard",
    "simulator",
]

MIDDLEWARE = [
    "dashboard.middleware.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "accounts.middleware.UserLanguageMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "dashboard.pwa.ClearOnLogoutMiddleware",
]

ROOT_URLCONF = "dashboard.urls"
WSGI_APPLICATION = "dashboard.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.csp",
                "dashboard.context_processors.household",
                "dashboard.branding.brand_context",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------------------------
# https://django-environ.readthedocs.io/en/latest/types.html#environ-env-db-url
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DJANGO_CONN_MAX_AGE", default=60)
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    # The in-process simulator writes while the dashboard reads: wait for a lock, don't fail.
    DATABASES["default"]["OPTIONS"] = {"timeout": 20, "transaction_mode": "IMMEDIATE"}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

# --- Cache and Celery -------------------------------------------------------------------------
# Without REDIS_URL: an in-process cache and Celery tasks run without a broker (in a thread).
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            # django-redis with a per-process fallback while Redis is unreachable (dashboard/cache.py).
            "BACKEND": "dashboard.cache.FallbackRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env.str("DJANGO_CACHE_PREFIX", default="dash"),
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 1, "SOCKET_TIMEOUT": 1},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "dash"}}

CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL or "memory://")
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL and CELERY_BROKER_URL == "memory://"
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A page that enqueues a refresh while the broker is down gives up within about a second, not twenty.
CELERY_BROKER_CONNECTION_TIMEOUT = 1
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2,
                                    "interval_max": 0.2}
CELERY_TIMEZONE = "UTC"

# --- Auth and accounts (django-allauth) -------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "accounts.backends.ModelBackend",  # Django's and allauth's, loading the person's Podero link with them
    "accounts.backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# https://docs.allauth.org/en/latest/account/configuration.html
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = env.str("DJANGO_EMAIL_VERIFICATION", default="mandatory")
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True  # the confirmation link signs the homeowner in
# One address per account: a new one replaces the old only once its confirmation link is opened.
ACCOUNT_CHANGE_EMAIL = True
ACCOUNT_EMAIL_NOTIFICATIONS = True  # tell the old address of an email or password change
ACCOUNT_SESSION_REMEMBER = None  # ask: "remember me" keeps a phone logged in for SESSION_COOKIE_AGE
ACCOUNT_RATE_LIMITS = {
    "login_failed": "10/m/ip,5/5m/key",  # lock an account for 5 minutes after 5 wrong passwords
    "signup": "20/m/ip",
    "reset_password": "20/m/ip,5/m/key",
    "confirm_email": "1/3m/key",  # allauth's default, stated: the pending-email notice says "every 3 minutes"
}
# Behind N reverse proxies (the README's TLS proxy: 1) the client address is the N-th entry from the right
# of X-Forwarded-For; 0 (the safe default without a proxy) uses REMOTE_ADDR and ignores the header, which
# a client could forge. Every per-client limit (allauth's login, signup and reset limits) keys on it.
TRUSTED_PROXY_COUNT = env.int("DJANGO_TRUSTED_PROXY_COUNT", default=0)
ALLAUTH_TRUSTED_PROXY_COUNT = TRUSTED_PROXY_COUNT
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "dashboard:home"
ACCOUNT_LOGOUT_REDIRECT_URL = "account_login"
SESSION_COOKIE_AGE = 60 * 60 * 24 * 14  # two weeks: a home dashboard is opened on a personal phone
SESSION_EXPIRE_AT_BROWSER_CLOSE = False

# --- Mail -------------------------------------------------------------------------------------
EMAIL_BACKEND = env.str("DJANGO_EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env.str("DJANGO_EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("DJANGO_EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("DJANGO_EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("DJANGO_EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("DJANGO_EMAIL_USE_TLS", default=False)  # STARTTLS, usually on port 587
EMAIL_TIMEOUT = 10  # seconds; a slow relay must not hold a worker forever
# --- Partner brand (README: "Partner branding"); checked for WCAG AA contrast, see dashboard/branding.py
PARTNER = branding.from_env(env)
PARTNER_NAME = PARTNER.name
_from = env.str("DEFAULT_FROM_EMAIL", default="") or env.str("DJANGO_DEFAULT_FROM_EMAIL", default="no-reply@localhost")
# A bare address gets the partner's name, so mail arrives as "Partner <no-reply@partner.example>".
DEFAULT_FROM_EMAIL = _from if "<" in _from else f'"{PARTNER_NAME}" <{_from.strip()}>'
SERVER_EMAIL = DEFAULT_FROM_EMAIL
ACCOUNT_EMAIL_SUBJECT_PREFIX = f"{PARTNER_NAME}: "
ACCOUNT_ADAPTER = "accounts.adapter.AccountAdapter"
# Where emails (e.g. "a device needs attention") send homeowners back to.
DASHBOARD_URL = env.str("DASHBOARD_URL", default="http://127.0.0.1:8000").rstrip("/")

# --- I18n -------------------------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("de", "Deutsch")]
TIME_ZONE = "Europe/Vienna"
USE_I18N = True
# Ours first; then our formal ("Sie") wording of the allauth strings a homeowner sees, over allauth's "du".
LOCALE_PATHS = [BASE_DIR / "locale", BASE_DIR / "locale-overrides"]
# Our own date/number formats per language (dashboard/formats/<lang>/formats.py), over Django's.
FORMAT_MODULE_PATH = ["dashboard.formats"]
LANGUAGE_COOKIE_NAME = "language"
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
LANGUAGE_COOKIE_SECURE = not DEBUG
LANGUAGE_COOKIE_SAMESITE = "Lax"
USE_TZ = True

# --- Static files (whitenoise: compressed, cache-busted names) --------------------------------
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# --- Security ---------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the page, not the cookie; kept default-compatible
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SECURE_HSTS_SECONDS = env.int("DJANGO_HSTS_SECONDS", default=60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
# Django 6 built-in Content Security Policy: only our own scripts and styles.
from django.utils.csp import CSP  # noqa: E402

SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:", *([PARTNER.logo_origin] if PARTNER.logo_origin else [])],
    "connect-src": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "object-src": [CSP.NONE],
}
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"

# --- Podero Partner API -----------------------------------------------------------------------
# The simulator's demo organization and OAuth client; `seed_demo` creates exactly these.
DEMO_ORG_ID = "7c3e1c52-4b1e-4f6a-9a51-0d2f6b8e9a10"
DEMO_CLIENT_ID = "demo-dashboard"
DEMO_CLIENT_SECRET = "demo-dashboard-secret"  # noqa: S105 - the simulator's public demo credential
# The simulator (its API, token endpoint, fault injection and demo seeding under /simulator/) is served
# by this process only when DEBUG is on or PODERO_SIMULATOR=1 says so explicitly: never by default in
# production. `check --deploy` warns whenever it is mounted (dashboard/checks.py).
PODERO_SIMULATOR = env.bool("PODERO_SIMULATOR", default=DEBUG)
PODERO_BASE_URL = env.str("PODERO_BASE_URL", default="http://127.0.0.1:8000/simulator").rstrip("/")
_DEMO_DEFAULTS = DEBUG or PODERO_SIMULATOR  # development and demos talk to the simulator by default
PODERO_CLIENT_ID = env.str("PODERO_CLIENT_ID", default=DEMO_CLIENT_ID if _DEMO_DEFAULTS else "")
PODERO_CLIENT_SECRET = env.str("PODERO_CLIENT_SECRET", default=DEMO_CLIENT_SECRET if _DEMO_DEFAULTS else "")
if not DEBUG and PODERO_CLIENT_SECRET == DEMO_CLIENT_SECRET and not env.bool("PODERO_SIMULATOR", default=False):
    raise ImproperlyConfigured(
        "PODERO_CLIENT_SECRET is the simulator's public demo secret. Set your organization's secret, "
        "or PODERO_SIMULATOR=1 to run a demo against the simulator."
    )
PODERO_ORG_ID = str(uuid.UUID(env.str("PODERO_ORG_ID", default=DEMO_ORG_ID)))
PODERO_CONNECT_TIMEOUT = env.float("PODERO_CONNECT_TIMEOUT", default=3.05)
PODERO_READ_TIMEOUT = env.float("PODERO_READ_TIMEOUT", default=8.0)
# At most this many calls per second to Podero from all web and worker processes together (Redis).
PODERO_MAX_RPS = env.int("PODERO_MAX_RPS", default=20)
# One call, retries included, never takes longer than this (a trickling body cannot hold a page)...
PODERO_TOTAL_TIMEOUT = env.float("PODERO_TOTAL_TIMEOUT", default=10.0)
# ... nor answer more than this many bytes, counted after decompression.
PODERO_MAX_RESPONSE_BYTES = env.int("PODERO_MAX_RESPONSE_BYTES", default=5 * 1024 * 1024)
# The price zone a device added through "Add a device" starts with when the home has no device yet to
# take it from (fact sheet §3.1 lists the zones; AT = Austria day-ahead).
PODERO_PRICE_ZONE_DEFAULT = env.str("PODERO_PRICE_ZONE_DEFAULT", default="AT")

# --- Logging: one line per event, key=value, a request id on every line -----------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "dashboard.middleware.RequestIdFilter"}},
    "formatters": {"kv": {"()": "dashboard.logging.KeyValueFormatter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "kv", "filters": ["request_id"]}},
    "root": {"handlers": ["console"], "level": env.str("DJANGO_LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.server": {"level": "WARNING"},
        "django.request": {"level": "ERROR"},
        # A forged Host header is logged once, without a traceback, by our request line (reason=...).
        "django.security.DisallowedHost": {"handlers": [], "level": "CRITICAL", "propagate": False},
    },
}
