"""Words an aligner cannot place come back marked, with interpolated times, and the job succeeds.

The rule (engines/support/placement.py) on generated word lists, then through the align kind with
real engines on speech that lacks words of its transcript.
"""

from __future__ import annotations

import random

import jsonschema
import numpy as np
import pytest

from voxgraph_eval.speech import espeak_clip
from voxgraph_worker import protocol
from voxgraph_worker.engines.align_auto import Aligner
from voxgraph_worker.engines.align_espeak_dtw import DtwAligner, align_tokens
from voxgraph_worker.engines.base import AlignedWord, AudioData, Task
from voxgraph_worker.engines.support.placement import MIN_PLACED_S, is_placed, place
from voxgraph_worker.engines.support.tokens import tokenize
from voxgraph_worker.kinds import kind_of
from engine_support import nothing


def generated(seed: int) -> tuple[list[AlignedWord], float]:
    r = random.Random(seed)
    duration = 1 + r.random() * 9
    t, words = 0.0, []
    for _ in range(r.randint(1, 25)):
        roll = r.random()
        if roll < 0.2:  # collapsed onto one point, as a DTW path that ran out of audio leaves it
            words.append(AlignedWord("w" * r.randint(1, 9), t, t, r.random()))
        elif roll < 0.3:  # flagged by its engine
            words.append(AlignedWord("flagged", t, t + 0.2, 0.5, aligned=False))
        else:
            start = t + r.random() * 0.3
            end = start + MIN_PLACED_S + r.random() * 0.5
            words.append(AlignedWord("x" * r.randint(1, 9), start, end, r.random()))
            t = end
    return words, max(duration, t) if r.random() < 0.9 else t * 0.8  # sometimes words past the end


@pytest.mark.parametrize("seed", range(300))
def test_placement_keeps_placed_words_and_spreads_the_rest_in_order(seed):
    words, duration = generated(seed)
    out = place(words, duration)
    assert [w.text for w in out] == [w.text for w in words]
    prev = 0.0
    for before, after in zip(words, out):
        if is_placed(before, duration):
            assert after == before  # measured times are never touched
        else:
            assert after.aligned is False and after.confidence == 0.0
            assert after.start >= prev - 1e-9  # inside the gap after the previous word
            assert 0.0 <= after.start <= after.end <= max(duration, prev) + 1e-9
        prev = after.end if not is_placed(before, duration) else max(prev, after.end)


def test_a_run_shares_its_gap_by_length():
    words = [AlignedWord("one", 0.0, 0.5), AlignedWord("a", 0.5, 0.5), AlignedWord("bbb", 0.5, 0.5),
             AlignedWord("two", 1.3, 1.6)]
    out = place(words, 2.0)
    assert [(round(w.start, 3), round(w.end, 3), w.aligned) for w in out] == [
        (0.0, 0.5, True), (0.5, 0.7, False), (0.7, 1.3, False), (1.3, 1.6, True)]
    tail = place([AlignedWord("x", 0.1, 0.4), AlignedWord("gone", 0.4, 0.4)], 1.0)
    assert (tail[1].start, tail[1].end, tail[1].aligned) == (0.4, 1.0, False)


@pytest.fixture(scope="module", params=["auto", "espeak-dtw"])
def engine(request):
    e = Aligner() if request.param == "auto" else DtwAligner()
    e.load()
    return e


def align_job(engine, audio, transcript):
    """The align kind end to end inside the worker: payload params -> Task -> engine -> JobResult."""
    kind = kind_of("align")
    task = kind.task({"transcript": transcript, "language": "en"}, audio, nothing)
    result, _ = kind.result(task, kind.run(engine, task))
    jsonschema.validate(result, protocol.SCHEMAS["JobResult"])
    return result


def test_words_missing_from_the_audio_are_marked_and_the_rest_are_placed(engine):
    clip = espeak_clip("the quick brown fox", "en")
    result = align_job(engine, clip, "the quick brown fox jumps over the lazy dog")
    words = result["words"]
    assert [w["text"] for w in words] == "the quick brown fox jumps over the lazy dog".split()
    unaligned = [w["text"] for w in words if not w["aligned"]]
    assert unaligned and set(unaligned) <= {"jumps", "over", "the", "lazy", "dog"}
    assert all(w["aligned"] for w in words[:3])  # what was said keeps its measured times
    prev = 0.0
    for w in words:
        assert prev - 1e-9 <= w["start"] <= w["end"] <= clip.duration + 1e-9
        prev = w["end"]


def test_no_reference_at_all_marks_every_word_over_the_whole_audio():
    # Words espeak says nothing for: DTW has no reference to align against. Before, the job failed
    # with UNALIGNABLE_TRANSCRIPT; now each word is marked and spread over the audio.
    tokens = tokenize("hello world")
    words = place(align_tokens(np.zeros(16000, np.float32), "", tokens, "en", nothing), 1.0)
    assert [(w.text, w.aligned) for w in words] == [("hello", False), ("world", False)]
    assert words[0].start == 0.0 and abs(words[-1].end - 1.0) < 1e-9
