"""The engines a worker offers by default, best first per kind, and plug-ins ahead of them when
their weights folders are configured (construction only: loading is each plug-in's own test)."""

from __future__ import annotations

import pytest

from voxgraph_worker.config import MODEL_DIR_SUFFIX, ConfigError
from voxgraph_worker.engines import ALL, default_engines
from voxgraph_worker.engines.catalog import plugins


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
    engines = default_engines("cpu", {"FRCRN_MODEL_DIR": str(tmp_path), "QWEN3_ALIGNER_MODEL_DIR": str(tmp_path),
                                      "INDEXTTS2_MODEL_DIR": str(tmp_path)})
    assert [es[0].info.name for es in engines.values()] == ["frcrn", "qwen3-forced-aligner", "indextts2"]
    assert all(es[0].info.plugin for es in engines.values())
    assert names(engines["denoise"])[1:] == ["mmse-lsa", "fast"]


def test_plugins_are_found_by_the_setting_they_declare():
    # No list to edit: an engine class that names its weights folder is a plug-in.
    found = {cls.weights_setting: cls for cls in plugins()}
    assert set(found) == {"FRCRN_MODEL_DIR", "QWEN3_ALIGNER_MODEL_DIR", "INDEXTTS2_MODEL_DIR"}
    for setting, cls in found.items():
        assert setting.endswith(MODEL_DIR_SUFFIX) and cls.info.plugin, cls
        assert isinstance(cls.requires, tuple)
    assert not any(cls.weights_setting for cls in ALL), "built-in engines need no weights"


def test_an_unset_or_empty_folder_leaves_the_plugin_out():
    assert names(default_engines("cpu", {"FRCRN_MODEL_DIR": ""})["denoise"]) == ["mmse-lsa", "fast"]


def test_a_plugin_folder_that_does_not_exist_is_a_configuration_error(tmp_path):
    with pytest.raises(ConfigError, match="FRCRN_MODEL_DIR"):
        default_engines("cpu", {"FRCRN_MODEL_DIR": str(tmp_path / "missing")})


def test_a_weights_setting_no_plugin_declares_is_ignored_not_fatal(tmp_path):
    # WHISPER_MODEL_DIR may belong to another program in the same environment; FRCNN_ is a typo.
    engines = default_engines("cpu", {"WHISPER_MODEL_DIR": "/nope", "FRCNN_MODEL_DIR": str(tmp_path)})
    assert names(engines["denoise"]) == ["mmse-lsa", "fast"]
