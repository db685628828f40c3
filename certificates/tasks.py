"""Thin Celery tasks: a certificate id in, one service call. Safe to run twice (the service claims)."""

from __future__ import annotations

import logging

from celery import shared_task
from celery.signals import worker_process_init

from certificates import services
from certificates.render import certificate_renderer_warm

logger = logging.getLogger(__name__)


@shared_task(name=services.RENDER_TASK, acks_late=True)
def certificate_render(certificate_id: int) -> str:
    return services.certificate_render(certificate_id=certificate_id)


@worker_process_init.connect
def _warm_renderer(**_kwargs: object) -> None:
    # Pay font loading and CSS parsing (~1 s) at worker start, not on the first roster.
    try:
        certificate_renderer_warm()
    except Exception:
        # A missing font must not stop the worker's other queues; renders will report it.
        logger.warning("certificate renderer warm-up failed", exc_info=True)
