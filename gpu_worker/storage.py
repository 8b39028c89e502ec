"""Object storage for the GPU worker, by key (never by a path shared with the web app).

``Storage`` is the protocol; ``LocalDirStorage`` keeps keys as files under one directory (the app's
KOLONY_MEDIA_ROOT on a single machine, or any directory in tests) and ``S3Storage`` keeps them as objects in
a bucket through boto3. ``storage_from_env()`` picks the one the app uses, from the app's own variables:

* KOLONY_S3_BUCKET set → S3 (KOLONY_S3_ENDPOINT_URL for MinIO / moto / other S3-compatible servers;
  credentials and region from boto3's usual AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN,
  AWS_DEFAULT_REGION / AWS_S3_REGION_NAME) — the same bucket django-storages serves, key = object name;
* otherwise → KOLONY_GPU_STORAGE_DIR, else KOLONY_MEDIA_ROOT, else ``var/media`` (Django's
  FileSystemStorage root; key = file name under it).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from .contract import check_key


class StorageError(Exception):
    """A storage operation failed; ``missing`` when the key does not exist."""

    def __init__(self, message: str, missing: bool = False):
        super().__init__(message)
        self.missing = missing


@runtime_checkable
class Storage(Protocol):
    def get_bytes(self, key: str) -> bytes: ...
    def put_bytes(self, key: str, data: bytes, content_type: str = "application/octet-stream") -> None: ...
    def download(self, key: str, path: Path) -> Path: ...
    def upload(self, path: Path, key: str, content_type: str = "application/octet-stream") -> None: ...
    def exists(self, key: str) -> bool: ...
    def describe(self) -> str: ...


class LocalDirStorage:
    """Keys as files under ``root`` (created on first write)."""

    def __init__(self, root: str | Path):
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        return self.root / check_key(key)

    def get_bytes(self, key: str) -> bytes:
        p = self._path(key)
        if not p.is_file():
            raise StorageError(f"storage key {key!r} not found under {self.root}", missing=True)
        return p.read_bytes()

    def put_bytes(self, key: str, data: bytes, content_type: str = "application/octet-stream") -> None:
        p = self._path(key)
        p.parent.mkdir(parents=True, exist_ok=True)
        tmp = p.with_name(p.name + ".part")
        tmp.write_bytes(data)
        os.replace(tmp, p)

    def download(self, key: str, path: Path) -> Path:
        src = self._path(key)
        if not src.is_file():
            raise StorageError(f"storage key {key!r} not found under {self.root}", missing=True)
        shutil.copyfile(src, path)
        return path

    def upload(self, path: Path, key: str, content_type: str = "application/octet-stream") -> None:
        dst = self._path(key)
        dst.parent.mkdir(parents=True, exist_ok=True)
        tmp = dst.with_name(dst.name + ".part")
        shutil.copyfile(path, tmp)
        os.replace(tmp, dst)

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def describe(self) -> str:
        return f"local directory {self.root}"


class S3Storage:
    """Keys as objects in ``bucket`` (boto3; ``endpoint_url`` for S3-compatible servers)."""

    def __init__(self, bucket: str, endpoint_url: str | None = None, client: Any = None, region: str | None = None):
        if not bucket:
            raise ValueError("S3Storage needs a bucket name (KOLONY_S3_BUCKET)")
        self.bucket = bucket
        self.endpoint_url = endpoint_url or None
        if client is None:
            import importlib

            boto3: Any = importlib.import_module("boto3")  # untyped library
            Config = importlib.import_module("botocore.config").Config
            client = boto3.client("s3", endpoint_url=self.endpoint_url, region_name=region,
                                  config=Config(signature_version="s3v4", retries={"max_attempts": 3}))
        self.client = client

    def _missing(self, exc: Exception) -> bool:
        code = str(getattr(exc, "response", {}).get("Error", {}).get("Code", ""))
        return code in ("404", "NoSuchKey", "NotFound")

    def get_bytes(self, key: str) -> bytes:
        try:
            body = self.client.get_object(Bucket=self.bucket, Key=check_key(key))["Body"]
            return bytes(body.read())
        except Exception as exc:
            if self._missing(exc):
                raise StorageError(f"storage key {key!r} not found in bucket {self.bucket}", missing=True) from exc
            raise StorageError(f"reading {key!r} from bucket {self.bucket} failed: {exc}") from exc

    def put_bytes(self, key: str, data: bytes, content_type: str = "application/octet-stream") -> None:
        try:
            self.client.put_object(Bucket=self.bucket, Key=check_key(key), Body=data, ContentType=content_type)
        except Exception as exc:
            raise StorageError(f"writing {key!r} to bucket {self.bucket} failed: {exc}") from exc

    def download(self, key: str, path: Path) -> Path:
        Path(path).write_bytes(self.get_bytes(key))
        return Path(path)

    def upload(self, path: Path, key: str, content_type: str = "application/octet-stream") -> None:
        try:
            self.client.upload_file(str(path), self.bucket, check_key(key), ExtraArgs={"ContentType": content_type})
        except Exception as exc:
            raise StorageError(f"uploading {key!r} to bucket {self.bucket} failed: {exc}") from exc

    def exists(self, key: str) -> bool:
        try:
            self.client.head_object(Bucket=self.bucket, Key=check_key(key))
            return True
        except Exception as exc:
            if self._missing(exc):
                return False
            raise StorageError(f"checking {key!r} in bucket {self.bucket} failed: {exc}") from exc

    def describe(self) -> str:
        return f"S3 bucket {self.bucket}" + (f" at {self.endpoint_url}" if self.endpoint_url else "")


def storage_from_env(environ: dict[str, str] | None = None) -> Storage:
    """The storage the app uses, from its environment variables (see the module docstring)."""
    env = os.environ if environ is None else environ
    bucket = env.get("KOLONY_S3_BUCKET", "")
    if bucket:
        return S3Storage(bucket, endpoint_url=env.get("KOLONY_S3_ENDPOINT_URL") or None,
                         region=env.get("AWS_S3_REGION_NAME") or env.get("AWS_DEFAULT_REGION") or None)
    default_root = str(Path(__file__).resolve().parent.parent / "var" / "media")
    root = env.get("KOLONY_GPU_STORAGE_DIR") or env.get("KOLONY_MEDIA_ROOT") or default_root
    return LocalDirStorage(root)


def scratch_dir(prefix: str = "kolony-gpu-") -> tempfile.TemporaryDirectory[str]:
    """A private working directory for one task (removed afterwards): nothing is shared with the app."""
    return tempfile.TemporaryDirectory(prefix=prefix)
