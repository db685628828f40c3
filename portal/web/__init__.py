"""The web shell: browser views, forms and their URL table. No app imports it."""
