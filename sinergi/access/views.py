"""Account pages: API tokens and accepting an invitation."""

from __future__ import annotations

import hashlib
import logging
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm, UserCreationForm
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils.functional import lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_http_methods, require_POST

from sinergi.access import services
from sinergi.access.models import ApiToken, Invitation
from sinergi.core import after_response
from sinergi.core.forms import apply_domain_errors
from sinergi.partners.models import Person

logger = logging.getLogger(__name__)


class SignInForm(AuthenticationForm):
    """Django's sign-in form, whose refusal is about both fields: they are marked invalid
    and described by the error summary. The refusal's text is Sinergi's own msgid, so its
    Indonesian comes from Sinergi's catalogue (Django's says "nama pengguna" twice)."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": gettext_lazy(
            "Please enter a correct %(username)s and password. Note that both "
            "fields may be case-sensitive."
        ),
    }
    non_field_error_fields = ("username", "password")


def _days_text(days: int) -> str:
    return ngettext("%(count)d day", "%(count)d days", days) % {"count": days}


# Translated when shown: the form's choices are made once, at import.
_days = lazy(_days_text, str)


class TokenForm(forms.Form):
    name = forms.CharField(
        label=gettext_lazy("Token name"),
        max_length=100,
        help_text=gettext_lazy("What the token is for, e.g. “monthly report script”."),
    )
    expires_in_days = forms.TypedChoiceField(
        label=gettext_lazy("Expires"),
        choices=[
            *[(str(days), _days(days)) for days in services.TOKEN_LIFETIMES],
            ("", gettext_lazy("Never")),
        ],
        coerce=int,
        empty_value=None,
        required=False,
        initial=str(services.DEFAULT_TOKEN_DAYS),
        help_text=gettext_lazy("A token that expires is harmless once it has."),
    )
    read_only = forms.BooleanField(
        label=gettext_lazy("Read only"),
        required=False,
        help_text=gettext_lazy("It may read what you may read, and change nothing."),
    )


class SignUpForm(UserCreationForm):
    """Django's sign-up form; the username's rule and help are the model's
    (`Person.username`: Latin letters, digits and @/./+/-/_)."""

    class Meta:
        model = Person
        fields = ("username", "first_name", "last_name")


@login_required
@require_http_methods(["GET", "POST"])
def token_list(request: HttpRequest) -> HttpResponse:
    form = TokenForm(request.POST or None)
    secret = ""
    if request.method == "POST" and form.is_valid():
        try:
            _token, secret = services.create_api_token(
                actor=request.user,
                name=form.cleaned_data["name"],
                expires_in_days=form.cleaned_data["expires_in_days"],
                read_only=form.cleaned_data["read_only"],
            )
        except ValidationError as exc:
            apply_domain_errors(form, exc)
        else:
            form = TokenForm()
    tokens = ApiToken.objects.filter(person=request.user)
    return render(
        request,
        "access/tokens.html",
        {"form": form, "tokens": tokens, "secret": secret},
        status=422 if form.errors else 200,
    )


@login_required
@require_POST
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    token = get_object_or_404(ApiToken, pk=pk, person=request.user)
    services.revoke_api_token(actor=request.user, token=token)
    messages.success(request, _("The token “%(name)s” was revoked.") % {"name": token.name})
    return redirect("token-list")


@require_http_methods(["GET", "POST"])
def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    invitation = services.open_invitation(token)
    if invitation is None:
        return render(request, "access/invitation_invalid.html", status=404)
    form = None
    refusal = ""
    # An address that has an account already signs in to accept: a second account for
    # the same person would split their partnerships and their password resets.
    has_account = (
        not request.user.is_authenticated
        and Person.objects.filter(email__iexact=invitation.email, is_active=True).exists()
    )
    if not request.user.is_authenticated and not has_account:
        form = SignUpForm(request.POST or None)
    if request.method != "POST":
        refusal = _refusal_as_things_stand(request, invitation, has_account)
    if request.method == "POST" and not has_account and (form is None or form.is_valid()):
        try:
            with transaction.atomic():
                if form is None:
                    person = request.user
                else:
                    person = form.save(commit=False)
                    person.email = invitation.email
                    person.save()
                services.accept_invitation(invitation=invitation, person=person)
        except ValidationError as exc:
            # Refused as things stand (used meanwhile, for another address, the person
            # works for another organisation, the sender's right gone): the page says
            # why, without the button that cannot work.
            refusal = " ".join(exc.messages)
        except IntegrityError:
            # The username was free when the form checked it and taken before the save
            # (two sign-ups at once): the same answer as when the form sees it taken.
            if form is None:
                raise
            form.add_error("username", Person._meta.get_field("username").error_messages["unique"])
        else:
            if form is not None:
                login(request, person, backend="sinergi.access.backends.ModelBackend")
            messages.success(
                request,
                _("Welcome to %(organisation)s.") % {"organisation": invitation.organisation},
            )
            if invitation.partnership_id:
                return redirect(invitation.partnership)
            return redirect(invitation.organisation)
    if refusal:
        # A refused POST is a conflict with the invitation's state; a read of the page
        # that explains the same refusal is answered as asked.
        status = 409 if request.method == "POST" else 200
    else:
        status = 422 if form is not None and form.errors else 200
    return render(
        request,
        "access/invitation_accept.html",
        {
            "invitation": invitation,
            "form": form,
            "has_account": has_account,
            "refusal": refusal,
        },
        status=status,
    )


def _refusal_as_things_stand(
    request: HttpRequest, invitation: Invitation, has_account: bool
) -> str:
    """Why accepting would be refused to the reader as things stand (signed in, or
    signing up with the invitation's address), or "" when it would not: the page then
    offers no Join or sign-up button that could only be refused. Someone with an account
    who is not signed in is asked to sign in first; who they are is not known yet."""
    if request.user.is_authenticated:
        person = request.user
    elif not has_account:
        person = Person(email=invitation.email)
    else:
        return ""
    try:
        services.check_acceptance(invitation=invitation, person=person)
    except ValidationError as exc:
        return " ".join(exc.messages)
    return ""


def _say_tokens_revoked(request: HttpRequest, revoked: int) -> None:
    if revoked:
        messages.info(
            request,
            ngettext(
                "Your API token was revoked with the old password; create a new one if you "
                "need it.",
                "Your %(count)d API tokens were revoked with the old password; create new "
                "ones if you need them.",
                revoked,
            )
            % {"count": revoked},
        )


def _working_tokens(person: Person) -> int:
    return ApiToken.objects.filter(person=person, revoked_at__isnull=True).count()


class UnprocessableOnErrors:
    """A form view whose refused form answers 422, as every other form of the platform
    does (Django's own views answer 200 with the errors)."""

    def form_invalid(self, form: forms.Form) -> HttpResponse:
        response = super().form_invalid(form)  # type: ignore[misc]
        response.status_code = 422
        return response


class SignInView(UnprocessableOnErrors, auth_views.LoginView):
    """Django's sign-in; a wrong name or password answers 422 (django-axes counts the
    failure from Django's signal, whatever the status)."""


class PasswordChangeView(UnprocessableOnErrors, auth_views.PasswordChangeView):
    """Django's password change, which also signs out other sessions; saving the new
    password revokes the person's API tokens (Person.save), and this says so."""

    def form_valid(self, form: forms.Form) -> HttpResponse:
        revoked = _working_tokens(form.user)
        response = super().form_valid(form)
        _say_tokens_revoked(self.request, revoked)
        return response


class PasswordResetConfirmView(UnprocessableOnErrors, auth_views.PasswordResetConfirmView):
    """Django's password reset by e-mailed link (a reset is how an account is taken
    back); the new password revokes the person's API tokens, and this says so."""

    def form_valid(self, form: forms.Form) -> HttpResponse:
        revoked = _working_tokens(form.user)
        response = super().form_valid(form)
        _say_tokens_revoked(self.request, revoked)
        return response


RESET_MAILS_PER_ADDRESS = 3  # per hour and server process


class DeferredMailResetForm(PasswordResetForm):
    """Django's reset form, whose mail (sent only to an address with an account) goes out
    after the response: the answer then takes as long whether an account exists or not.
    The mail is written here, in the reader's language; only the sending waits."""

    def send_mail(
        self,
        subject_template_name: str,
        email_template_name: str,
        context: dict[str, Any],
        from_email: str | None,
        to_email: str,
        html_email_template_name: str | None = None,
    ) -> None:
        subject = "".join(render_to_string(subject_template_name, context).splitlines())
        body = render_to_string(email_template_name, context)
        message = EmailMultiAlternatives(subject, body, from_email, [to_email])
        if html_email_template_name is not None:
            message.attach_alternative(
                render_to_string(html_email_template_name, context), "text/html"
            )
        after_response.defer(message.send)


class PasswordResetView(UnprocessableOnErrors, auth_views.PasswordResetView):
    """Django's password reset request, throttled: at most RESET_MAILS_PER_ADDRESS mails
    to one address an hour (in each server process). Beyond that nothing is sent, and the
    answer is the same as always, so it tells nobody whether an account exists. (Not per
    client address: behind the recommended TLS proxy every request comes from the proxy.)"""

    form_class = DeferredMailResetForm

    @property
    def extra_email_context(self) -> dict[str, int]:  # type: ignore[override]
        """The mail says how long its link works (Django's default is three days)."""
        return {"days": max(1, settings.PASSWORD_RESET_TIMEOUT // 86400)}

    def form_valid(self, form: forms.Form) -> HttpResponse:
        email = form.cleaned_data["email"].strip().casefold()
        key = "reset-mail:" + hashlib.sha256(email.encode()).hexdigest()
        if cache.get(key, 0) >= RESET_MAILS_PER_ADDRESS:
            logger.warning("password reset throttled for one address")
            return HttpResponseRedirect(self.get_success_url())
        cache.add(key, 0, 3600)
        cache.incr(key)
        return super().form_valid(form)
