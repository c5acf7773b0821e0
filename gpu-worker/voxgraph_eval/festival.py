"""English speech from festival with word times from its own utterance structure.

A third synthesizer (after espeak and flite) so English alignment is graded on several voices.
Festival prints each token's first segment start and last segment end (its Word -> SylStructure
-> Segment relations), which are the exact times in the wave it writes. Needs the Debian
packages `festival` and a voice (`festvox-kallpc16k`); `available()` says whether they are here.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Optional

import soundfile as sf

from voxgraph_eval.speech import Clip, _pad
from voxgraph_worker.engines.support.tokens import tokenize

# Each token's words (a number expands to several; trailing punctuation is a daughter with no
# segments, so it prints end 0 and is dropped in Python). One line per word: "W <token#> start end".
_SCRIPT = """
(set! utt (Utterance Text "{text}"))
(utt.synth utt)
(utt.save.wave utt "{wav}" 'riff)
(set! n 0)
(mapcar (lambda (tok)
  (if (not (item.parent tok))
    (begin
      (set! n (+ n 1))
      (mapcar (lambda (w) (format t "W %d %f %f\\n" n
          (item.feat w "R:SylStructure.daughter1.daughter1.segment_start")
          (item.feat w "R:SylStructure.daughtern.daughtern.end")))
        (item.daughters tok)))))
  (utt.relation.items utt 'Token))
"""


def available() -> Optional[str]:
    """None when festival can speak here, else why not (for the bench's 'skipped' notes)."""
    if shutil.which("festival") is None:
        return "festival not installed (Debian: festival festvox-kallpc16k)"
    try:
        festival_clip("test")
    except Exception as exc:  # noqa: BLE001 - no voice installed, broken lexicon, ...
        return f"festival does not speak ({exc}); install festvox-kallpc16k"
    return None


def festival_clip(text: str, lead: float = 0.4, tail: float = 0.5) -> Optional[Clip]:
    """None when festival's tokens do not match ours one to one."""
    safe = text.replace("\\", " ").replace('"', " ")
    with tempfile.TemporaryDirectory() as tmp:
        wav = Path(tmp) / "a.wav"
        script = Path(tmp) / "a.scm"
        script.write_text(_SCRIPT.format(text=safe, wav=wav))
        out = subprocess.run(["festival", "-b", str(script)], capture_output=True, text=True, timeout=60)
        if not wav.exists():
            raise RuntimeError(f"festival wrote no audio: {out.stderr.strip()[:200]}")
        x, sr = sf.read(wav, dtype="float32")
    spans: dict[int, tuple[float, float]] = {}
    for line in out.stdout.splitlines():
        if line.startswith("W "):
            _, k, a, b = line.split()
            if float(b) > 0:
                a0, b0 = spans.get(int(k), (float(a), float(b)))
                spans[int(k)] = (min(a0, float(a)), max(b0, float(b)))
    times = [spans[k] for k in sorted(spans)]
    if len(times) != len(tokenize(text)) or any(b <= a for a, b in times):
        return None
    return Clip(_pad(x, sr, lead, tail), sr, text, "en", [(a + lead, b + lead) for a, b in times], "festival:kal")
