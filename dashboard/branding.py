"""The partner's brand: name, logo, colours, support and legal links, from the environment.

Read once in settings (`PARTNER = branding.from_env(env)`); templates get it as `brand` (context
processor), the colours arrive as a small same-origin stylesheet (`/brand.css`, so our CSP stays
`style-src 'self'`), and emails and allauth take the name from here.

Colours are checked against WCAG 2.x AA where the product puts text or graphics on them:
* the primary colour carries white text (buttons) and is the link colour on the white surface:
  contrast with white must be at least 4.5:1;
* the accent colour is a graphic (the header stripe, the brand mark): at least 3:1 against the white
  surface (WCAG 1.4.11).
A colour that is not a valid `#rrggbb`/`#rgb` or fails its check is replaced by the default, and the
problem is reported at start-up (a log line and the system check `dashboard.W002`).
For dark mode a lighter variant of each colour is derived that passes the same checks against the
dark surface, so one pair of settings serves both schemes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from hashlib import sha256
from typing import Any
from urllib.parse import urlsplit

from django.utils.translation import gettext

# The neutral product name; translated (Brand.localized) unlike a partner's own. No gettext call here:
# settings import this module, and gettext would read the settings being made.
DEFAULT_NAME = "Home energy"
DEFAULT_PRIMARY = "#0b6b4d"
DEFAULT_ACCENT = "#0b6b4d"
WHITE = "#ffffff"
LIGHT_SURFACE = "#ffffff"
DARK_SURFACE = "#161d19"
DARK_TEXT = "#06140d"
TEXT_AA = 4.5
GRAPHIC_AA = 3.0
_HEX = re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")


def _rgb(color: str) -> tuple[int, int, int]:
    value = color.lstrip("#")
    if len(value) == 3:
        value = "".join(ch * 2 for ch in value)
    return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)


def _hex(rgb: tuple[float, float, float]) -> str:
    return "#" + "".join(f"{round(max(0, min(255, c))):02x}" for c in rgb)


def luminance(color: str) -> float:
    """Relative luminance (WCAG 2.x)."""
    def channel(c: int) -> float:
        s = c / 255
        return s / 12.92 if s <= 0.04045 else ((s + 0.055) / 1.055) ** 2.4
    r, g, b = (channel(c) for c in _rgb(color))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def mix(color: str, other: str, share: float) -> str:
    """`share` of `other` mixed into `color` (0 = color, 1 = other)."""
    a, b = _rgb(color), _rgb(other)
    return _hex(tuple(x + (y - x) * share for x, y in zip(a, b, strict=True)))


def lighten_until(color: str, against: str, ratio: float) -> str:
    """The least lightening of `color` (towards white) that reaches `ratio` against `against`."""
    for step in range(0, 101, 2):
        candidate = mix(color, WHITE, step / 100)
        if contrast(candidate, against) >= ratio:
            return candidate
    return WHITE


@dataclass(frozen=True)
class Brand:
    name: str = DEFAULT_NAME
    logo_url: str = ""
    primary: str = DEFAULT_PRIMARY
    accent: str = DEFAULT_ACCENT
    support_email: str = ""
    support_phone: str = ""
    support_url: str = ""
    imprint_url: str = ""
    privacy_url: str = ""
    problems: tuple[str, ...] = field(default=(), compare=False)

    def localized(self) -> Brand:
        """The brand for the active language: our neutral default name is translated, a partner's is not."""
        if self.name != DEFAULT_NAME:
            return self
        return replace(self, name=gettext("Home energy"))  # DEFAULT_NAME, as makemessages sees it

    @property
    def custom_colors(self) -> bool:
        return (self.primary, self.accent) != (DEFAULT_PRIMARY, DEFAULT_ACCENT)

    @property
    def has_support(self) -> bool:
        return bool(self.support_email or self.support_phone or self.support_url)

    @property
    def logo_origin(self) -> str | None:
        """The logo's origin when it lives on another host (the CSP's img-src must allow it)."""
        parts = urlsplit(self.logo_url)
        return f"{parts.scheme}://{parts.netloc}" if parts.scheme in ("http", "https") and parts.netloc else None

    def css(self) -> str:
        """The custom properties of this brand, light and dark."""
        hover = mix(self.primary, "#000000", 0.15)
        dark_primary = lighten_until(self.primary, DARK_SURFACE, TEXT_AA)
        dark_accent = lighten_until(self.accent, DARK_SURFACE, GRAPHIC_AA)
        dark_on = DARK_TEXT if contrast(DARK_TEXT, dark_primary) >= TEXT_AA else WHITE
        return (
            ":root{"
            f"--accent:{self.primary};--accent-hover:{hover};--accent-text:{self.primary};--on-accent:{WHITE};"
            f"--brand-accent:{self.accent};"
            "}\n@media (prefers-color-scheme: dark){:root{"
            f"--accent:{dark_primary};--accent-hover:{lighten_until(dark_primary, DARK_SURFACE, 7.0)};"
            f"--accent-text:{dark_primary};--on-accent:{dark_on};--brand-accent:{dark_accent};"
            "}}\n"
        )

    @property
    def css_version(self) -> str:
        return sha256(self.css().encode()).hexdigest()[:12]


def _color(value: str, default: str, *, name: str, against: str, ratio: float, use: str,
           problems: list[str]) -> str:
    value = value.strip()
    if not value:
        return default
    if not _HEX.match(value):
        problems.append(f"{name}={value!r} is not a colour like #0b6b4d; using the default {default}.")
        return default
    ratio_seen = contrast(value, against)
    if ratio_seen < ratio:
        problems.append(f"{name}={value} has a contrast of {ratio_seen:.2f}:1 {use} (WCAG AA needs "
                        f"{ratio}:1); using the default {default}.")
        return default
    return value.lower()


def _url(value: str, *, name: str, problems: list[str]) -> str:
    value = value.strip()
    if value and not value.lower().startswith(("https://", "http://", "/")):
        problems.append(f"{name}={value!r} must be an http(s) URL or a path starting with /; ignored.")
        return ""
    return value


def from_env(env: Any) -> Brand:
    """The brand from PARTNER_* environment variables (`env` is django-environ's Env)."""
    problems: list[str] = []
    get = lambda key: env.str(key, default="")  # noqa: E731 - one short reader
    logo = get("PARTNER_LOGO_URL").strip()
    if logo and not logo.lower().startswith(("https://", "http://", "/")):
        logo = "static:" + logo  # a path under our static files, resolved by the context processor
    return Brand(
        name=get("PARTNER_NAME").strip() or DEFAULT_NAME,
        logo_url=logo,
        primary=_color(get("PARTNER_PRIMARY_COLOR"), DEFAULT_PRIMARY, name="PARTNER_PRIMARY_COLOR",
                       against=WHITE, ratio=TEXT_AA, use="with white text on it", problems=problems),
        accent=_color(get("PARTNER_ACCENT_COLOR"), DEFAULT_ACCENT, name="PARTNER_ACCENT_COLOR",
                      against=LIGHT_SURFACE, ratio=GRAPHIC_AA, use="against the white page", problems=problems),
        support_email=get("PARTNER_SUPPORT_EMAIL").strip(),
        support_phone=get("PARTNER_SUPPORT_PHONE").strip(),
        support_url=_url(get("PARTNER_SUPPORT_URL"), name="PARTNER_SUPPORT_URL", problems=problems),
        imprint_url=_url(get("PARTNER_IMPRINT_URL"), name="PARTNER_IMPRINT_URL", problems=problems),
        privacy_url=_url(get("PARTNER_PRIVACY_URL"), name="PARTNER_PRIVACY_URL", problems=problems),
        problems=tuple(problems),
    )


def brand_context(request: Any) -> dict[str, Any]:
    """Context processor: `brand` and the resolved `brand_logo_url` in every template."""
    from django.conf import settings
    from django.templatetags.static import static

    brand: Brand = settings.PARTNER.localized()
    logo = brand.logo_url
    if logo.startswith("static:"):
        logo = static(logo.removeprefix("static:"))
    return {"brand": brand, "brand_logo_url": logo}
