from django.apps import AppConfig


class PremiumsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "premiums"
