from django import forms
from django.contrib.auth import forms as auth_forms

from .models import Role


class SignupForm(forms.Form):
    full_name = forms.CharField(max_length=150, required=False, label="Your name")
    email = forms.EmailField()
    password = forms.CharField(widget=forms.PasswordInput, help_text="At least 10 characters; not a common password.")
    organization_name = forms.CharField(max_length=120, required=False, label="Organization name",
                                        help_text="Leave empty to use “<your name>'s team”.")


class LoginForm(auth_forms.AuthenticationForm):
    username = forms.EmailField(label="Email", widget=forms.EmailInput(attrs={"autofocus": True}))


class InviteForm(forms.Form):
    email = forms.EmailField()
    role = forms.ChoiceField(choices=Role.choices, initial=Role.EDITOR)


class RoleForm(forms.Form):
    role = forms.ChoiceField(choices=Role.choices)


class ProfileForm(forms.Form):
    full_name = forms.CharField(max_length=150, required=False, label="Your name")


class ApiTokenForm(forms.Form):
    name = forms.CharField(max_length=100, label="Token name",
                           help_text="What will use it, e.g. “Reporting script” or “Zapier”.")
