"""In-process ctypes binding to libespeak-ng: synthesis with exact word and phoneme timings.

libespeak-ng keeps global state and is not thread-safe, so every call holds `_LOCK`.
Timings come from WORD/PHONEME events (espeakINITIALIZE_PHONEME_EVENTS), whose `sample`
field is the absolute output sample at which the event happens.
"""

from __future__ import annotations

import ctypes
import threading
from dataclasses import dataclass, field
from typing import Callable, Optional

import numpy as np

LIBRARY = "libespeak-ng.so.1"

# Our language codes -> espeak-ng voice names.
VOICES = {
    "zh": "cmn",
    "yue": "yue",
    "en": "en-us",
    "fr": "fr",  # the voice file is roa/fr; "fr-fr" is only its language tag
    "de": "de",
    "it": "it",
    "ja": "ja",
    "ko": "ko",
    "pt": "pt",
    "ru": "ru",
    "es": "es",
}
LANGUAGES = list(VOICES)

_AUDIO_OUTPUT_SYNCHRONOUS = 2
_INITIALIZE_PHONEME_EVENTS = 0x0001
_INITIALIZE_DONT_EXIT = 0x8000
_POS_CHARACTER = 1
_CHARS_UTF8 = 1
_ENDPAUSE = 0x1000
_EE_OK = 0

_EVENT_LIST_TERMINATED = 0
_EVENT_WORD = 1
_EVENT_END = 5
_EVENT_MSG_TERMINATED = 6
_EVENT_PHONEME = 7

# espeak_PARAMETER
_RATE, _VOLUME, _PITCH, _RANGE, _WORDGAP = 1, 2, 3, 4, 7


class _EventId(ctypes.Union):
    _fields_ = [("number", ctypes.c_int), ("name", ctypes.c_char_p), ("string", ctypes.c_char * 8)]


class _Event(ctypes.Structure):
    _fields_ = [
        ("type", ctypes.c_int),
        ("unique_identifier", ctypes.c_uint),
        ("text_position", ctypes.c_int),
        ("length", ctypes.c_int),
        ("audio_position", ctypes.c_int),
        ("sample", ctypes.c_int),
        ("user_data", ctypes.c_void_p),
        ("id", _EventId),
    ]


_CALLBACK = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.POINTER(_Event))


@dataclass
class Voice:
    """Prosody settings; espeak units (rate in words/min, pitch/range 0-100, volume 0-200, gap in 10 ms)."""

    language: str = "en"
    variant: Optional[str] = None  # e.g. "f3", "whisper"
    rate: int = 175
    pitch: int = 50
    range: int = 50
    volume: int = 100
    word_gap: int = 0


@dataclass
class WordTiming:
    """One espeak WORD event: a span of the input text and where it sounds in the output."""

    text_start: int  # character offset into the synthesized text
    text_end: int
    start: float  # seconds
    end: float
    phonemes: list[str] = field(default_factory=list)  # espeak phoneme mnemonics


@dataclass
class Synthesis:
    samples: np.ndarray  # float32 mono
    sample_rate: int
    words: list[WordTiming]


class _Collector:
    """Receives callback chunks; aborts synthesis when `progress` raises."""

    def __init__(self, text_len: int, progress: Optional[Callable[[float], None]]):
        self.chunks: list[np.ndarray] = []
        self.events: list[tuple[int, int, int, int, str]] = []  # type, sample, text_pos, length, phoneme
        self.text_len = max(text_len, 1)
        self.progress = progress
        self.error: Optional[BaseException] = None

    def __call__(self, wav, n, events) -> int:
        if n > 0:
            self.chunks.append(np.ctypeslib.as_array(wav, shape=(n,)).copy())
        i = 0
        while events[i].type != _EVENT_LIST_TERMINATED:
            e = events[i]
            phoneme = e.id.string.decode("utf-8", "replace") if e.type == _EVENT_PHONEME else ""
            self.events.append((e.type, e.sample, e.text_position, e.length, phoneme))
            i += 1
        if self.progress is not None and self.events:
            try:
                self.progress(min(1.0, max(0.0, (self.events[-1][2] - 1) / self.text_len)))
            except BaseException as exc:  # ctypes would swallow it: stash it and abort synthesis
                self.error = exc
                return 1
        return 0


_LOCK = threading.Lock()
_lib = None
_sample_rate = 0
_callback_ref = None  # keep the C callback alive for the library's lifetime
_current: Optional[_Collector] = None


def _dispatch(wav, n, events):
    return _current(wav, n, events) if _current is not None else 0


def _load() -> None:
    """Initialise the library once per process (caller holds _LOCK)."""
    global _lib, _sample_rate, _callback_ref
    if _lib is not None:
        return
    lib = ctypes.CDLL(LIBRARY)
    lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
    lib.espeak_SetSynthCallback.argtypes = [_CALLBACK]
    lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
    lib.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
    lib.espeak_Synth.argtypes = [
        ctypes.c_void_p, ctypes.c_size_t, ctypes.c_uint, ctypes.c_int, ctypes.c_uint, ctypes.c_uint,
        ctypes.c_void_p, ctypes.c_void_p,
    ]
    rate = lib.espeak_Initialize(
        _AUDIO_OUTPUT_SYNCHRONOUS, 0, None, _INITIALIZE_PHONEME_EVENTS | _INITIALIZE_DONT_EXIT
    )
    if rate <= 0:
        raise RuntimeError("espeak_Initialize failed")
    _callback_ref = _CALLBACK(_dispatch)
    lib.espeak_SetSynthCallback(_callback_ref)
    _lib, _sample_rate = lib, rate


def sample_rate() -> int:
    with _LOCK:
        _load()
        return _sample_rate


def voice_name(voice: Voice) -> str:
    try:
        name = VOICES[voice.language]
    except KeyError:
        raise ValueError(f"unsupported language {voice.language!r}") from None
    return f"{name}+{voice.variant}" if voice.variant else name


def _words(events, n_samples: int, sr: int, text: str) -> list[WordTiming]:
    """A word runs from its first non-pause phoneme to the next pause, word or end event."""
    words: list[WordTiming] = []
    cur: Optional[WordTiming] = None
    start = end = None

    def close():
        if cur is not None and start is not None:
            cur.start, cur.end = start / sr, max(end, start) / sr
            words.append(cur)

    for etype, sample, pos, length, phon in events:
        sample = min(max(sample, 0), n_samples)
        if etype == _EVENT_WORD:
            if cur is not None and start is not None and end is None:
                end = sample
            close()
            # text_position is 1-based, in characters
            cur, start, end = WordTiming(pos - 1, min(pos - 1 + length, len(text)), 0.0, 0.0), None, None
        elif etype == _EVENT_PHONEME and cur is not None:
            pause = phon.startswith("_") or not phon.strip()
            if pause:
                if start is not None and end is None:
                    end = sample
            elif end is None:
                if start is None:
                    start = sample
                cur.phonemes.append(phon)
        elif etype in (_EVENT_END, _EVENT_MSG_TERMINATED) and cur is not None:
            if start is not None and end is None:
                end = sample
    if cur is not None and start is not None and end is None:
        end = n_samples
    close()
    return words


def synthesize(text: str, voice: Voice = Voice(), progress: Optional[Callable[[float], None]] = None) -> Synthesis:
    """Speak `text`; `progress(fraction)` is called per audio chunk and may raise to abort."""
    global _current
    data = text.encode("utf-8") + b"\0"
    collector = _Collector(len(text), progress)
    with _LOCK:
        _load()
        if _lib.espeak_SetVoiceByName(voice_name(voice).encode()) != _EE_OK:
            raise ValueError(f"espeak voice {voice_name(voice)!r} not found")
        for param, value in (
            (_RATE, voice.rate), (_VOLUME, voice.volume), (_PITCH, voice.pitch),
            (_RANGE, voice.range), (_WORDGAP, voice.word_gap),
        ):
            _lib.espeak_SetParameter(param, int(value), 0)
        _current = collector
        try:
            err = _lib.espeak_Synth(data, len(data), 0, _POS_CHARACTER, 0, _CHARS_UTF8 | _ENDPAUSE, None, None)
        finally:
            _current = None
        sr = _sample_rate
    if collector.error is not None:
        raise collector.error
    if err != _EE_OK:
        raise RuntimeError(f"espeak_Synth failed ({err})")
    pcm = np.concatenate(collector.chunks) if collector.chunks else np.zeros(0, np.int16)
    samples = pcm.astype(np.float32) / 32768.0
    return Synthesis(samples, sr, _words(collector.events, len(samples), sr, text))


def phonemes(word: str, language: str = "en") -> list[str]:
    """espeak's phoneme mnemonics for a word (used to build pronunciations for other engines)."""
    return [p for w in synthesize(word, Voice(language=language)).words for p in w.phonemes]
