"""libflite through ctypes, run in a child process: text chunks in, 16-bit audio and token times out.

flite ends the whole process on an internal error (cst_error calls exit() when no jump buffer is
set), so the worker never loads it: synth_flite starts `python -m ...synth_flite_lib` per job,
which also makes a job cancellable by killing the child.

Protocol: one JSON request on stdin {"voice", "features": {name: float}, "chunks": [str], "out": path}.
For each chunk the child appends its samples (int16, native order) to `out` and prints one JSON
line {"sample_rate", "samples", "tokens": [[file_pos, name, start_s, end_s], ...]}, times relative
to the chunk. Token times run from the token's first to its last non-pause segment; file_pos is
flite's byte offset of the token in the chunk (the chunk is ASCII, so bytes are characters).
"""

from __future__ import annotations

import ctypes
import json
import sys

VOICES = {  # our name -> the registration function's suffix in libflite_<suffix>.so.1
    "slt": "cmu_us_slt",
    "awb": "cmu_us_awb",
    "rms": "cmu_us_rms",
    "kal16": "cmu_us_kal16",
    "kal": "cmu_us_kal",
}


class _Wave(ctypes.Structure):
    _fields_ = [("type", ctypes.c_char_p), ("sample_rate", ctypes.c_int), ("num_samples", ctypes.c_int),
                ("num_channels", ctypes.c_int), ("samples", ctypes.POINTER(ctypes.c_short))]


class _Voice(ctypes.Structure):
    _fields_ = [("name", ctypes.c_char_p), ("features", ctypes.c_void_p)]  # leading fields of cst_voice


def _library():
    lib = ctypes.CDLL("libflite.so.1")
    vp, cp = ctypes.c_void_p, ctypes.c_char_p
    for name, res, args in [
        ("flite_init", ctypes.c_int, []),
        ("flite_synth_text", vp, [cp, vp]),
        ("utt_wave", ctypes.POINTER(_Wave), [vp]),
        ("utt_relation", vp, [vp, cp]),
        ("relation_head", vp, [vp]),
        ("item_next", vp, [vp]),
        ("path_to_item", vp, [vp, cp]),
        ("item_feat_float", ctypes.c_float, [vp, cp]),
        ("item_feat_int", ctypes.c_int, [vp, cp]),
        ("item_feat_present", ctypes.c_int, [vp, cp]),
        ("item_feat_string", cp, [vp, cp]),
        ("feat_set_float", None, [vp, ctypes.c_char_p, ctypes.c_float]),
        ("delete_utterance", None, [vp]),
    ]:
        fn = getattr(lib, name)
        fn.restype, fn.argtypes = res, args
    lib.flite_init()
    return lib


def _voice(voice: str):
    suffix = VOICES[voice]
    vlib = ctypes.CDLL(f"libflite_{suffix}.so.1")
    register = getattr(vlib, f"register_{suffix}")
    register.restype, register.argtypes = ctypes.POINTER(_Voice), [ctypes.c_char_p]
    return register(None)


def _token_times(lib, utt) -> list[list]:
    """[file_pos, name, start, end] per Token item with sound, from the Segment relation."""
    spans: dict[int, list] = {}
    order: list[int] = []
    prev_end = 0.0
    seg = lib.relation_head(lib.utt_relation(utt, b"Segment"))
    while seg:
        end = float(lib.item_feat_float(seg, b"end"))
        token = lib.path_to_item(seg, b"R:SylStructure.parent.parent.R:Token.parent")
        if token:  # pauses have no syllable, hence no token
            if token not in spans:
                pos = lib.item_feat_int(token, b"file_pos") if lib.item_feat_present(token, b"file_pos") else -1
                name = (lib.item_feat_string(token, b"name") or b"").decode("ascii", "replace")
                spans[token] = [pos, name, prev_end, end]
                order.append(token)
            spans[token][3] = end
        prev_end = end
        seg = lib.item_next(seg)
    return [spans[t] for t in order]


def main() -> int:
    request = json.loads(sys.stdin.read())
    lib = _library()
    voice = _voice(request["voice"])
    names = []  # flite keeps the name pointer, not a copy: the bytes must outlive the voice
    for name, value in request.get("features", {}).items():
        names.append(ctypes.create_string_buffer(name.encode("ascii")))
        lib.feat_set_float(voice.contents.features, names[-1], float(value))
    with open(request["out"], "ab") as out:
        for chunk in request["chunks"]:
            utt = lib.flite_synth_text(chunk.encode("ascii", "replace"), voice)
            if not utt:
                raise RuntimeError("flite_synth_text failed")
            wave = lib.utt_wave(utt).contents
            n = wave.num_samples * wave.num_channels
            out.write(ctypes.string_at(wave.samples, 2 * n) if n > 0 else b"")
            out.flush()
            line = {"sample_rate": wave.sample_rate, "samples": wave.num_samples, "tokens": _token_times(lib, utt)}
            lib.delete_utterance(utt)
            sys.stdout.write(json.dumps(line) + "\n")
            sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
