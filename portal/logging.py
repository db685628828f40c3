"""A log filter that masks anything shaped like a resident number, as a last line of defence."""

import logging

from portal.identifiers import mask_rrn_text


class RrnRedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = mask_rrn_text(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True
