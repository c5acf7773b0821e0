"""Emotion names and intensity, shared by the synthesize engines.

An engine describes each emotion by its settings at full strength (intensity 1); intensity 0 is
the neutral setting and values in between interpolate linearly. Every engine picks its full-strength
presets so that intensity 0.5 (the API default) sounds like its moderate, everyday preset.
"""

from __future__ import annotations

import math
from typing import Mapping

from ... import protocol
from ..base import EngineInputError

EMOTIONS = protocol.EMOTIONS


def check_emotion(emotion: str) -> None:
    if emotion not in EMOTIONS:
        raise EngineInputError("UNKNOWN_EMOTION", f"unknown emotion {emotion!r}")


def check_intensity(intensity: float) -> float:
    """The intensity as a float in [0, 1]; EngineInputError INVALID_INTENSITY otherwise (NaN included)."""
    try:
        value = float(intensity)
    except (TypeError, ValueError):
        raise EngineInputError("INVALID_INTENSITY", f"intensity must be a number, got {intensity!r}") from None
    if not (0.0 <= value <= 1.0) or math.isnan(value):
        raise EngineInputError("INVALID_INTENSITY", f"intensity must be within 0..1, got {intensity!r}")
    return value


def blend(neutral: Mapping[str, float], full: Mapping[str, float], intensity: float) -> dict[str, float]:
    """Each setting moved from its neutral value towards its full-strength value by `intensity`."""
    return {k: neutral[k] + (full.get(k, neutral[k]) - neutral[k]) * intensity for k in neutral}
