"""Tunables of the Podero client (fact sheet §6)."""

API_PREFIX = "/api/partners/v2.0"
TOKEN_PATH = "/oauth2/token/"
KINDS = ("heat-pumps", "electric-vehicles", "inverters")

GET_RETRIES = 2  # two more tries after the first: ~0.25 s + ~0.5 s of backoff, well inside a page load
BACKOFF_BASE_S = 0.25
RETRY_STATUSES = frozenset({502, 503, 504})
MAX_INLINE_RETRY_AFTER_S = 2.0  # a GET waits out a short Retry-After; a longer one opens the breaker
TOKEN_REFUSED_PAUSE_S = 60  # after the token endpoint refused our credentials, don't ask again for this long
TOKEN_RENEW_MARGIN_S = 300  # renew five minutes before expiry, so no call carries a dying token
BREAKER_THRESHOLD = 5  # consecutive failures that open the circuit
BREAKER_COOLDOWN_S = 30  # how long an open circuit refuses calls before one probe is let through
ORG_WIDE_SCOPES = 3  # homeowners rate-limited within the window before a 429 counts as org-wide
ORG_WIDE_WINDOW_S = 60
TOTAL_TIMEOUT_S = 10.0  # default of PODERO_TOTAL_TIMEOUT: the most one call (with its retries) may take
MAX_BODY_BYTES = 5 * 1024 * 1024  # default of PODERO_MAX_RESPONSE_BYTES, counted after decompression
CHUNK_BYTES = 64 * 1024
METRICS_BUCKET_S = 60
METRICS_KEEP_S = 2 * 60 * 60
