"""The agency sandbox: a real HTTP service standing in for the four agencies.

It never imports filings/ or portal/ and never reads our database: it is the other side of the
wire and keeps its own books (see README.md).
"""

from agencies.sandbox.server import serve_forever, start_in_thread

__all__ = ["serve_forever", "start_in_thread"]
