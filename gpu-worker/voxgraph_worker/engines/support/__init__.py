"""What the engines share and are not engines themselves: signal processing (dsp, dtw, snr, noise
tracking, OM-LSA gain), text (tokens), espeak-ng and flite bindings, emotion presets, alignment
chunking and confidence."""
