from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "notifications"

    def ready(self) -> None:
        from filings.signals import discrepancies_opened, submissions_refused
        from notifications.services import discrepancy_alerts_enqueue, submission_alerts_enqueue

        def alert(sender: object, submission_ids: list[int], **kwargs: object) -> None:
            submission_alerts_enqueue(submission_ids=submission_ids)

        # Strong reference: the receiver lives as long as the app.
        submissions_refused.connect(
            alert, weak=False, dispatch_uid="notifications.submission_alert"
        )

        def discrepancies(sender: object, discrepancy_ids: list[int], **kwargs: object) -> None:
            discrepancy_alerts_enqueue(discrepancy_ids=discrepancy_ids)

        discrepancies_opened.connect(
            discrepancies, weak=False, dispatch_uid="notifications.discrepancy_alert"
        )
