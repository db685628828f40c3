"""What filings tells the rest of the house, without importing it (filings never imports
notifications: notifications listens here)."""

from django.dispatch import Signal

# Sent inside the transaction that recorded rejections or failures, once for all of them, with
# `submission_ids`, so that a receiver's own writes (outbox rows) commit or roll back with the
# change.
submissions_refused = Signal()

# Sent inside the transaction of a consistency check that opened discrepancies, with
# `discrepancy_ids` (marked alerted in that transaction: each is announced once).
discrepancies_opened = Signal()

# Sent inside the transaction that changed what a monthly bill depends on (a period opened,
# closed, cancelled or imported; a monthly wage changed), with `workplace_ids` and `since` (the
# first day affected), so premiums can mark those bills for recomputation in the same commit.
bill_inputs_changed = Signal()

# Sent to ask for the wages the workplace's bills of a year used (filings never imports
# premiums), with `workplace_id` and `year`; a receiver answers {(employee_id, first of
# month): monthly wage}, leaving out stale bills.
billed_wages_wanted = Signal()
