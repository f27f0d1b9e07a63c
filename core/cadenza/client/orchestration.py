"""Prefect's import path for the API client: ``from cadenza.client.orchestration import
get_client`` (as ``from prefect.client.orchestration import get_client``)."""

from cadenza.client import get_client

__all__ = ["get_client"]
