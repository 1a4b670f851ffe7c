"""Failure alerts: a Slack-compatible POST `{"text": ...}` to the project's webhook URL.

Sent from the flow's failure hook, after Prefect has recorded the run as failed: short
timeouts, a few retries, and no exception ever escapes, so an alert can neither block nor
fail a run.
"""

from __future__ import annotations

import logging
import time

import httpx

from connectors.logging import mask

log = logging.getLogger(__name__)


def send_alert(url: str, text: str, *, attempts: int = 3, timeout: float = 3.0) -> bool:
    """True when the webhook accepted the alert; retries on errors and 5xx, never raises."""
    body = {"text": mask(text)[:3000]}
    for attempt in range(1, attempts + 1):
        try:
            response = httpx.post(url, json=body, timeout=timeout)
            if response.status_code < 500:
                if response.status_code >= 400:
                    log.warning("failure alert refused by the webhook (%s)", response.status_code)
                return response.status_code < 400
        except httpx.HTTPError as exc:
            log.warning("failure alert attempt %d failed: %s", attempt, type(exc).__name__)
        if attempt < attempts:
            time.sleep(0.5 * attempt)
    return False


def failure_text(job_name: str, reason: str | None) -> str:
    return f"{job_name} failed: {reason or 'no reason given'}"
