"""CPU renderer: layers (Pillow), voiceover (TTS), captions (ASS), music, FFmpeg compositor, quality checks."""
