"""Google's and GitHub's HTTP endpoints, answered in-process where `requests` would reach the network.

Everything above the transport is real: allauth's views, its OAuth2 client, `requests` building
each request (form bodies, headers, auth). Only HTTPAdapter.send is replaced, and only for the
providers' hosts; every request that reaches them is recorded for the tests to inspect.
"""

import base64
import hashlib
import json
import time
from http import HTTPStatus
from urllib.parse import parse_qsl, urlencode, urlsplit

import jwt
import requests
from cryptography.hazmat.primitives.asymmetric import rsa
from django.urls import reverse
from requests.structures import CaseInsensitiveDict

GOOGLE_CLIENT_ID = "1043950212-shopdev.apps.googleusercontent.com"
GOOGLE_SECRET = "GOCSPX-test-google-secret"
GITHUB_CLIENT_ID = "Iv1.8a61f9b3a7aba766"
GITHUB_SECRET = "test-github-secret-0123456789abcdef"

# As shop/settings/base.py builds them from GOOGLE_/GITHUB_CLIENT_ID and _SECRET.
PROVIDERS = {
    "google": {
        "APPS": [{"client_id": GOOGLE_CLIENT_ID, "secret": GOOGLE_SECRET}],
        "SCOPE": ["profile", "email"],
        "VERIFIED_EMAIL": False,
        "OAUTH_PKCE_ENABLED": True,
    },
    "github": {
        "APPS": [{"client_id": GITHUB_CLIENT_ID, "secret": GITHUB_SECRET}],
        "SCOPE": ["user:email"],
        "VERIFIED_EMAIL": False,
        "OAUTH_PKCE_ENABLED": True,
    },
}

GOOGLE_AUTHORIZE_URL = "https://accounts.google.com/o/oauth2/v2/auth"
GOOGLE_TOKEN_URL = "https://oauth2.googleapis.com/token"
GITHUB_AUTHORIZE_URL = "https://github.com/login/oauth/authorize"
GITHUB_TOKEN_URL = "https://github.com/login/oauth/access_token"
GITHUB_USER_URL = "https://api.github.com/user"
GITHUB_EMAILS_URL = "https://api.github.com/user/emails"
AUTHORIZE_URLS = {"google": GOOGLE_AUTHORIZE_URL, "github": GITHUB_AUTHORIZE_URL}
PROVIDER_HOSTS = frozenset(
    {"accounts.google.com", "oauth2.googleapis.com", "www.googleapis.com", "github.com", "api.github.com"}
)

_GOOGLE_SIGNING_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


class ProviderEndpoints:
    """Canned answers for the providers' URLs, with a record of every request they received."""

    def __init__(self):
        self._answers = {}
        self.requests = []

    def answer(self, method, url, *, status=HTTPStatus.OK, json_body=None, form_body=None):
        if form_body is not None:
            body, content_type = urlencode(form_body), "application/x-www-form-urlencoded; charset=utf-8"
        else:
            body, content_type = json.dumps(json_body), "application/json; charset=utf-8"
        self._answers[method, url] = (status, content_type, body.encode())

    def requests_to(self, method, url):
        return [
            request
            for request in self.requests
            if (request.method, request.url.split("?")[0]) == (method, url)
        ]

    def respond(self, prepared_request):
        self.requests.append(prepared_request)
        key = (prepared_request.method, prepared_request.url.split("?")[0])
        if key not in self._answers:
            raise requests.ConnectionError(f"no canned answer for {key}")
        status, content_type, body = self._answers[key]
        response = requests.Response()
        response.status_code = status
        response.reason = HTTPStatus(status).phrase
        response.headers = CaseInsensitiveDict({"Content-Type": content_type})
        response._content = body
        response.encoding = "utf-8"
        response.url = prepared_request.url
        response.request = prepared_request
        return response

    # --- Google -------------------------------------------------------------------------------
    def google_signs_in(self, *, sub, email, email_verified=True, name="Ada Lovelace", picture=None):
        """Answer Google's token endpoint with an access token and an id_token for this person."""
        now = int(time.time())
        given_name, _, family_name = name.partition(" ")
        claims = {
            "iss": "https://accounts.google.com",
            "azp": GOOGLE_CLIENT_ID,
            "aud": GOOGLE_CLIENT_ID,
            "sub": sub,
            "email": email,
            "email_verified": email_verified,
            "at_hash": "HK6E_P6Dh8Y93mRNtsDB1Q",
            "name": name,
            "picture": picture or f"https://lh3.googleusercontent.com/a/{sub}=s96-c",
            "given_name": given_name,
            "family_name": family_name,
            "iat": now,
            "exp": now + 3599,
        }
        id_token = jwt.encode(
            claims, _GOOGLE_SIGNING_KEY, algorithm="RS256", headers={"kid": "shop-test-key"}
        )
        self.answer(
            "POST",
            GOOGLE_TOKEN_URL,
            json_body={
                "access_token": f"ya29.a0AfB_byC-{sub}",
                "expires_in": 3599,
                "refresh_token": f"1//0gX-{sub}",
                "scope": "openid https://www.googleapis.com/auth/userinfo.email "
                "https://www.googleapis.com/auth/userinfo.profile",
                "token_type": "Bearer",
                "id_token": id_token,
            },
        )

    # --- GitHub -------------------------------------------------------------------------------
    def github_signs_in(self, *, user_id, login, emails, name="The Octocat", public_email=None):
        """Answer GitHub's token, /user and /user/emails endpoints for this person.

        `emails` is GitHub's list: [{"email", "primary", "verified", "visibility"}, ...].
        """
        self.answer(
            "POST",
            GITHUB_TOKEN_URL,
            form_body={
                "access_token": f"gho_16C7e42F292c6912E7710c838347Ae{user_id}",
                "scope": "user:email",
                "token_type": "bearer",
            },
        )
        self.answer(
            "GET",
            GITHUB_USER_URL,
            json_body={
                "login": login,
                "id": user_id,
                "node_id": "MDQ6VXNlcjE=",
                "avatar_url": f"https://avatars.githubusercontent.com/u/{user_id}?v=4",
                "html_url": f"https://github.com/{login}",
                "type": "User",
                "site_admin": False,
                "name": name,
                "company": None,
                "blog": "",
                "location": "San Francisco",
                "email": public_email,
                "bio": None,
                "public_repos": 8,
                "followers": 20,
                "following": 0,
                "created_at": "2011-01-25T18:44:36Z",
                "updated_at": "2024-04-22T15:30:11Z",
            },
        )
        self.answer("GET", GITHUB_EMAILS_URL, json_body=emails)


def github_email(email, *, verified=True, primary=True, visibility="private"):
    return {"email": email, "primary": primary, "verified": verified, "visibility": visibility}


def start_sign_in(client, provider_id, *, process="login"):
    """Start a sign-in through the shop's own pages; return the provider authorize URL's parameters."""
    login_url = f"{reverse(f'{provider_id}_login')}?process={process}"
    confirmation = client.get(login_url)
    assert confirmation.status_code == 200
    response = client.post(login_url)
    assert response.status_code == 302
    location = urlsplit(response["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == AUTHORIZE_URLS[provider_id]
    return dict(parse_qsl(location.query))


def finish_sign_in(client, provider_id, authorize_params, *, code="4/0AeanS0b-test-code", follow=False):
    """Come back from the provider's consent screen to the callback, as the browser would."""
    return client.get(
        reverse(f"{provider_id}_callback"),
        {"code": code, "state": authorize_params["state"]},
        follow=follow,
    )


def sign_in(client, provider_id, *, process="login", follow=False):
    return finish_sign_in(
        client, provider_id, start_sign_in(client, provider_id, process=process), follow=follow
    )


def pkce_challenge(code_verifier):
    digest = hashlib.sha256(code_verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def form_of(prepared_request):
    return dict(parse_qsl(prepared_request.body))
