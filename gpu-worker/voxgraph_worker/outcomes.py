"""How a job attempt ends, in one place: the failure exceptions, why a running job is stopped, and
what the runner did with each job. The codes and whether each is retried are the contract's
(protocol.JOB_ERRORS, generated from protocol/contract.ts; docs/protocol.md)."""

from __future__ import annotations

import enum
from datetime import datetime, timezone
from typing import Optional

from . import protocol


def is_retryable(code: str) -> bool:
    """The contract's word on a job error code; a code missing from the table is not retried."""
    info = protocol.JOB_ERRORS.get(code)
    return bool(info and info.retryable)


class JobFailure(Exception):
    """An attempt that cannot produce a result. `code` is one of protocol.JOB_ERRORS; its
    `retryable` flag alone decides whether another attempt is made (a code missing from the table
    is not retried, and test_protocol.py checks that every code raised is in it)."""

    code: str = protocol.JobErrorCode.ENGINE_ERROR.value

    def __init__(self, message: str, code: Optional[str] = None):
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code

    @property
    def retryable(self) -> bool:
        return is_retryable(self.code)


class DeadlineExceeded(JobFailure):
    """Claimed for its first attempt after the deadline its payload carries: given up, not run."""

    code = "DEADLINE_EXCEEDED"


def past_deadline(data: dict, retry_count: int, now: Optional[datetime] = None) -> Optional[DeadlineExceeded]:
    """The failure of a job claimed too late: only a first attempt (a job that started keeps its
    retries), and only with a deadline in the payload (protocol QueuePayload.deadline)."""
    raw = data.get("deadline")
    if retry_count or not isinstance(raw, str):
        return None
    try:
        deadline = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        return None  # the contract's validation is the API's; a malformed one is not our reason to drop a job
    if deadline.tzinfo is None:
        deadline = deadline.replace(tzinfo=timezone.utc)
    if (now or datetime.now(timezone.utc)) < deadline:
        return None
    return DeadlineExceeded(f"its deadline {raw} passed before it started")


class CancelReason(str, enum.Enum):
    """Why a running attempt is stopped (Control.cancel)."""

    CANCELLED = "cancelled"  # cancelJob: the job is final already; write nothing
    LOST = "lost"  # our claim lapsed (a fenced heartbeat touched nothing): write nothing
    TIMEOUT = "timeout"  # past the job's expiry: ended JOB_TIMEOUT, retried
    SHUTDOWN = "shutdown"  # this worker is stopping: handed back WORKER_SHUTDOWN, retried


# The stops that end the attempt with a (retryable) failure the worker records; the others write nothing.
RECORDED_AS: dict[CancelReason, tuple[str, str]] = {
    CancelReason.TIMEOUT: (protocol.JobErrorCode.JOB_TIMEOUT.value, "job timed out in the worker"),
    CancelReason.SHUTDOWN: (protocol.JobErrorCode.WORKER_SHUTDOWN.value, "worker shutting down"),
}


class Outcome(str, enum.Enum):
    """What the runner did with a job it held."""

    SUCCEEDED = "succeeded"  # result stored and recorded
    RETRYING = "retrying"  # a retryable failure recorded; pg-boss runs it again
    FAILED = "failed"  # a failure recorded for good
    CANCELLED = "cancelled"  # stopped by cancelJob; nothing written
    LOST = "lost"  # the claim was gone when settling; nothing written, any result file removed
    FINAL = "final"  # our row was already final (a cancel raced the settle); nothing written
    SETTLE_ERROR = "settle_error"  # the database did not take the settle; pg-boss's supervisor recovers the claim
