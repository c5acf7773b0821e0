"""Object storage behind a tiny interface (put/open/delete/local_copy): local disk or S3.

LocalStorage: key -> DATA_DIR/objects/<key>. put() writes a temp file in the same directory and
renames it, so a reader never sees a half-written object.
S3Storage (STORAGE=s3, boto3): key -> S3_PREFIX + key in S3_BUCKET; a put is atomic in S3 itself;
local_copy() downloads the object to a temporary file for the decoder and removes it afterwards.
The API has the same two (src/storage/local-disk.ts, src/storage/s3.ts) over the same keys.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
from typing import BinaryIO, Iterator, Optional, Protocol


class ObjectMissing(LookupError):
    """No object under that key."""


class Storage(Protocol):
    def put(self, key: str, data: bytes) -> None: ...
    def open(self, key: str) -> BinaryIO: ...
    def delete(self, key: str) -> None: ...
    def local_copy(self, key: str) -> contextlib.AbstractContextManager[Path]: ...


def check_key(key: str) -> str:
    # Keys come from job data: refuse anything that could escape the objects directory (or prefix).
    if not key or key.startswith("/") or "\\" in key or any(p in ("", ".", "..") for p in key.split("/")):
        raise ValueError(f"invalid storage key {key!r}")
    return key


class LocalStorage:
    def __init__(self, data_dir: str | os.PathLike):
        self.root = (Path(data_dir) / "objects").resolve()

    def path(self, key: str) -> Path:
        return self.root / check_key(key)

    @contextlib.contextmanager
    def local_copy(self, key: str) -> Iterator[Path]:
        """The object's own file (nothing to copy on local disk)."""
        p = self.path(key)
        if not p.is_file():
            raise ObjectMissing(key)
        yield p

    def put(self, key: str, data: bytes) -> None:
        dest = self.path(key)
        dest.parent.mkdir(parents=True, exist_ok=True)
        # The API's orphan sweep knows this name (src/storage/local-disk.ts): a write cut short by a
        # kill is removed once old.
        fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=".tmp-", suffix=".part")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, dest)
        except BaseException:
            try:
                os.unlink(tmp)
            except FileNotFoundError:
                pass
            raise

    def open(self, key: str) -> BinaryIO:
        return open(self.path(key), "rb")

    def delete(self, key: str) -> None:
        try:
            os.unlink(self.path(key))
        except FileNotFoundError:
            pass


class S3Storage:
    def __init__(self, bucket: str, *, endpoint: Optional[str] = None, region: str = "us-east-1", prefix: str = "",
                 force_path_style: bool = False, access_key_id: Optional[str] = None,
                 secret_access_key: Optional[str] = None, tmp_dir: Optional[str] = None):
        import boto3  # only where STORAGE=s3: Debian's python3-boto3, or pip
        from botocore.config import Config as BotoConfig

        self.bucket, self.prefix, self.tmp_dir = bucket, prefix, tmp_dir
        self.client = boto3.client(
            "s3", endpoint_url=endpoint, region_name=region,
            aws_access_key_id=access_key_id, aws_secret_access_key=secret_access_key,
            config=BotoConfig(s3={"addressing_style": "path" if force_path_style else "auto"},
                              retries={"max_attempts": 5, "mode": "standard"}))

    def _key(self, key: str) -> str:
        return self.prefix + check_key(key)

    def put(self, key: str, data: bytes) -> None:
        self.client.put_object(Bucket=self.bucket, Key=self._key(key), Body=data)

    def open(self, key: str) -> BinaryIO:
        try:
            return self.client.get_object(Bucket=self.bucket, Key=self._key(key))["Body"]
        except self.client.exceptions.NoSuchKey as e:
            raise ObjectMissing(key) from e

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self._key(key))  # no error when absent

    @contextlib.contextmanager
    def local_copy(self, key: str) -> Iterator[Path]:
        """Downloads the object to a temporary file (streamed, multipart when large) for the decoder."""
        suffix = Path(key).suffix
        fd, tmp = tempfile.mkstemp(prefix="voxgraph-input-", suffix=suffix, dir=self.tmp_dir)
        os.close(fd)
        try:
            try:
                self.client.download_file(self.bucket, self._key(key), tmp)
            except Exception as e:
                code = getattr(e, "response", {}).get("Error", {}).get("Code")
                if code in ("404", "NoSuchKey", "NotFound"):
                    raise ObjectMissing(key) from e
                raise
            yield Path(tmp)
        finally:
            try:
                os.unlink(tmp)
            except FileNotFoundError:
                pass


def from_config(cfg) -> "Storage":
    """The storage the configuration names (STORAGE, S3_*): the same settings as the API's."""
    if cfg.storage == "s3":
        return S3Storage(cfg.s3_bucket, endpoint=cfg.s3_endpoint or None, region=cfg.s3_region, prefix=cfg.s3_prefix,
                         force_path_style=cfg.s3_force_path_style, access_key_id=cfg.s3_access_key_id or None,
                         secret_access_key=cfg.s3_secret_access_key or None)
    return LocalStorage(cfg.data_dir)
