"""Estimates and diffs for people: a terminal table, or Markdown for a pull-request comment."""

from __future__ import annotations

from mlp.cost.model import RATIO_WITH_REASON, Estimate
from mlp.cost.naive import BASELINE
from mlp.wording import plural


def _money(value: float) -> str:
    return f"{value:,.2f}"


def _title(estimate: Estimate, stack: str) -> str:
    """The stack (as `stack` shows it), and for the naive posture, that it is the baseline."""
    if estimate.posture == "naive":
        return f"{stack}, naive posture (the baseline: {BASELINE})"
    return stack


def _header(estimate: Estimate) -> str:
    return (
        f"{_title(estimate, estimate.stack)}: monthly estimate in USD ({estimate.region}, prices: {estimate.price_source}, "
        f"month from {estimate.as_of})"
    )


def _budget_line(estimate: Estimate, budget: float | None) -> str:
    if budget is None:
        return ""
    share = estimate.monthly_total / budget
    flag = "  OVER BUDGET" if share > 1 else ""
    return f"budget {_money(budget)} ({share:.0%} used){flag}"


def _ratio(value: float) -> str:
    return "inf" if value == float("inf") else f"{value:.2f}x"


def _total_ratio(estimate: Estimate) -> str:
    floor = estimate.floor_total
    return _ratio(estimate.monthly_total / floor) if floor else _ratio(float("inf"))


FLOOR_NOTE = (
    "floor: the same workloads and availability on the cheapest instance types of each pool's shape "
    "(spot where every workload on the pool accepts it), the smallest search domain for the stated "
    f"index, the fixed managed parts at their estimate; above {RATIO_WITH_REASON}x a component names "
    "the keys that cost more"
)


def table(estimate: Estimate, budget: float | None = None, search_sizing: tuple[str, ...] = ()) -> str:
    lines = [_header(estimate), ""]
    width = max([len(item.name) for item in estimate.items] + [8])
    comp_width = max([len(item.component) for item in estimate.items] + [9])
    lines.append(f"{'component':<{comp_width}}  {'resource':<{width}}  {'monthly':>10}  basis")
    for item in sorted(estimate.items, key=lambda i: (i.component, -i.monthly_usd, i.name)):
        lines.append(f"{item.component:<{comp_width}}  {item.name:<{width}}  {_money(item.monthly_usd):>10}  {item.basis}")
    lines += ["", f"per component (estimate, floor, estimate/floor; {FLOOR_NOTE}):"]
    for row in estimate.components():
        why = f"  costs more: {'; '.join(row.reasons)}" if row.reasons else ""
        lines.append(
            f"  {row.component:<{comp_width}}  {_money(row.monthly_usd):>10}  {_money(row.floor_usd):>10}  "
            f"{_ratio(row.ratio):>6}{why}"
        )
    lines.append(
        f"  {'TOTAL':<{comp_width}}  {_money(estimate.monthly_total):>10}  {_money(estimate.floor_total):>10}  "
        f"{_total_ratio(estimate):>6}  {_budget_line(estimate, budget)}"
    )
    if search_sizing:
        lines += ["", "search domain sized from the index (components/search/search_sizing.py):"]
        lines += [f"  {line}" for line in search_sizing]
    if estimate.pools:
        lines += ["", "node pools (workload requests packed onto the pool's instance type):"]
        for pool in estimate.pools:
            idle_share = pool.idle_usd / pool.monthly_usd if pool.monthly_usd else 0
            lines.append(
                f"  {pool.pool}: {plural(pool.nodes, 'node')} (requests need {pool.nodes_needed}), {_money(pool.monthly_usd)} "
                f"= requested {_money(pool.requested_usd)} + idle {_money(pool.idle_usd)} ({idle_share:.0%})"
            )
    if estimate.unpriced:
        lines += ["", "NOT PRICED (the total is low by these):"] + [f"  - {entry}" for entry in estimate.unpriced]
    return "\n".join(lines)


def markdown(estimate: Estimate, budget: float | None = None, search_sizing: tuple[str, ...] = ()) -> str:
    lines = [f"### Cost estimate: {_title(estimate, f'`{estimate.stack}`')}", ""]
    lines.append(f"**{_money(estimate.monthly_total)} USD/month** {_budget_line(estimate, budget)}".rstrip())
    lines += [
        "",
        f"<sub>{_header(estimate)}; {FLOOR_NOTE}</sub>",
        "",
        f"Floor {_money(estimate.floor_total)} USD/month: estimate / floor = **{_total_ratio(estimate)}**",
        "",
        "| component | USD/month | floor | estimate / floor | costs more because of |",
        "|---|---:|---:|---:|---|",
    ]
    for row in estimate.components():
        reasons = "<br>".join(f"`{r.split(' ', 1)[0]}` {r.split(' ', 1)[1] if ' ' in r else ''}".rstrip() for r in row.reasons)
        lines.append(f"| {row.component} | {_money(row.monthly_usd)} | {_money(row.floor_usd)} | {_ratio(row.ratio)} | {reasons} |")
    lines.append(
        f"| **total** | **{_money(estimate.monthly_total)}** | **{_money(estimate.floor_total)}** | **{_total_ratio(estimate)}** | |"
    )
    if search_sizing:
        lines += ["", "<details><summary>search domain sized from the index</summary>", ""]
        lines += [f"- {line}" for line in search_sizing] + ["", "</details>"]
    if estimate.pools:
        lines += ["", "| node pool | nodes | needed | USD/month | requested | idle |", "|---|---:|---:|---:|---:|---:|"]
        for pool in estimate.pools:
            lines.append(
                f"| {pool.pool} | {pool.nodes} | {pool.nodes_needed} | {_money(pool.monthly_usd)} | "
                f"{_money(pool.requested_usd)} | {_money(pool.idle_usd)} |"
            )
    lines += ["", "<details><summary>per resource</summary>", "", "| resource | component | USD/month | basis |", "|---|---|---:|---|"]
    for item in sorted(estimate.items, key=lambda i: (i.component, -i.monthly_usd, i.name)):
        lines.append(f"| `{item.name}` | {item.component} | {_money(item.monthly_usd)} | {item.basis.replace('|', '/')} |")
    lines += ["", "</details>"]
    if estimate.unpriced:
        lines += ["", "**Not priced** (the total is low by these):", ""] + [f"- {entry}" for entry in estimate.unpriced]
    return "\n".join(lines)
