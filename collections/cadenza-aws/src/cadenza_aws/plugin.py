"""The `cadenza` entry point of cadenza-aws (``[project.entry-points.cadenza] aws``).

Imported whenever cadenza loads its plugins, so it imports nothing but the `hookimpl` marker:
the blocks and tasks (and through them pydantic and, on first use, boto3) are imported inside
the hooks.
"""

from cadenza import hookimpl

#: The cadenza versions this collection works with (a PEP 440 specifier set).
CADENZA_API = ">=0.1,<0.2"


@hookimpl
def register_block_types() -> list[type]:
    from cadenza_aws.credentials import AwsCredentials
    from cadenza_aws.s3 import S3Bucket
    from cadenza_aws.secrets_manager import AwsSecret

    return [AwsCredentials, S3Bucket, AwsSecret]


@hookimpl
def register_storage_backends() -> list[type]:
    from cadenza_aws.s3 import S3Bucket

    return [S3Bucket]


@hookimpl
def register_tasks() -> list[object]:
    from cadenza_aws.s3_tasks import s3_copy, s3_delete, s3_download, s3_list_objects, s3_upload
    from cadenza_aws.secrets_manager_tasks import aws_secrets_manager_get_secret

    return [
        s3_upload,
        s3_download,
        s3_list_objects,
        s3_copy,
        s3_delete,
        aws_secrets_manager_get_secret,
    ]
