from django.apps import AppConfig


class FilingsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "filings"

    def ready(self) -> None:
        from filings.consistency import discrepancies_check_after_refusals
        from filings.signals import submissions_refused

        def check(sender: object, submission_ids: list[int], **kwargs: object) -> None:
            discrepancies_check_after_refusals(submission_ids=submission_ids)

        # A refused hire at one agency leaves it short of the others: check after commit.
        submissions_refused.connect(check, weak=False, dispatch_uid="filings.discrepancies_check")
