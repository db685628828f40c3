"""Thin Celery tasks: a certificate id in, one service call. Safe to run twice (the service claims)."""

from __future__ import annotations

from celery import shared_task
from celery.signals import worker_process_init

from certificates import services
from certificates.render import certificate_renderer_warm


@shared_task(name=services.RENDER_TASK, acks_late=True)
def certificate_render(certificate_id: int) -> str:
    return services.certificate_render(certificate_id=certificate_id)


@worker_process_init.connect
def _warm_renderer(**_kwargs: object) -> None:
    # Pay font loading and CSS parsing (~1 s) at worker start, not on the first roster.
    try:
        certificate_renderer_warm()
    except Exception:  # noqa: BLE001 - a missing font must not stop the worker's other queues
        return
