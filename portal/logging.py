"""A log filter that masks anything shaped like a resident number, as a last line of defence."""

import logging
import re

_RRN = re.compile(r"(?<!\d)(\d{6})-?([1-8])\d{6}(?!\d)")


def redact(text: str) -> str:
    return _RRN.sub(r"\1-\2******", text)


class RrnRedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True
