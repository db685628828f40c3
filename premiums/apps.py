from django.apps import AppConfig


class PremiumsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "premiums"

    def ready(self) -> None:
        from datetime import date

        from filings.signals import bill_inputs_changed, billed_wages_wanted
        from premiums.selectors import billed_wages
        from premiums.services import bills_mark_stale

        def stale(sender: object, workplace_ids: set[int], since: date, **kwargs: object) -> None:
            bills_mark_stale(workplace_ids=workplace_ids, since=since)

        # Strong reference: the receiver lives as long as the app.
        bill_inputs_changed.connect(stale, weak=False, dispatch_uid="premiums.bills_stale")

        def billed(
            sender: object, workplace_id: int, year: int, **kwargs: object
        ) -> dict[tuple[int, date], int]:
            return billed_wages(workplace_id=workplace_id, year=year)

        billed_wages_wanted.connect(billed, weak=False, dispatch_uid="premiums.billed_wages")
