"""AWS for cadenza: credentials, S3 result storage, Secrets Manager, and prebuilt tasks.

    from cadenza import flow, task
    from cadenza_aws import AwsCredentials, S3Bucket, s3_upload

    credentials = AwsCredentials(region_name="eu-west-1")      # keys from boto3's chain
    results = S3Bucket(bucket_name="my-results", credentials=credentials)

    @task(persist_result=True, result_storage=results)
    def extract() -> list[dict]: ...

The names below are imported on first access (PEP 562), so ``import cadenza_aws`` — which the
plugin module's import implies — loads neither boto3 nor pydantic.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cadenza_aws.client_parameters import AwsClientParameters
    from cadenza_aws.credentials import AwsCredentials
    from cadenza_aws.exceptions import (
        AwsAuthError,
        AwsError,
        AwsOperationError,
        S3NotFoundError,
        SecretNotFoundError,
    )
    from cadenza_aws.s3 import S3Bucket
    from cadenza_aws.s3_tasks import s3_copy, s3_delete, s3_download, s3_list_objects, s3_upload
    from cadenza_aws.secrets_manager import AwsSecret
    from cadenza_aws.secrets_manager_tasks import aws_secrets_manager_get_secret

_EXPORTS: dict[str, str] = {
    "AwsAuthError": "cadenza_aws.exceptions",
    "AwsClientParameters": "cadenza_aws.client_parameters",
    "AwsCredentials": "cadenza_aws.credentials",
    "AwsError": "cadenza_aws.exceptions",
    "AwsOperationError": "cadenza_aws.exceptions",
    "AwsSecret": "cadenza_aws.secrets_manager",
    "S3Bucket": "cadenza_aws.s3",
    "S3NotFoundError": "cadenza_aws.exceptions",
    "SecretNotFoundError": "cadenza_aws.exceptions",
    "aws_secrets_manager_get_secret": "cadenza_aws.secrets_manager_tasks",
    "s3_copy": "cadenza_aws.s3_tasks",
    "s3_delete": "cadenza_aws.s3_tasks",
    "s3_download": "cadenza_aws.s3_tasks",
    "s3_list_objects": "cadenza_aws.s3_tasks",
    "s3_upload": "cadenza_aws.s3_tasks",
}


def __getattr__(name: str) -> Any:
    if name == "__version__":  # the one version literal is pyproject.toml's
        # lazily: importlib.metadata costs milliseconds on every plugin load
        from importlib.metadata import version

        return version("cadenza-aws")
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'cadenza_aws' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS, "__version__"})


__all__ = [
    "AwsAuthError",
    "AwsClientParameters",
    "AwsCredentials",
    "AwsError",
    "AwsOperationError",
    "AwsSecret",
    "S3Bucket",
    "S3NotFoundError",
    "SecretNotFoundError",
    "aws_secrets_manager_get_secret",
    "s3_copy",
    "s3_delete",
    "s3_download",
    "s3_list_objects",
    "s3_upload",
]
