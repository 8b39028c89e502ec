"""Task backends: clips (diffusers), speech (Kokoro), transcription (Whisper), scores (CLIP)."""
