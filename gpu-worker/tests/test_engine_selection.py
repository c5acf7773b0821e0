"""Which engine a job gets (registry.select), loading with a broken plug-in (registry.prepare), and
batch caps from device memory (batching.BatchSizer)."""

from __future__ import annotations

import pytest

from voxgraph_worker.batching import BatchSizer
from voxgraph_worker.engines.base import Engine, EngineInfo, EngineInputError
from voxgraph_worker.registry import describe, prepare, select


def eng(kind, name, languages=(), voices=None, plugin=False, fail=False, max_batch=1, mem=0.0, device="cpu"):
    class E(Engine):
        def load(self):
            if fail:
                raise OSError("weights folder is incomplete")

    e = E()
    e.info = EngineInfo(kind=kind, name=name, version="1", languages=list(languages), voices=voices or {},
                        plugin=plugin, max_batch=max_batch, memory_mb_per_item=mem, device=device)
    return e


REG = {"synthesize": [eng("synthesize", "flite", ["en"], {"en": ["slt", "awb"]}),
                      eng("synthesize", "espeak-ng", ["en", "de"], {"en": ["f3", "m3"], "de": ["f2"]})],
       "denoise": [eng("denoise", "mmse-lsa"), eng("denoise", "fast")]}


def test_the_first_engine_that_speaks_the_language_is_the_default():
    assert select(REG, "synthesize", None, "en").info.name == "flite"
    assert select(REG, "synthesize", None, "de").info.name == "espeak-ng"
    assert select(REG, "denoise", None, None).info.name == "mmse-lsa"


def test_the_worker_row_marks_each_engine_that_is_a_default_for_some_language():
    defaults = {d["name"]: d["default"] for d in describe(REG)}
    # espeak-ng is not first, but it is the default for German
    assert defaults == {"flite": True, "espeak-ng": True, "mmse-lsa": True, "fast": False}
    shadowed = {"synthesize": [eng("synthesize", "espeak-ng", ["en", "de"]), eng("synthesize", "flite", ["en"])]}
    assert [d["default"] for d in describe(shadowed)] == [True, False]


def test_a_voice_picks_the_engine_that_lists_it():
    assert select(REG, "synthesize", None, "en", "m3").info.name == "espeak-ng"
    assert select(REG, "synthesize", None, "en", "awb").info.name == "flite"
    # Listed nowhere: the default gets it (and may reject it with UNKNOWN_VOICE).
    assert select(REG, "synthesize", None, "en", "zz9").info.name == "flite"


def test_a_named_engine_wins_and_must_exist_and_speak_the_language():
    assert select(REG, "denoise", "fast").info.name == "fast"
    with pytest.raises(EngineInputError) as e:
        select(REG, "denoise", "nosuch")
    assert e.value.code == "ENGINE_UNAVAILABLE" and "mmse-lsa, fast" in e.value.message
    with pytest.raises(EngineInputError) as e:
        select(REG, "synthesize", "flite", "de")
    assert e.value.code == "UNSUPPORTED_LANGUAGE"
    with pytest.raises(EngineInputError) as e:
        select(REG, "synthesize", None, "ja")
    assert e.value.code == "UNSUPPORTED_LANGUAGE"
    with pytest.raises(EngineInputError) as e:
        select(REG, "align", None, "en")
    assert e.value.code == "ENGINE_UNAVAILABLE"


def test_a_plugin_that_fails_to_load_is_dropped_and_reported_but_a_builtin_is_fatal():
    reg = {"denoise": [eng("denoise", "frcrn", plugin=True, fail=True), eng("denoise", "mmse-lsa")]}
    failures = prepare(reg)
    assert [e.info.name for e in reg["denoise"]] == ["mmse-lsa"]
    assert failures == [{"kind": "denoise", "name": "frcrn", "error": "OSError: weights folder is incomplete"}]
    assert [d["name"] for d in describe(reg)] == ["mmse-lsa"] and describe(reg)[0]["default"] is True
    with pytest.raises(OSError):
        prepare({"denoise": [eng("denoise", "mmse-lsa", fail=True)]})


def test_batch_caps_come_from_settings_engine_and_free_gpu_memory():
    free = {"mb": 10_000.0}
    sizer = BatchSizer(16, "cuda:0", free_mb=lambda: free["mb"])
    gpu = eng("denoise", "frcrn", max_batch=32, mem=1000.0, device="cuda:0")
    cpu = eng("denoise", "mmse-lsa", max_batch=8)
    assert sizer.cap(cpu) == 8  # engine cap below the setting; no memory rule on the CPU
    assert sizer.cap(gpu) == 8  # 80% of 10 GB / 1 GB per item
    free["mb"] = 500.0
    assert sizer.cap(gpu) == 1  # never below one
    free["mb"] = 100_000.0
    assert sizer.cap(gpu) == 16  # the setting caps it
    sizer.out_of_memory(gpu, 16)
    assert sizer.cap(gpu) == 8
    for _ in range(20):
        sizer.succeeded(gpu, 8)
    assert sizer.cap(gpu) == 9  # grows back slowly after clean batches
    assert sizer.claim_limit([cpu, gpu]) == 9
