"""URL patterns per feature, included from alliance.urls."""
