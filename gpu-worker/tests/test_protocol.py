"""The worker keeps to the generated contract (voxgraph_worker/protocol.py, from protocol/contract.ts).

What the worker writes as results is checked against the JSON Schema wherever a test runs a job to
success (test_worker_process.final); these check the rest: every error code the worker can raise is
in the contract's table (which alone decides retrying), the lists the engines keep match it, and
the schemas themselves accept what they should and refuse what they should.
"""
from __future__ import annotations

import re
from pathlib import Path

import jsonschema
import pytest

from voxgraph_worker import protocol
from voxgraph_worker.engines.support import espeak
from voxgraph_worker.engines.support.emotion import EMOTIONS
from voxgraph_worker.outcomes import RECORDED_AS, JobFailure
from voxgraph_worker.runner import _Failure

WORKER = Path(protocol.__file__).resolve().parent
# A code given where a job error is made: EngineInputError("CODE", …), _Failure("CODE", …),
# error_output(… code="CODE" …); and the codes of the cancel reasons that are retried.
RAISED = re.compile(r'(?:EngineInputError|_Failure)\(\s*"([A-Z][A-Z_]+)"|\bcode\s*=\s*"([A-Z][A-Z_]+)"')


def raised_codes() -> set[str]:
    codes = set()
    for path in WORKER.rglob("*.py"):
        if path.name == "protocol.py":
            continue
        for m in RAISED.finditer(path.read_text()):
            codes.add(next(g for g in m.groups() if g))
    return codes | {code for code, _ in RECORDED_AS.values()}


def test_every_code_the_worker_raises_is_in_the_contract():
    codes = raised_codes()
    assert len(codes) >= 15, codes  # the scan finds them (it would pass vacuously otherwise)
    assert codes - set(protocol.JOB_ERRORS) == set()


def test_retrying_is_decided_by_the_table_alone():
    for code, info in protocol.JOB_ERRORS.items():
        assert _Failure(code, "x").retryable is info.retryable
        assert JobFailure("x", code).retryable is info.retryable
    assert _Failure("NOT_A_CODE", "x").retryable is False


def test_every_failure_the_worker_raises_is_a_job_failure_with_a_contract_code():
    from voxgraph_worker.audio_io import DecodeFailed, InputMissing
    from voxgraph_worker.batching import DeviceOutOfMemoryFailure
    from voxgraph_worker.engines.base import EngineInputError
    for exc in (InputMissing("x"), DecodeFailed("x"), DeviceOutOfMemoryFailure("x"), EngineInputError("EMPTY_TEXT", "x")):
        assert isinstance(exc, JobFailure) and exc.code in protocol.JOB_ERRORS and exc.message == "x"
    assert DeviceOutOfMemoryFailure("x").retryable and not DecodeFailed("x").retryable


def test_the_engines_lists_are_the_contract_lists():
    assert tuple(EMOTIONS) == protocol.EMOTIONS
    assert set(espeak.VOICES) == set(protocol.LANGUAGES)


def test_the_generated_enums_match_the_lists():
    assert tuple(k.value for k in protocol.JobKind) == protocol.JOB_KINDS
    assert [c.value for c in protocol.JobErrorCode] == list(protocol.JOB_ERRORS)


def test_the_worker_has_one_kind_module_per_contract_kind():
    from voxgraph_worker.kinds import KINDS, kind_of
    from voxgraph_worker.engines.base import EngineInputError
    assert set(KINDS) == set(protocol.JOB_KINDS)
    # takes_audio agrees with the contract: a kind's payload carries an input audio object exactly when it takes audio.
    branches = {b["properties"]["kind"]["const"]: b for b in protocol.SCHEMAS["QueuePayload"]["oneOf"]}
    for name, kind in KINDS.items():
        assert (branches[name]["properties"]["input"].get("type") == "object") == kind.takes_audio, name
    with pytest.raises(EngineInputError) as e:
        kind_of("transcribe")
    assert e.value.code == "UNKNOWN_KIND"


WORD = {"text": "hello", "start": 0.1, "end": 0.4, "confidence": 0.9}
INPUT = {"audioId": "0b6f1a52-5f0e-4b8e-9a55-8d1c1c3b1a10", "storageKey": "t1/a.wav", "durationSeconds": 1.5,
         "sampleRate": 16000, "channels": 1}


@pytest.mark.parametrize("result", [
    {"kind": "denoise"},
    {"kind": "align", "words": [WORD], "language": "en", "notes": {}},
    {"kind": "align", "words": [], "language": "fr", "notes": {"denoised": True, "snrDb": 3.5, "engine": "x", "more": 1}},
    {"kind": "synthesize", "words": [{**WORD, "confidence": None}]},
])
def test_results_the_contract_accepts(result):
    jsonschema.validate(result, protocol.SCHEMAS["JobResult"])


@pytest.mark.parametrize("result", [
    {"kind": "denoise", "extra": 1},                                    # unknown key
    {"kind": "align", "words": [WORD], "language": "en"},               # notes missing
    {"kind": "align", "words": [{**WORD, "confidence": 2}], "language": "en", "notes": {}},
    {"kind": "align", "words": [], "language": "xx", "notes": {}},      # not a contract language
    {"kind": "synthesize", "words": [{"text": "a", "start": 0}]},       # end missing
    {"kind": "transcribe"},
])
def test_results_the_contract_refuses(result):
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(result, protocol.SCHEMAS["JobResult"])


@pytest.mark.parametrize("payload,ok", [
    ({"kind": "denoise", "tenant": "t1", "params": {}, "input": INPUT}, True),
    ({"kind": "align", "tenant": "t1", "params": {"transcript": "hi", "language": "en"}, "input": INPUT}, True),
    ({"kind": "synthesize", "tenant": "t1", "params": {"text": "hi", "emotion": "calm", "voice": None, "language": "en",
                                                        "intensity": 0.5, "sampleRate": None}, "input": None}, True),
    ({"kind": "align", "tenant": "t1", "params": {"transcript": "hi"}, "input": INPUT}, False),  # no language: the API always sets one
    ({"kind": "denoise", "tenant": "t1", "params": {}, "input": None}, False),                  # denoise needs audio
    ({"kind": "synthesize", "tenant": "t1", "params": {"text": "hi", "emotion": "calm", "voice": None, "language": "en",
                                                        "intensity": 1.5, "sampleRate": None}, "input": None}, False),
])
def test_queue_payloads(payload, ok):
    if ok:
        jsonschema.validate(payload, protocol.SCHEMAS["QueuePayload"])
    else:
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(payload, protocol.SCHEMAS["QueuePayload"])
