"""Pick a few telling problems from early, middle and late steps and render them as HTML."""
from __future__ import annotations

import pandas as pd

from .html import details, esc, num, table, text_block
from .problems import ProblemView
from .textfmt import is_missing


def sample_steps(steps: list[int]) -> list[tuple[str, int]]:
    """(label, step) for the first, middle and last step with rollouts (deduplicated)."""
    if not steps:
        return []
    picks = [("early", steps[0]), ("middle", steps[len(steps) // 2]), ("late", steps[-1])]
    seen, out = set(), []
    for label, s in picks:
        if s not in seen:
            seen.add(s)
            out.append((label, s))
    return out


def pick_problems(views: list[ProblemView], k: int = 3) -> list[ProblemView]:
    """k valid problems spread over the agreement range (lowest, middle, highest), plus one
    invalid proposal if there is one: the spread shows what the frontier looks like."""
    graded = [v for v in views if v.proposal is not None and not is_missing(v.proposal.get("agreement"))]
    graded.sort(key=lambda v: float(v.proposal["agreement"]))
    if graded:
        idx = sorted({round(i * (len(graded) - 1) / max(1, k - 1)) for i in range(k)})
        chosen = [graded[i] for i in idx]
    else:
        chosen = [v for v in views if not v.attempts.empty][:k]
    invalid = [v for v in views if v.proposal is not None and not _yes(v.proposal.get("valid"))]
    return chosen + invalid[:1]


def _yes(v: object) -> bool:
    return not is_missing(v) and bool(v)


def _meta(r: pd.Series) -> str:
    valid = ('<span class="badge ok">valid</span>' if _yes(r.get("valid"))
             else f'<span class="badge bad">invalid: {esc(r.get("invalid_reason")) or "?"}</span>')
    label = r.get("correct")
    label_html = "" if is_missing(label) else (
        f'<span class="badge {"ok" if label else "bad"}">label {"right" if label else "wrong"}</span>')
    parts = [
        f"<b>{esc(r.get('role'))}</b> · group <code>{esc(r.get('group_id'))}</code>"
        f" #{esc(r.get('sample_idx'))}",
        f"topic <b>{esc(r.get('topic')) or '—'}</b>", f"level {num(r.get('level'))}",
        f"source <b>{esc(r.get('source')) or '—'}</b>", valid,
        f"reward {num(r.get('reward'))}",
        f"advantage {num(r.get('advantage'))}" + ("" if _yes(r.get("trained")) else " (not trained)"),
        f"agreement {num(r.get('agreement'))}",
        f"majority <code>{esc(r.get('majority_answer')) or '—'}</code>",
        f"label <code>{esc(r.get('label')) or '—'}</code>",
        f"ground truth <code>{esc(r.get('ground_truth')) or '—'}</code>", label_html,
    ]
    return '<div class="meta">' + "".join(f"<span>{p}</span>" for p in parts if p) + "</div>"


def _attempts(att: pd.DataFrame) -> str:
    rows, classes = [], []
    for _, a in att.iterrows():
        c = a.get("correct")
        classes.append("" if is_missing(c) else ("right" if c else "wrong"))
        answer = f"<code>{esc(a.get('parsed')) or '—'}</code>"
        if not is_missing(a.get("parsed")) and a.get("parsed") == a.get("majority_answer"):
            answer = f'<b title="majority answer">{answer}</b>'
        rows.append([
            esc(a.get("sample_idx")), answer,
            "—" if is_missing(c) else ("yes" if c else "no"), num(a.get("reward")),
            num(a.get("advantage")), num(a.get("completion_tokens")), text_block(a.get("completion")),
        ])
    cols = ('<colgroup><col class="c-idx"><col class="c-ans">' + '<col class="c-small">' * 4
            + "<col></colgroup>")
    t = table(["#", "answer", "correct", "reward", "adv", "tokens", "completion"], rows,
              cls="attempts", row_cls=classes)
    prompt = att["prompt"].iloc[0]
    return (details(f"solver prompt ({len(str(prompt))} chars)", text_block(prompt))
            + t.replace("<thead>", cols + "<thead>", 1))


def problem_card(v: ProblemView) -> str:
    parts = [f'<div class="card"><div class="muted">step {esc(v.step)}</div>']
    if v.proposal is not None:
        r = v.proposal
        prompt = r.get("prompt")
        parts += [
            _meta(r),
            details(f"proposer prompt ({len(str(prompt))} chars)", text_block(prompt)),
            '<div class="label">proposer completion</div>', text_block(r.get("completion")),
            '<div class="label">parsed problem</div>', text_block(r.get("parsed"), "problem"),
        ]
    else:
        parts.append(_meta(v.attempts.iloc[0]))
    if not v.attempts.empty:
        parts += [f'<div class="label">solver attempts ({len(v.attempts)})</div>', _attempts(v.attempts)]
    elif v.proposal is not None and _yes(v.proposal.get("valid")):
        parts.append('<div class="muted">no solver attempts logged for this problem</div>')
    return "".join(parts) + "</div>"
