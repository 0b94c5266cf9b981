"""The operator's pages speak the language the user picks (else the browser's), the portal
speaks the partner's, and the catalogues have every text in German and French."""

import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from django.conf import settings
from django.test import Client
from django.urls import reverse

from ..browser import PHONE, operator_page, page_width
from ..factories import make_partner
from ..portal.test_portal import make_portal_user, portal_client

CATALOGUES = {
    language: Path(settings.BASE_DIR) / "locale" / language / "LC_MESSAGES" / "django.po"
    for language in ("de", "fr")
}
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%[sdr]|\{[^{}]*\}")


def messages(language):
    with CATALOGUES[language].open("rb") as file:
        return [message for message in read_po(file) if message.id]


def forms(value):
    return value if isinstance(value, tuple) else (value,)


@pytest.mark.parametrize("language", ["de", "fr"])
def test_every_text_is_translated(language):
    untranslated = [
        message.id
        for message in messages(language)
        if message.fuzzy or not all(forms(message.string))
    ]
    assert untranslated == []


@pytest.mark.parametrize("language", ["de", "fr"])
def test_translations_keep_the_placeholders(language):
    def placeholders(text):
        return sorted(PLACEHOLDER.findall(text.replace("{{", "").replace("}}", "")))

    broken = [
        message.id
        for message in messages(language)
        for text in forms(message.string)
        if placeholders(text) not in (placeholders(forms(message.id)[0]),
                                      placeholders(forms(message.id)[-1]))
    ]  # fmt: skip
    assert broken == []


def test_an_operator_reads_the_pages_in_the_language_they_picked(owner, owner_client):
    owner.language = "de"
    owner.save()
    page = owner_client.get(reverse("invoicing:index")).content.decode()
    assert '<html lang="de">' in page
    assert "Einen Zeitraum abrechnen" in page
    assert "Bill a period" not in page


def test_without_a_choice_the_browser_language_decides(owner_client):
    page = owner_client.get(reverse("partners:list"), HTTP_ACCEPT_LANGUAGE="fr-FR,fr;q=0.9")
    assert "Ajouter un partenaire" in page.content.decode()


def test_the_user_picks_a_language_and_returns_to_the_page(owner, owner_client):
    response = owner_client.post(
        reverse("entities:set_language"), {"language": "fr", "next": "/partners/"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/partners/"
    owner.refresh_from_db()
    assert owner.language == "fr"


def test_the_language_switch_never_leads_off_the_site(owner_client):
    response = owner_client.post(
        reverse("entities:set_language"), {"language": "de", "next": "https://evil.test/"}
    )
    assert response["Location"] == reverse("home")


def test_an_unknown_language_is_ignored(owner, owner_client):
    owner_client.post(reverse("entities:set_language"), {"language": "xx", "next": "/"})
    owner.refresh_from_db()
    assert owner.language == ""


def test_country_names_follow_the_page_language(owner, owner_client, entity):
    make_partner(entity, name="Lyon Leads", country="FR")
    owner.language = "de"
    owner.save()
    page = owner_client.get(reverse("partners:list")).content.decode()
    assert "Frankreich" in page


def test_german_pages_write_german_dates_and_amounts(owner, owner_client, entity):
    owner.language = "de"
    owner.save()
    page = owner_client.get(
        reverse("invoicing:preview"), {"start": "2026-11-01", "end": "2026-11-30"}
    ).content.decode()
    assert "01.11.2026" in page


def test_the_portal_speaks_the_partners_language(entity):
    partner = make_partner(entity, name="Lyon Leads", country="FR", language="")
    page = portal_client(make_portal_user(partner)).get(reverse("portal:dashboard"))
    assert '<html lang="fr">' in page.content.decode()
    assert "Derniers documents" in page.content.decode()


def test_the_portal_follows_a_language_set_on_the_partner(entity):
    partner = make_partner(entity, name="Köln Leads", country="FR", language="de")
    page = portal_client(make_portal_user(partner)).get(reverse("portal:invoices"))
    assert "Ihre Rechnungen und Rechnungskorrekturen" in page.content.decode()


def test_the_login_page_follows_the_browser():
    page = Client().get(reverse("login"), HTTP_ACCEPT_LANGUAGE="de")
    assert "Passwort vergessen?" in page.content.decode()


@pytest.mark.parametrize("javascript", [True, False])
def test_an_operator_switches_the_pages_to_german_in_the_browser(live_server, owner, javascript):
    with operator_page(live_server, viewport=PHONE, javascript=javascript) as page:
        page.goto(f"{live_server.url}/partners/")
        page.select_option("#language-select", "de")
        if not javascript:
            page.click(".language-switch button")
        page.wait_for_selector("text=Partner hinzufügen")
        heading, wide = page.text_content("h1"), page_width(page)
    assert heading.startswith("Partner")
    assert wide <= PHONE["width"]
