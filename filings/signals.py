"""What filings tells the rest of the house, without importing it (filings never imports
notifications: notifications listens here)."""

from django.dispatch import Signal

# Sent inside the transaction that recorded a rejection or failure, with `submission_id`, so
# that a receiver's own writes (outbox rows) commit or roll back with the change.
submission_refused = Signal()
