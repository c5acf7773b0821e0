"""The engines a worker offers by default, best first per kind, and plug-ins ahead of them when
their weights folders are configured (construction only: loading is each plug-in's own test)."""

from __future__ import annotations

from voxgraph_worker.engines import ALL, default_engines


def names(engines):
    return [e.info.name for e in engines]


def test_builtin_engines_per_kind_best_first():
    engines = default_engines()
    assert set(engines) == {"denoise", "align", "synthesize"}
    assert names(engines["denoise"]) == ["mmse-lsa", "fast"]
    assert names(engines["align"]) == ["auto", "pocketsphinx", "espeak-dtw"]
    # flite is the more intelligible English voice; espeak-ng speaks every language.
    assert names(engines["synthesize"]) == ["flite", "espeak-ng"]
    for kind, es in engines.items():
        assert all(e.info.kind == kind and type(e) in ALL and not e.info.plugin for e in es)


def test_configured_plugins_become_the_defaults(tmp_path):
    engines = default_engines("cpu", frcrn_dir=str(tmp_path), qwen3_aligner_dir=str(tmp_path),
                              indextts2_dir=str(tmp_path))
    assert [es[0].info.name for es in engines.values()] == ["frcrn", "qwen3-forced-aligner", "indextts2"]
    assert all(es[0].info.plugin for es in engines.values())
    assert names(engines["denoise"])[1:] == ["mmse-lsa", "fast"]
