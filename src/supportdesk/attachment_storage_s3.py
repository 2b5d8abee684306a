"""The S3 storage for attachments (see supportdesk.attachment_storage); imports boto3, so
it is loaded only when ATTACHMENTS_S3_BUCKET is set."""

from __future__ import annotations

from botocore.exceptions import ClientError
from botocore.response import StreamingBody
from storages.backends.s3 import S3Storage
from storages.utils import clean_name


class PrivateS3Storage(S3Storage):
    """django-storages' S3Storage, plus reads that stream the object as it arrives.

    `open()` (S3File) downloads the whole object into memory before the first byte is read;
    a download of a 25 MB file should neither wait for that nor hold it in a web process.
    """

    def open_stream(self, name: str) -> StreamingBody:
        """The object's body, read from S3 as it is consumed; FileNotFoundError if missing."""
        key = self._normalize_name(clean_name(name))
        try:
            return self.bucket.Object(key).get()["Body"]
        except ClientError as error:
            if error.response["ResponseMetadata"]["HTTPStatusCode"] == 404:
                raise FileNotFoundError(f"No such object: {key}") from None
            raise
