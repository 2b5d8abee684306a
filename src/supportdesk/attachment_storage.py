"""Where attachments live: files under MEDIA_ROOT (the default), or objects in an
S3-compatible bucket through django-storages when ATTACHMENTS_S3_BUCKET is set.

Either way the application is the only way to a file: objects are written private and no
storage URL is ever shown; the download views read the file through the storage API after
checking who asks (`open_for_download`).
"""

from __future__ import annotations

from typing import IO, TYPE_CHECKING, Any

from django.core.exceptions import ImproperlyConfigured

if TYPE_CHECKING:  # settings import this module: nothing of the ORM at import time
    from django.core.files.storage import Storage
    from django.db.models.fields.files import FieldFile

FILESYSTEM_BACKEND = "django.core.files.storage.FileSystemStorage"
S3_BACKEND = "supportdesk.attachment_storage_s3.PrivateS3Storage"
ADDRESSING_STYLES = ("auto", "path", "virtual")


def attachment_storage(
    *,
    bucket: str,
    endpoint_url: str = "",
    region: str = "",
    prefix: str = "",
    access_key: str = "",
    secret_key: str = "",
    acl: str = "private",
    addressing_style: str = "",
) -> dict[str, Any]:
    """The `STORAGES["default"]` entry: the filesystem without a bucket, else the bucket.

    Without keys, boto3 finds credentials itself (instance role, ~/.aws, AWS_PROFILE…).
    With an endpoint (MinIO, Ceph, R2…) requests use path-style addressing unless told
    otherwise, since such services rarely have a DNS name per bucket.
    """
    if not bucket:
        return {"BACKEND": FILESYSTEM_BACKEND}
    if bool(access_key) != bool(secret_key):
        raise ImproperlyConfigured(
            "Set both AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or neither (boto3's own "
            "credential chain)."
        )
    style = addressing_style.strip().lower() or ("path" if endpoint_url else "auto")
    if style not in ADDRESSING_STYLES:
        raise ImproperlyConfigured(
            f"ATTACHMENTS_S3_ADDRESSING_STYLE must be one of {', '.join(ADDRESSING_STYLES)}, "
            f"not {addressing_style!r}."
        )
    return {
        "BACKEND": S3_BACKEND,
        "OPTIONS": {
            "bucket_name": bucket,
            "endpoint_url": endpoint_url or None,
            "region_name": region or None,
            "location": prefix.strip("/"),
            "access_key": access_key or None,
            "secret_key": secret_key or None,
            "default_acl": acl or None,  # empty: no ACL header (buckets with ACLs disabled)
            "addressing_style": None if style == "auto" else style,
        },
    }


def open_stored(name: str, storage: Storage | None = None) -> IO[bytes]:
    """A stored file (of the default storage), opened to be read once from its start: from
    S3 the object streams in as it is read. FileNotFoundError when the storage lacks it."""
    if storage is None:
        from django.core.files.storage import default_storage as storage
    open_stream = getattr(storage, "open_stream", None)
    if open_stream is not None:
        return open_stream(name)
    return storage.open(name, "rb")


def open_for_download(stored: FieldFile) -> IO[bytes]:
    """An attachment's file, for a response to stream out (see open_stored)."""
    return open_stored(stored.name, stored.storage)
