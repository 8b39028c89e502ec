"""Tiny random-weight models built in the test, no hub: the configs diffusers' own pipeline tests use
(tests/pipelines/wan/test_wan.py, tests/pipelines/ltx/test_ltx.py), a T5 encoder from a config and a tokenizer
trained here, a tiny CLIP and a tiny Whisper — saved in the layout the worker expects under KOLONY_MODELS_DIR.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

CORPUS = [
    "a cup of coffee on a wooden table, morning light",
    "a red rocket launches into the blue sky",
    "product photo of running shoes, studio light, slow zoom",
    "the quick brown fox jumps over the lazy dog",
] * 10


def tokenizer():
    from transformers import T5Tokenizer

    return T5Tokenizer(extra_ids=0).train_new_from_iterator(CORPUS, vocab_size=200)


def text_encoder(vocab_size):
    import torch
    from transformers import T5Config, T5EncoderModel

    torch.manual_seed(0)
    return T5EncoderModel(T5Config(vocab_size=vocab_size, d_model=32, d_kv=8, d_ff=37, num_layers=2, num_heads=4,
                                   relative_attention_num_buckets=8, decoder_start_token_id=0))


def build_wan(directory):
    import torch
    from diffusers import AutoencoderKLWan, FlowMatchEulerDiscreteScheduler, WanPipeline, WanTransformer3DModel

    tok = tokenizer()
    torch.manual_seed(0)
    vae = AutoencoderKLWan(base_dim=3, z_dim=16, dim_mult=[1, 1, 1, 1], num_res_blocks=1,
                           temperal_downsample=[False, True, True])
    transformer = WanTransformer3DModel(patch_size=(1, 2, 2), num_attention_heads=2, attention_head_dim=12,
                                        in_channels=16, out_channels=16, text_dim=32, freq_dim=256, ffn_dim=32,
                                        num_layers=2, cross_attn_norm=True, qk_norm="rms_norm_across_heads",
                                        rope_max_seq_len=32)
    pipe = WanPipeline(tokenizer=tok, text_encoder=text_encoder(len(tok) + 8), vae=vae, transformer=transformer,
                       scheduler=FlowMatchEulerDiscreteScheduler(shift=7.0))
    pipe.save_pretrained(str(directory))
    return directory


def build_ltx(directory):
    import torch
    from diffusers import (
        AutoencoderKLLTXVideo,
        FlowMatchEulerDiscreteScheduler,
        LTXPipeline,
        LTXVideoTransformer3DModel,
    )

    tok = tokenizer()
    torch.manual_seed(0)
    vae = AutoencoderKLLTXVideo(
        in_channels=3, out_channels=3, latent_channels=8, block_out_channels=(8, 8, 8, 8),
        decoder_block_out_channels=(8, 8, 8, 8), layers_per_block=(1, 1, 1, 1, 1),
        decoder_layers_per_block=(1, 1, 1, 1, 1), spatio_temporal_scaling=(True, True, False, False),
        decoder_spatio_temporal_scaling=(True, True, False, False),
        decoder_inject_noise=(False, False, False, False, False), upsample_residual=(False, False, False, False),
        upsample_factor=(1, 1, 1, 1), timestep_conditioning=False, patch_size=1, patch_size_t=1,
        encoder_causal=True, decoder_causal=False)
    vae.use_framewise_encoding = False
    vae.use_framewise_decoding = False
    transformer = LTXVideoTransformer3DModel(in_channels=8, out_channels=8, patch_size=1, patch_size_t=1,
                                             num_attention_heads=4, attention_head_dim=8, cross_attention_dim=32,
                                             num_layers=1, caption_channels=32)
    pipe = LTXPipeline(tokenizer=tok, text_encoder=text_encoder(len(tok) + 8), vae=vae, transformer=transformer,
                       scheduler=FlowMatchEulerDiscreteScheduler())
    pipe.save_pretrained(str(directory))
    return directory


def build_clip(directory):
    import torch
    from transformers import CLIPConfig, CLIPImageProcessor, CLIPModel

    tok = tokenizer()
    torch.manual_seed(0)
    config = CLIPConfig(
        text_config={"vocab_size": len(tok) + 8, "hidden_size": 32, "intermediate_size": 37, "num_attention_heads": 4,
                     "num_hidden_layers": 2, "max_position_embeddings": 77},
        vision_config={"image_size": 32, "patch_size": 4, "hidden_size": 32, "intermediate_size": 37,
                       "num_attention_heads": 4, "num_hidden_layers": 2},
        projection_dim=16)
    CLIPModel(config).save_pretrained(str(directory))
    tok.save_pretrained(str(directory))
    CLIPImageProcessor(size={"shortest_edge": 32}, crop_size={"height": 32, "width": 32}).save_pretrained(str(directory))
    return directory


def build_whisper(directory):
    """Random tiny Whisper + a copy of the real Whisper special-token layout (tokenizer built from a small BPE)."""
    import torch
    from transformers import WhisperConfig, WhisperFeatureExtractor, WhisperForConditionalGeneration
    from transformers.models.whisper.tokenization_whisper import WhisperTokenizer

    directory.mkdir(parents=True, exist_ok=True)
    letters = "abcdefghijklmnopqrstuvwxyz"
    vocab = {ch: i for i, ch in enumerate(["!", "Ġ", *letters])}
    (directory / "vocab.json").write_text(json.dumps(vocab))
    (directory / "merges.txt").write_text("#version: 0.2\n")
    specials = ["<|endoftext|>", "<|startoftranscript|>", "<|en|>", "<|translate|>", "<|transcribe|>",
                "<|startoflm|>", "<|startofprev|>", "<|nospeech|>", "<|notimestamps|>"]
    timestamps = [f"<|{i * 0.02:.2f}|>" for i in range(1501)]
    tok = WhisperTokenizer(vocab_file=str(directory / "vocab.json"), merges_file=str(directory / "merges.txt"),
                           unk_token="<|endoftext|>", bos_token="<|endoftext|>", eos_token="<|endoftext|>",
                           pad_token="<|endoftext|>")
    tok.add_tokens(specials, special_tokens=True)
    tok.add_tokens(timestamps)
    tok.save_pretrained(str(directory))
    ids = {t: tok.convert_tokens_to_ids(t) for t in specials}
    torch.manual_seed(0)
    config = WhisperConfig(vocab_size=len(tok), d_model=16, encoder_layers=1, decoder_layers=1,
                           encoder_attention_heads=2, decoder_attention_heads=2, encoder_ffn_dim=16,
                           decoder_ffn_dim=16, num_mel_bins=80, max_source_positions=1500, max_target_positions=64,
                           pad_token_id=ids["<|endoftext|>"], bos_token_id=ids["<|endoftext|>"],
                           eos_token_id=ids["<|endoftext|>"], decoder_start_token_id=ids["<|startoftranscript|>"])
    model = WhisperForConditionalGeneration(config)
    gc = model.generation_config
    gc.decoder_start_token_id = ids["<|startoftranscript|>"]
    gc.no_timestamps_token_id = ids["<|notimestamps|>"]
    gc.is_multilingual = True
    gc.lang_to_id = {"<|en|>": ids["<|en|>"]}
    gc.task_to_id = {"transcribe": ids["<|transcribe|>"], "translate": ids["<|translate|>"]}
    gc.alignment_heads = [[0, 0], [0, 1]]
    gc.max_length = 24
    gc.forced_decoder_ids = None
    gc.begin_suppress_tokens = []
    gc.suppress_tokens = []
    gc._from_model_config = False  # else from_pretrained rebuilds it from the model config, losing the above
    model.save_pretrained(str(directory))
    WhisperFeatureExtractor(feature_size=80).save_pretrained(str(directory))
    return directory


BUILDERS = {"wan2.1-t2v-1.3b": build_wan, "ltx-video": build_ltx, "clip": build_clip, "whisper": build_whisper}


def build_models(root, which=("ltx-video", "wan2.1-t2v-1.3b", "clip", "whisper")):
    for name in which:
        BUILDERS[name](root / name)
    return root


@contextmanager
def running_gpu_worker(models_dir, log_dir, *, name: str, media_root, redis_url: str, redis_conn) -> Iterator[subprocess.Popen]:
    """A real ``python -m gpu_worker`` on the CPU over ``models_dir``, logging to ``log_dir/gpu.log``;
    yields once it has announced itself (≤ 180 s) and stops it afterwards."""
    from gpu_worker.contract import live_workers

    env = {**os.environ, "KOLONY_MODELS_DIR": str(models_dir), "KOLONY_MEDIA_ROOT": str(media_root),
           "REDIS_URL": redis_url, "KOLONY_GPU_DEVICE": "cpu", "KOLONY_GPU_WORKER_NAME": name}
    log_path = Path(log_dir) / "gpu.log"
    with open(log_path, "wb") as log:
        worker = subprocess.Popen([sys.executable, "-m", "gpu_worker"], cwd=Path(__file__).resolve().parents[2], env=env,
                                  stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 180
            while not live_workers(redis_conn) and time.monotonic() < deadline:
                assert worker.poll() is None, log_path.read_text()[-3000:]
                time.sleep(0.5)
            yield worker
        finally:
            worker.terminate()
            try:
                worker.wait(30)
            except subprocess.TimeoutExpired:
                worker.kill()
