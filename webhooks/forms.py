from django import forms
from django.utils.translation import gettext_lazy as _

from .events import url_problem
from .models import EVENT_CHOICES, Endpoint


class EndpointForm(forms.ModelForm):
    url = forms.URLField(
        label=_("URL"),
        max_length=500,
        assume_scheme="https",
        help_text=_("An https address on the internet that accepts JSON posts."),
    )
    events = forms.MultipleChoiceField(
        label=_("Events"),
        choices=EVENT_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Tick the events the URL is to hear of.")},
    )

    class Meta:
        model = Endpoint
        fields = ["url", "events", "is_active"]

    def clean_url(self):
        url = self.cleaned_data["url"].strip()
        if problem := url_problem(url):
            raise forms.ValidationError(problem)
        return url
