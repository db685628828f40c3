"""Portal tests use the root conftest's two-factor clients (sign_in_verified, verified_client),
and the pipeline's sandbox and worker where a real process is part of the check."""

from tests.pipeline import (  # noqa: F401
    celery_worker_process,
    sandbox,
    sandbox_server,
)
