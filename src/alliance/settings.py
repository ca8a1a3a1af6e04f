"""Alliance settings: one module, configured by environment variables.

Every variable is parsed strictly (see ``alliance.lib.env``). With debug off the
app refuses to start on a default secret or without field-encryption or audit keys.
"""

from __future__ import annotations

from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from alliance.lib.env import (
    ConfigError,
    env_bool,
    env_int,
    env_list,
    env_str,
    parse_field_keys,
    parse_keys,
)

PACKAGE_DIR = Path(__file__).resolve().parent
VAR_DIR = Path(env_str("ALLIANCE_VAR_DIR", str(Path.cwd() / "var")))

# The value only a development or test run may use. Production refuses it.
DEVELOPMENT_SECRET_KEY = "insecure-development-key-do-not-use-in-production"  # noqa: S105
# The field key development and test runs fall back on. It is in the source, so whatever
# is sealed with it is readable by anyone: production refuses it, first in the list or not.
DEVELOPMENT_FIELD_KEY = b"alliance-development-only-key-32"
# Likewise the audit key: anyone could sign audit rows with it, so production refuses it.
DEVELOPMENT_AUDIT_KEY = b"alliance-development-audit-key32"

try:
    DEBUG = env_bool("ALLIANCE_DEBUG", default=False)
    TESTING = env_bool("ALLIANCE_TESTING", default=False)
    SECRET_KEY = env_str("ALLIANCE_SECRET_KEY", DEVELOPMENT_SECRET_KEY)
    FIELD_KEYS = parse_field_keys(env_str("ALLIANCE_FIELD_KEYS"))
    # Backups are sealed with keys of their own, kept apart from the backups and the database.
    BACKUP_KEYS = parse_keys(env_str("ALLIANCE_BACKUP_KEYS"), "ALLIANCE_BACKUP_KEYS")
    # The audit chain is signed (HMAC-SHA-256) with keys of its own, never stored in the
    # database: whoever can write to the database cannot rewrite the log (alliance.audit).
    AUDIT_KEYS = parse_keys(env_str("ALLIANCE_AUDIT_KEYS"), "ALLIANCE_AUDIT_KEYS")
    # Where the chain's head is anchored outside the database: an append-only file.
    AUDIT_CHECKPOINT = Path(
        env_str("ALLIANCE_AUDIT_CHECKPOINT").strip() or VAR_DIR / "audit-checkpoints"
    )
    ALLOWED_HOSTS = env_list(
        "ALLIANCE_ALLOWED_HOSTS", ["127.0.0.1", "localhost"] if (DEBUG or TESTING) else []
    )
    BEHIND_TLS_PROXY = env_bool("ALLIANCE_BEHIND_TLS_PROXY", default=False)
    STAFF_IDLE_MINUTES = env_int("ALLIANCE_STAFF_IDLE_MINUTES", 15)
    SESSION_MAX_HOURS = env_int("ALLIANCE_SESSION_MAX_HOURS", 12)
    INVITATION_DAYS = env_int("ALLIANCE_INVITATION_DAYS", 7)
    # Closed episodes a practice needs before its own fitted curves are used (blended in
    # up to 500; TRAJECTORIES.md).
    TRAJECTORY_MIN_EPISODES = env_int("ALLIANCE_TRAJECTORY_MIN_EPISODES", 200)
    EMAIL_HOST = env_str("ALLIANCE_EMAIL_HOST", "")
    EMAIL_PORT = env_int("ALLIANCE_EMAIL_PORT", 587)
    EMAIL_HOST_USER = env_str("ALLIANCE_EMAIL_USER", "")
    EMAIL_HOST_PASSWORD = env_str("ALLIANCE_EMAIL_PASSWORD", "")
    EMAIL_USE_TLS = env_bool("ALLIANCE_EMAIL_USE_TLS", default=True)
    EMAIL_USE_SSL = env_bool("ALLIANCE_EMAIL_USE_SSL", default=False)
    HSTS_PRELOAD = env_bool("ALLIANCE_HSTS_PRELOAD", default=True)
    PRACTICE_NAME = env_str("ALLIANCE_PRACTICE_NAME", "Alliance practice")
    PRACTICE_COUNTRY = env_str("ALLIANCE_PRACTICE_COUNTRY", "US").upper()
    # Years the audit facts of an erased client are held (HIPAA: six, 45 CFR 164.316(b)(2)).
    ERASURE_AUDIT_RETENTION_YEARS = env_int("ALLIANCE_ERASURE_AUDIT_RETENTION_YEARS", 6)
    # Connections each process keeps in a psycopg pool (PostgreSQL only); 0: no pool,
    # one persistent connection per thread instead (README, "Deploying").
    DB_POOL = env_int("ALLIANCE_DB_POOL", 0)
    # Webhooks may go to the practice's own private networks (10.0.0.0/8, 192.168.0.0/16…)
    # only when it says so: otherwise a webhook is a way into them (``lib/outbound.py``).
    WEBHOOK_PRIVATE_NETWORKS = env_bool("ALLIANCE_WEBHOOK_PRIVATE_NETWORKS", default=False)
    # FHIR Bulk Data exports ($export): where the worker writes their sealed NDJSON files
    # (the web servers read them there, so both must see it), and how many hours a finished
    # export is kept before the worker's round removes it, fetched or not.
    BULK_EXPORT_DIR = Path(env_str("ALLIANCE_BULK_EXPORT_DIR").strip() or VAR_DIR / "bulk-exports")
    BULK_EXPORT_HOURS = env_int("ALLIANCE_BULK_EXPORT_HOURS", 24)
except ConfigError as error:
    raise ImproperlyConfigured(str(error)) from None

if BULK_EXPORT_HOURS < 1:
    raise ImproperlyConfigured("ALLIANCE_BULK_EXPORT_HOURS must be at least 1.")
if STAFF_IDLE_MINUTES < 1 or SESSION_MAX_HOURS < 1:
    raise ImproperlyConfigured(
        "ALLIANCE_STAFF_IDLE_MINUTES and ALLIANCE_SESSION_MAX_HOURS must be at least 1."
    )
if not DEBUG and not TESTING:
    if not SECRET_KEY or SECRET_KEY == DEVELOPMENT_SECRET_KEY or len(SECRET_KEY) < 50:
        raise ImproperlyConfigured(
            "ALLIANCE_SECRET_KEY must be set to a long random value (50+ characters) when "
            "ALLIANCE_DEBUG is off. Generate one with `alliance generate-key --secret`."
        )
    if not FIELD_KEYS:
        raise ImproperlyConfigured(
            "ALLIANCE_FIELD_KEYS must be set when ALLIANCE_DEBUG is off: free text is "
            "encrypted at rest. Generate a key with `alliance generate-key`."
        )
    if DEVELOPMENT_FIELD_KEY in FIELD_KEYS:
        raise ImproperlyConfigured(
            "ALLIANCE_FIELD_KEYS holds the development key, which is published in Alliance's "
            "source: free text sealed with it is readable by anyone. Generate a key with "
            "`alliance generate-key` and put it first, keep the development key after it, "
            "run `ALLIANCE_DEBUG=true alliance rotate-keys` once, then remove the "
            "development key."
        )
    if not AUDIT_KEYS:
        raise ImproperlyConfigured(
            "ALLIANCE_AUDIT_KEYS must be set when ALLIANCE_DEBUG is off: the audit log is "
            "signed with it, so that whoever can write to the database cannot rewrite it. "
            "Generate a key of its own with `alliance generate-key`."
        )
    if DEVELOPMENT_AUDIT_KEY in AUDIT_KEYS:
        raise ImproperlyConfigured(
            "ALLIANCE_AUDIT_KEYS holds the development audit key, which is published in "
            "Alliance's source: anyone could sign audit rows with it. Generate a key of its "
            "own with `alliance generate-key`."
        )
    if not ALLOWED_HOSTS:
        raise ImproperlyConfigured(
            "ALLIANCE_ALLOWED_HOSTS must name the host(s) this installation serves."
        )
if set(AUDIT_KEYS) & set(FIELD_KEYS):
    # Whoever is given the field keys (to move or read the data) must not get the audit key.
    raise ImproperlyConfigured(
        "ALLIANCE_AUDIT_KEYS must not repeat a key of ALLIANCE_FIELD_KEYS: give the audit "
        "chain a key of its own (`alliance generate-key`)."
    )
if not FIELD_KEYS:
    # Development and tests only (production refused above): a fixed, public key.
    FIELD_KEYS = [DEVELOPMENT_FIELD_KEY]
if not AUDIT_KEYS:
    # Development and tests only (production refused above): a fixed, public key.
    AUDIT_KEYS = [DEVELOPMENT_AUDIT_KEY]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",  # allauth's security-key and session lists use it
    # Alliance's apps come first so that their templates override allauth's.
    "alliance.accounts",
    "alliance.audit",
    "alliance.care",
    "alliance.measures",
    "alliance.alerts",
    "alliance.notifications",
    "alliance.plans",
    "alliance.preferences",
    "alliance.exercises",
    "alliance.messaging",
    "alliance.safety",
    "alliance.notes",
    "alliance.records",
    "alliance.api",
    "alliance.ehr",
    "alliance.webhooks",
    "alliance.web",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.usersessions",
    "csp",
    "oauth2_provider",
    "django_tasks",
    "django_tasks_db",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "alliance.web.middleware.SecurityHeadersMiddleware",
    "csp.middleware.CSPMiddleware",
    "alliance.web.middleware.ApiWithoutCookiesMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "alliance.web.middleware.UserLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "alliance.web.middleware.SessionMaxAgeMiddleware",
    "alliance.web.middleware.StaffIdleTimeoutMiddleware",
    "alliance.web.middleware.SessionActivityMiddleware",
    "alliance.web.middleware.StaffMFARequiredMiddleware",
]

ROOT_URLCONF = "alliance.urls"
WSGI_APPLICATION = "alliance.wsgi.application"
ASGI_APPLICATION = "alliance.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "alliance.web.context_processors.shell",
                "alliance.web.context_processors.portal",
                "alliance.web.context_processors.workspace",
            ],
        },
    },
]

# Database: SQLite in WAL mode by default (zero set-up), PostgreSQL via DATABASE_URL.
DEFAULT_SQLITE_PATH = VAR_DIR / "alliance.sqlite3"
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{DEFAULT_SQLITE_PATH}"), conn_max_age=60
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        # IMMEDIATE takes the write lock when a transaction begins, so two writers
        # never both read the audit chain head and then collide on upgrade.
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        # WAL lets readers run beside the writer; synchronous=FULL so that a
        # transaction reported as committed survives a power cut.
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;"
        ),
    }
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # PostgreSQL's JIT compiler, on by default, compiles any query the planner prices over
    # 100,000, whatever it will really cost: the supervisor's caseload (2,000 episodes
    # counted by need) spent 17 ms compiling a query that runs in 4 (benchmarks/README.md).
    # The pages' queries are short; JIT is for long analytic ones. A DATABASE_URL's own
    # ?options=… comes after this, so it can turn JIT back on.
    options = DATABASES["default"].setdefault("OPTIONS", {})
    options["options"] = f"-c jit=off {options.get('options', '')}".strip()
if DB_POOL > 0 and DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3":
    # Django's psycopg pool: up to DB_POOL connections per process, handed to each request
    # and returned after it. Pooled connections are not kept per thread as well.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": 1,
        "max_size": DB_POOL,
        "timeout": 10,
    }
if DB_POOL < 0 or (DB_POOL and DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3"):
    raise ImproperlyConfigured(
        "ALLIANCE_DB_POOL is the size of a PostgreSQL connection pool: 0 (no pool) or more, "
        "and only with DATABASE_URL=postgres://…"
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "alliance_cache",
    }
}

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "alliance.accounts.validators.PaddedCommonPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "account_login"

# django-allauth: login by e-mail only; nobody signs up, people are invited.
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_ADAPTER = "alliance.accounts.adapter.AccountAdapter"
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_SESSION_REMEMBER = False
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
ACCOUNT_CHANGE_EMAIL = True
ACCOUNT_REAUTHENTICATION_REQUIRED = True
# Confirming who you are means the password (or, for staff, the authenticator app), as
# SECURITY.md promises; allauth 65.22 added a code by e-mail, which we leave off: whoever
# holds a stolen session and the mailbox should not pass for the person.
ACCOUNT_REAUTHENTICATION_METHODS = ("password", "mfa")
ACCOUNT_RATE_LIMITS = {
    # Failed logins: 10 a minute per address, 5 in 5 minutes per account.
    "login_failed": "10/m/ip,5/5m/key",
    "reset_password": "20/m/ip,5/m/key",
    "reset_password_from_key": "20/m/ip",
    # Signed-in people confirming who they are before a sensitive change.
    "reauthenticate": "10/m/user",
    # Opening or accepting an invitation link, GET included: tokens are unguessable, but
    # nobody needs to try more than a few.
    "invitation_accept": "20/m/ip",
    # The FHIR API, per token (alliance.web.views.fhir): generous for a script, a brake
    # on one that loops.
    "fhir_api": "120/m/key",
}

# OAuth 2.0 for third-party apps (alliance.api.oauth, SMART App Launch 2): the
# authorization code flow only, PKCE with S256 required, access tokens for 15 minutes,
# refresh tokens only with offline_access, tokens and client secrets hashed at rest.
OAUTH2_PROVIDER = {
    "OAUTH2_VALIDATOR_CLASS": "alliance.api.oauth.SmartValidator",
    "SCOPES_BACKEND_CLASS": "alliance.api.oauth.SmartScopes",
    "SCOPES": {},
    "PKCE_REQUIRED": True,
    "ACCESS_TOKEN_EXPIRE_SECONDS": 15 * 60,
    "AUTHORIZATION_CODE_EXPIRE_SECONDS": 60,
    "REFRESH_TOKEN_EXPIRE_SECONDS": 30 * 24 * 60 * 60,
    "ROTATE_REFRESH_TOKEN": True,
    "REFRESH_TOKEN_REUSE_PROTECTION": True,
    "REQUEST_APPROVAL_PROMPT": "force",
    # http only for loopback redirects (native apps); alliance.api.oauth_apps checks it.
    "ALLOWED_REDIRECT_URI_SCHEMES": ["https", "http"],
    "OAUTH2_RESPONSE_TYPES_SUPPORTED": ["code"],
    "OAUTH2_GRANT_TYPES_SUPPORTED": ["authorization_code", "refresh_token"],
    "COMPLIANT_BCP_RFC9700_IMPLICIT_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PASSWORD_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PKCE_METHOD": True,
    "COMPLIANT_BCP_RFC9700_ACCESS_TOKEN_TRANSPORT": True,
    "COMPLIANT_BCP_RFC9700_TOKEN_STORAGE": True,
    "COMPLIANT_BCP_RFC9700_REFRESH_TOKEN": True,
    "COMPLIANT_BCP_RFC9700_PKCE_REQUIRED": True,
    # RFC 9207: the authorization response names its issuer, so that an app talking to
    # several servers cannot be mixed up into sending our code to another.
    "COMPLIANT_BCP_RFC9700_AUTHZ_RESPONSE_ISS": True,
}

# Two-factor sign-in (allauth.mfa): required for staff (web.middleware), optional for
# clients. Wrong codes count against "login_failed" above, per account. The secrets are
# encrypted at rest with ALLIANCE_FIELD_KEYS (accounts.adapter.MFAAdapter).
MFA_ADAPTER = "alliance.accounts.adapter.MFAAdapter"
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes", "webauthn"]
MFA_TOTP_ISSUER = PRACTICE_NAME
# A code from the step before or after the current one is accepted too (RFC 6238 §5.2
# allows one step of drift): a phone's clock a little off, or a busy server that answers
# a code after its 30 seconds, would otherwise turn a right code away. A code is still
# accepted once only (allauth remembers it for the whole window).
MFA_TOTP_TOLERANCE = 1
MFA_RATE_LIMITS = {"webauthn_login": "10/m/ip"}
# Browsers allow security keys on plain http only for localhost, and only while developing.
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = DEBUG
# allauth would refuse two-factor while an address is unverified (against someone signing
# up with another's address first). Nobody signs up here: every account comes from an
# invitation e-mailed to that address, so addresses are not verified a second time.
MFA_ALLOW_UNVERIFIED_EMAIL = True
# People see the sessions they are signed in with, where from, and can end them. Activity
# is recorded by alliance.web.middleware.SessionActivityMiddleware (at most once a minute
# per session), not by allauth's middleware on every request.
USERSESSIONS_TRACK_ACTIVITY = False

# The absolute limit for everyone; staff also sign out after STAFF_IDLE_MINUTES idle.
SESSION_COOKIE_AGE = 60 * 60 * SESSION_MAX_HOURS
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

if not DEBUG and not TESTING:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    # The __Host- prefix pins a cookie to this exact host, over HTTPS, path /.
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"
    LANGUAGE_COOKIE_NAME = "__Host-language"
    LANGUAGE_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = True
    SECURE_HSTS_SECONDS = 63072000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = HSTS_PRELOAD
if BEHIND_TLS_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Content-Security-Policy: nothing from another origin, no inline script or style.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [NONE],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [NONE],
        "object-src": [NONE],
        "manifest-src": [SELF],
    }
}

# Background work (alert e-mails, reminders, alert checks): a database-backed queue run by
# `alliance worker`, no extra broker; tasks run at once in tests.
TASKS: dict[str, dict[str, object]] = {
    "default": (
        {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}
        if TESTING
        else {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}
    )
}

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("es", _("Spanish"))]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = env_str("ALLIANCE_TIME_ZONE", "UTC")
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if (DEBUG or TESTING)
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
if DEBUG or TESTING:
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)
WHITENOISE_USE_FINDERS = DEBUG or TESTING
WHITENOISE_AUTOREFRESH = DEBUG or TESTING

if TESTING:
    EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
elif EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
elif DEBUG:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
else:
    # No server configured: keep nothing, but say so in the log at start-up.
    EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"
DEFAULT_FROM_EMAIL = env_str("ALLIANCE_DEFAULT_FROM_EMAIL", "alliance@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
EMAIL_SUBJECT_PREFIX = "[Alliance] "

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "filters": {"redact_paths": {"()": "alliance.logpaths.RedactPaths"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("ALLIANCE_LOG_LEVEL", "INFO")},
    "loggers": {
        # Request lines carry URLs only, URLs carry no health information, and the tokens
        # some URLs hold (an invitation, a password reset) are replaced by their names.
        "django.request": {"level": "ERROR", "filters": ["redact_paths"]},
        "django.server": {
            "level": "WARNING" if TESTING else "INFO",
            "filters": ["redact_paths"],
        },
        # At DEBUG the template engine logs every failed variable lookup with the whole
        # template context, a client's own words included: never below INFO.
        "django.template": {"level": "INFO"},
        # The OAuth library and oauthlib log requests' client ids, codes and their failures
        # at DEBUG and INFO: never below WARNING.
        "oauth2_provider": {"level": "WARNING"},
        "oauthlib": {"level": "WARNING"},
    },
}

SILENCED_SYSTEM_CHECKS: list[str] = [
    # "plaintext http redirect URIs are allowed": only to 127.0.0.1 or localhost, a native
    # app's loopback redirect (RFC 8252, which RFC 9700 §2.1 keeps); every other http
    # redirect URI is refused when an app is registered (alliance.api.oauth_apps).
    "oauth2_provider.W008",
]
