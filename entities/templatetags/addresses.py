from django import template

from entities.addresses import city_line as format_city_line
from entities.languages import in_sentence

register = template.Library()


@register.filter
def city_line(party) -> str:
    """The line after the street in the party's country's order: "Chicago, IL 60606"."""
    return format_city_line(party)


@register.filter(name="in_sentence")
def in_sentence_filter(noun: str) -> str:
    return in_sentence(noun)
