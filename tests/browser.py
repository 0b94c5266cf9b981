"""Helpers for the tests that drive Debian's chromium through Playwright."""

from contextlib import contextmanager

from playwright.sync_api import sync_playwright

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PHONE = {"width": 390, "height": 844}


def launch(playwright):
    return playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)


@contextmanager
def operator_page(live_server, viewport=None, javascript: bool = True):
    """A browser page logged in as owner@acme.test. Playwright's sync API runs an event loop
    in this thread: no database access inside the block."""
    with sync_playwright() as playwright:
        browser = launch(playwright)
        page = browser.new_page(
            viewport=viewport or {"width": 1280, "height": 900}, java_script_enabled=javascript
        )
        page.goto(f"{live_server.url}/login/")
        page.fill("input[name=username]", "owner@acme.test")
        page.fill("input[name=password]", "correct-horse-42")
        page.click("button[type=submit]")
        page.wait_for_url(f"{live_server.url}/**")
        yield page
        browser.close()


def page_width(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


def right_edge(page, selector: str) -> float:
    """Where the first element ends on the screen: beyond the viewport is scrolled away."""
    box = page.locator(selector).first.bounding_box()
    return box["x"] + box["width"]
