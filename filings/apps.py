from django.apps import AppConfig


class FilingsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "filings"

    def ready(self) -> None:
        from filings.consistency import discrepancies_check_after_refusal
        from filings.signals import submission_refused

        def check(sender: object, submission_id: int, **kwargs: object) -> None:
            discrepancies_check_after_refusal(submission_id=submission_id)

        # A refused hire at one agency leaves it short of the others: check after commit.
        submission_refused.connect(check, weak=False, dispatch_uid="filings.discrepancies_check")
