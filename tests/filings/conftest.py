from tests.pipeline import (  # noqa: F401
    celery_worker_process,
    sandbox,
    sandbox_server,
)
