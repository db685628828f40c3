import logging

from django.apps import AppConfig


class CertificatesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "certificates"

    def ready(self) -> None:
        # WeasyPrint logs every render step at INFO; one roster would flood the worker's log.
        logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)
