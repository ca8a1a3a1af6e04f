"""OAuth 2.0 for apps (SMART App Launch 2): alliance.web.views.oauth and
django-oauth-toolkit's token and revocation endpoints (no cookies: web.middleware)."""

from django.urls import path
from oauth2_provider.views import RevokeTokenView, TokenView

from alliance.web.views import oauth

urlpatterns = [
    path(".well-known/smart-configuration", oauth.smart_config, name="smart_configuration"),
    path("oauth/authorize/", oauth.AuthorizeView.as_view(), name="oauth_authorize"),
    path("oauth/token/", TokenView.as_view(), name="oauth_token"),
    path("oauth/revoke/", RevokeTokenView.as_view(), name="oauth_revoke"),
    path("profile/apps/", oauth.authorised_apps, name="oauth_apps"),
    path(
        "profile/apps/<int:app_id>/revoke/",
        oauth.authorised_app_revoke,
        name="oauth_app_revoke",
    ),
]
