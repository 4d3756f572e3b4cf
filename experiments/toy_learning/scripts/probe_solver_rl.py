"""Diagnostic: solver-only RL on the toy model, outside Ray, with an exact held-out metric.

Problems come from the corpus distribution (no proposer). Each step samples N answers per
problem, rewards them by majority vote (--reward maj) or, as an oracle for this diagnostic
only, by ground truth (--reward gt), and applies one PolicyWorker.train update. After every
step it prints the exact probability of the right answer, P(correct completion), averaged
over the training problems and over the held-out evaluation set per level: no sampling noise.

    TOY=.cache/toyworld/<hash> .venv/bin/python experiments/toy_learning/scripts/probe_solver_rl.py \
        --reward maj --fresh --levels 1,2,3,4 --lr 3e-5 --steps 30 --per 16
"""
import sys, random, glob, torch, argparse
from agents.policy_worker import PolicyWorker
from selfplay.messages import SamplingParams, TrainSample
from selfplay.config import ModelConfig
from selfplay.rl import AlgoConfig, token_logprobs
from selfplay.toyworld import arithmetic, formats
from verifiers import extract_answer, is_equivalent, majority_vote
ap = argparse.ArgumentParser()
ap.add_argument("--lr", type=float, default=1e-5); ap.add_argument("--reward", default="maj")
ap.add_argument("--levels", default="1,2"); ap.add_argument("--fresh", action="store_true")
ap.add_argument("--steps", type=int, default=20); ap.add_argument("--n", type=int, default=4)
ap.add_argument("--per", type=int, default=16); ap.add_argument("--agg", default="token-mean")
ap.add_argument("--std", type=int, default=1); ap.add_argument("--est", default="grpo"); ap.add_argument("--eps", type=float, default=1e-8); ap.add_argument("--warmup", type=int, default=0); ap.add_argument("--beta2", type=float, default=0.999)
a = ap.parse_args()
import os; path = os.environ.get('TOY') or glob.glob('.cache/toyworld/*/')[0]
w = PolicyWorker(path, ModelConfig(), AlgoConfig(lr=a.lr, kl_loss_coef=0.0, use_kl_loss=False, loss_agg_mode=a.agg, norm_adv_by_std_in_grpo=bool(a.std), adv_estimator=a.est), seed=0, threads=1, generation_batch_size=1024)
for g in w.optimizer.param_groups: g["eps"] = a.eps; g["betas"] = (0.9, a.beta2)
rng = random.Random(0)
levels = [int(x) for x in a.levels.split(",")]
def draw(): return [arithmetic.sample_problem(rng, l, op) for l in levels for op in "+*" if l in arithmetic.levels_with(op) for _ in range(a.per)]
probs = draw()
tok = w.tokenizer
ev = arithmetic.eval_set(1234, 64)
def p_correct(ps):
    ids = [tok(formats.solver_prompt(p.text) + formats.solver_completion(p.answer)).input_ids + [tok.eos_token_id] for p in ps]
    pl = [len(tok(formats.solver_prompt(p.text)).input_ids) for p in ps]
    W = max(map(len, ids)); x = torch.full((len(ids), W), tok.pad_token_id); at = torch.zeros_like(x)
    for i, s in enumerate(ids): x[i,:len(s)] = torch.tensor(s); at[i,:len(s)] = 1
    with torch.no_grad(): lp,_ = token_logprobs(w.model, x, at)
    return [lp[i, pl[i]:len(ids[i])].sum().exp().item() for i in range(len(ids))]
def report(step, extra=""):
    tr = p_correct(probs); e = p_correct(ev)
    lv = {L: sum(v for v,p in zip(e,ev) if p.level==L)/64 for L in range(1,5)}
    print(step, f"train {sum(tr)/len(tr):.4f} eval {sum(e)/len(e):.4f}", " ".join(f"L{k}:{v:.3f}" for k,v in lv.items()), extra, flush=True)
report(-1)
for step in range(a.steps):
    if a.fresh: probs = draw()
    gens = w.generate([formats.solver_prompt(p.text) for p in probs], SamplingParams(n=a.n, max_new_tokens=8))
    samples = []; lab=[]
    for k,(p,grp) in enumerate(zip(probs,gens)):
        ans = [extract_answer(g.text) for g in grp]; m = majority_vote(ans)
        ok = m.label is not None and m.majority_size >= 2 and list(m.cluster_sizes).count(m.majority_size)==1
        if ok: lab.append(is_equivalent(m.label, str(p.answer)))
        for j,g in enumerate(grp):
            r = float(is_equivalent(ans[j], str(p.answer))) if a.reward=="gt" else float(ok and m.agrees(j))
            samples.append(TrainSample(g.prompt_ids, g.completion_ids, r, group=k))
    for g in w.optimizer.param_groups: g["lr"] = a.lr * min(1.0, (step + 1) / max(1, a.warmup))
    r = w.train(samples, 1.0)
    report(step, f"labacc {sum(lab)/max(1,len(lab)):.2f} ent {r.metrics['entropy']:.3f} gn {r.metrics['grad_norm']:.2f}")
