"""The dashboard's charts, drawn on the server as SVG by pygal: readable without JavaScript
(pygal's tooltip script is left out), inline in the page, sized by the page's CSS. Each
chart's numbers are also on the page as a table; the charts only draw them."""

import hashlib
import re
from decimal import Decimal

import pygal
from django.core.cache import cache
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from pygal.style import Style

from entities.languages import format_number

from . import AGE_BUCKETS, Dashboard

STYLE = Style(
    background="transparent",
    plot_background="transparent",
    foreground="#1c2430",
    foreground_strong="#1c2430",
    foreground_subtle="#e4e7ec",
    colors=("#2354c4", "#14794a", "#a15c00", "#b42318", "#667085"),
    font_family='system-ui, -apple-system, "Segoe UI", Roboto, sans-serif',
    label_font_size=13,
    major_label_font_size=13,
    legend_font_size=13,
    value_font_size=12,
    tooltip_font_size=12,
)
COMMON = {
    "style": STYLE,
    "js": [],
    "disable_xml_declaration": True,
    "width": 760,
    "height": 300,
    "margin": 8,
    "legend_at_bottom": True,
    "legend_at_bottom_columns": 2,
    "print_values": False,
    # Every step of the scale labelled, at most six of them: pygal's "major" labels alone
    # are multiples of powers of ten, and a month of 405.00 got no label but 0.
    "show_minor_y_labels": True,
    "max_scale": 6,
    "truncate_label": 30,
}


def _svg(name: str, data: tuple, draw) -> SafeString:
    """The chart `draw(data)` makes, drawn once for the same data in the same language:
    pygal takes some 10 ms a chart, half the page's time."""
    key = "chart:" + hashlib.sha256(repr((name, get_language(), data)).encode()).hexdigest()
    svg = cache.get(key)
    if svg is None:
        # pygal builds the SVG as an XML tree: names in labels are escaped as text. Its one
        # <script> only hands the chart's settings to the tooltip script left out: dropped.
        svg = SCRIPT.sub("", draw(data).render(is_unicode=True), count=1)
        cache.set(key, svg, CHARTS_KEPT)
    return mark_safe(svg)  # noqa: S308


CHARTS_KEPT = 24 * 3600  # seconds


SCRIPT = re.compile(r"<script[^>]*>.*?</script>", re.DOTALL)


def _money(value) -> str:
    return format_number(Decimal(value or 0), 0)


def month_label(month) -> str:
    return f"{month:%m/%y}"


def delivered_vs_invoiced(figures: Dashboard) -> SafeString:
    def draw(months):
        chart = pygal.Bar(value_formatter=_money, **COMMON)
        chart.x_labels = [label for label, _delivered, _invoiced in months]
        chart.add(_("Delivered"), [delivered for _label, delivered, _invoiced in months])
        chart.add(_("Invoiced"), [invoiced for _label, _delivered, invoiced in months])
        return chart

    months = tuple(
        (month_label(m.month), float(m.delivered), float(m.invoiced)) for m in figures.months
    )
    return _svg("delivered", months, draw)


# Charts in half the page's width are drawn narrower, so that their text keeps its size.
HALF = {**COMMON, "width": 460}


def shares(rows) -> SafeString:
    """A horizontal bar per partner or profile by name, largest on top (the rest, added up,
    stays in the table: one bar as long as all others together would flatten the rest)."""

    def draw(bars):
        # In a horizontal chart the names are pygal's "minor y labels"; fewer value steps
        # keep the amounts below from running into each other.
        chart = pygal.HorizontalBar(value_formatter=_money, show_legend=False, **HALF)
        chart.max_scale = 4
        chart.height = 70 + 30 * max(len(bars), 1)
        chart.x_labels = [name for name, _value in bars]
        chart.add(_("Value"), [value for _name, value in bars])
        return chart

    # pygal draws the first value at the bottom
    bars = tuple((row.name, float(row.value)) for row in reversed(rows) if row.pk is not None)
    return _svg("shares", bars, draw)


def ageing(figures: Dashboard) -> SafeString:
    def draw(amounts):
        chart = pygal.Bar(
            value_formatter=_money, show_legend=False, x_title=_("Days past due"), **HALF
        )
        chart.x_labels = [_("not due") if key == "current" else key.replace("-", "–")
                          for key, _first, _last in AGE_BUCKETS]  # fmt: skip
        chart.add(_("Open"), list(amounts))
        return chart

    return _svg("ageing", tuple(float(bucket.amount) for bucket in figures.ageing), draw)


def return_rates(figures: Dashboard) -> SafeString:
    def draw(months):
        chart = pygal.Line(
            value_formatter=lambda value: f"{format_number(value, 1, 2)} %",
            show_legend=False,
            include_x_axis=True,
            x_labels_major_every=3,
            show_minor_x_labels=False,
            **HALF,
        )
        chart.max_scale = 4
        chart.x_labels = [label for label, _rate in months]
        chart.add(_("Returned"), [rate for _label, rate in months])
        return chart

    months = tuple(
        (month_label(m.month), float(m.return_rate) if m.return_rate is not None else None)
        for m in figures.months
    )
    return _svg("returns", months, draw)


def age_label(key: str) -> str:
    return {
        "current": _("Not yet due"),
        "1-30": _("1–30 days"),
        "31-60": _("31–60 days"),
        "61-90": _("61–90 days"),
        "90+": _("Over 90 days"),
    }[key]
