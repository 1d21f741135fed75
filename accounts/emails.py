"""Every email we send, ours and allauth's: in the recipient's language, as the partner (name, support
contact), with a plain-text part and an HTML part in the partner's colours.

`email_send` is the one way our code sends mail; the allauth adapter builds its messages with
`email_build` too, so both look the same. Templates: `<prefix>_subject.txt` and `<prefix>_message.txt`;
the HTML part is `<prefix>_message.html` when one exists, else the text part set in our layout
(`accounts/email/layout.html`), a paragraph that is only a link becoming a button.

The parts are sent as 8bit (7bit when ASCII), never quoted-printable: a link copied from the console
backend in development, or from a mail client showing the source, stays whole on its line.
"""

from __future__ import annotations

import email.policy
import re
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template import TemplateDoesNotExist
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _

MAX_8BIT_LINE = 998  # RFC 5322: longer lines must be encoded (quoted-printable), so they are left to Django

# The label of the button that a paragraph holding only a link becomes, per email.
BUTTONS = {
    "account/email/email_confirmation": _("Confirm my email address"),
    "account/email/email_confirmation_signup": _("Confirm my email address"),
    "account/email/password_reset_key": _("Choose a new password"),
    "account/email/unknown_account": _("Create an account"),
    "account/email/account_already_exists": _("Reset my password"),
    "accounts/email/invite": _("Accept the invitation"),
    "accounts/email/attention": _("Open my dashboard"),
}
_URL_ONLY = re.compile(r"^https?://\S+$")
_URL = re.compile(r"https?://[^\s<>\"]+")


def email_language(user: Any = None, *, request: Any = None) -> str:
    """The language to write to a person in: their setting; else, when they are the one asking (or we
    do not know who they are), the language of this request; else their browser's language at their
    last sign-in; else the request's (e.g. the inviting owner's); else LANGUAGE_CODE."""
    known = {code for code, _name in settings.LANGUAGES}
    request_language = getattr(request, "LANGUAGE_CODE", "") if request is not None else ""
    asker = getattr(request, "user", None) if request is not None else None
    asking_themselves = user is None or (getattr(asker, "pk", None) is not None and asker.pk == user.pk)
    candidates = [
        getattr(user, "language", ""),
        request_language if asking_themselves else "",
        getattr(user, "browser_language", ""),
        request_language,
    ]
    return next((code for code in candidates if code in known), settings.LANGUAGE_CODE)


class BrandedEmail(EmailMultiAlternatives):
    """A message whose text parts are 8bit (or 7bit), not quoted-printable with soft line breaks."""

    def message(self, *, policy: email.policy.Policy = email.policy.default) -> Any:
        msg = super().message(policy=policy)
        for part in msg.walk():
            if part.get_content_maintype() != "text" or part.is_multipart():
                continue
            if part.get("Content-Transfer-Encoding", "").lower() in ("7bit", "8bit"):
                continue
            content = part.get_content()
            if max((len(line) for line in content.splitlines()), default=0) > MAX_8BIT_LINE:
                continue
            cte = "7bit" if content.isascii() else "8bit"
            part.set_content(content, subtype=part.get_content_subtype(), charset="utf-8", cte=cte)
        return msg


def _linked(line: str, link_style: str) -> str:
    """One line of text as HTML, its http(s) links clickable (punctuation after a link stays text)."""
    out, last = [], 0
    for match in _URL.finditer(line):
        url = match.group(0).rstrip(".,;:!?)»“”\"'")
        out.append(escape(line[last:match.start()]))
        out.append(f'<a {link_style} href="{escape(url)}">{escape(url)}</a>')
        last = match.start() + len(url)
    out.append(escape(line[last:]))
    return "".join(out)


def _html_from_text(text: str, *, button: str, brand: Any) -> SafeString:
    """The text part as HTML paragraphs: links clickable in the partner's colour, a paragraph that is
    only a link as a button (with the link below it, for mail clients that hide buttons)."""
    link_style = f'style="color:{brand.primary};word-break:break-all"'
    button_style = (f'style="display:inline-block;background:{brand.primary};color:#ffffff;'
                    'padding:12px 20px;border-radius:6px;text-decoration:none;font-weight:600"')
    blocks = []
    for paragraph in re.split(r"\n\s*\n", text.strip()):
        stripped = paragraph.strip()
        if _URL_ONLY.match(stripped):
            url = escape(stripped)
            blocks.append(
                f'<p style="margin:24px 0 8px"><a href="{url}" {button_style}>{escape(button)}</a></p>\n'
                f'<p style="margin:0 0 16px;font-size:13px;color:#555555"><a href="{url}" {link_style}>{url}</a></p>'
            )
            continue
        html = "<br>\n".join(_linked(line, link_style) for line in paragraph.splitlines())
        blocks.append(f'<p style="margin:0 0 16px">{html}</p>')
    return mark_safe("\n".join(blocks))  # noqa: S308 - every piece of text is escaped above


def email_build(*, template_prefix: str, to: list[str], context: dict[str, Any], language: str,
                subject_prefix: str = "", headers: dict[str, str] | None = None) -> BrandedEmail:
    """Render one email in `language` (subject, text, HTML) from the partner's address."""
    with translation.override(language):
        brand = settings.PARTNER.localized()  # our neutral name in the recipient's language; a partner's as is
        ctx = {"brand": brand, "dashboard_url": settings.DASHBOARD_URL, "LANGUAGE_CODE": language, **context}
        subject = " ".join(render_to_string(f"{template_prefix}_subject.txt", ctx).split())
        subject = f"{subject_prefix}{subject}"
        text = render_to_string(f"{template_prefix}_message.txt", ctx).strip() + "\n"
        try:
            html = render_to_string(f"{template_prefix}_message.html", ctx)
        except TemplateDoesNotExist:
            button = str(BUTTONS.get(template_prefix, _("Open the link")))
            html = render_to_string("accounts/email/layout.html", {
                **ctx, "subject": subject, "body": _html_from_text(text, button=button, brand=brand)})
    message = BrandedEmail(subject, text, settings.DEFAULT_FROM_EMAIL, to, headers=headers)
    message.attach_alternative(html, "text/html")
    return message


def email_send(*, template_prefix: str, to: str, context: dict[str, Any], language: str) -> None:
    """Send one of our emails (attention, household invitation) to one address."""
    email_build(template_prefix=template_prefix, to=[to], context=context, language=language).send()
