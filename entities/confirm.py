"""Asking before what cannot be undone. An irreversible action's button fetches (GET) a
page that says what will happen, whose button then posts the action: it works without
JavaScript, and a viewer or a stray click changes nothing."""

from django.shortcuts import render


def confirmation(request, *, title: str, message: str, button: str, back: str,
                 fields: dict | None = None, consequences: list[str] | None = None,
                 email: dict | None = None):  # fmt: skip
    """The page that asks before posting the same URL with `fields`; `email` shows the mail
    that will go out (to, cc, reply_to, subject, body, attachments)."""
    return render(
        request,
        "confirm.html",
        {
            "title": title,
            "message": message,
            "consequences": consequences or [],
            "email": email,
            "button": button,
            "back": back,
            "action": request.path,
            # A list value posts the name once per item (several selected invoices).
            "fields": [
                (name, item)
                for name, value in sorted((fields or {}).items())
                for item in (value if isinstance(value, list) else [value])
            ],
        },
    )
