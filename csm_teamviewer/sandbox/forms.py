from django import forms
from django.utils.translation import gettext_lazy as _


class LoginForm(forms.Form):
    """Any non-empty email and password sign in; the email is the sandbox user's identity."""

    email = forms.CharField(label=_("Email"), max_length=254, strip=True)
    password = forms.CharField(label=_("Password"), max_length=200, widget=forms.PasswordInput)
