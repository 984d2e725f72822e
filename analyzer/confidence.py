"""How sure the ranking is: high / medium / low / none, calibrated so that "high" is rarely wrong.

"high" needs evidence that points at lines (git blame on a frame's line, a hunk over it, the function in the
trace, a bumped library in the trace, or a revert right after the onset), a change that went live within hours of
the onset, and a clear lead over the next suspect. Timing alone never blames a change unless the change is the
one deploy minutes before the onset; without any specific evidence the answer is "none" and no change is blamed
(an infrastructure incident looks exactly like that).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from analyzer.change_signals import PRECISE_SIGNALS, SPECIFIC_SIGNALS
from analyzer.findings import Evidence

# Thresholds on the additive evidence scale of analyzer.change_signals.
MIN_SPECIFIC = 0.3  # below this, nothing in the logs points at the change itself
HIGH_RATIO, HIGH_MARGIN = 2.0, 1.0  # the lead over the runner-up that "high" needs
MEDIUM_RATIO, MEDIUM_SPECIFIC = 1.5, 0.6
TIE_RATIO = 1.15  # closer than this to the runner-up: nothing singles the top one out
RECENT_TIMING = 0.25  # timing weight of a change live within ~7.5 h of the onset
DEPLOY_ALONE_TIMING = 0.7  # timing weight of a deploy within ~30 min of the onset
STALE_TIMING = 0.1  # timing weight of a change live ~2 days before the onset


@dataclass
class Verdict:
    confidence: str  # "high" | "medium" | "low" | "none"
    blamed: int | None  # index of the blamed suspect, or None
    reasons: list[str] = field(default_factory=list)  # why the confidence is not higher, in words


def calibrate(scores: list[float], evidence: list[list[Evidence]], onset_known: bool) -> Verdict:
    """Confidence and blamed suspect for suspects already ranked by score (best first)."""
    if not scores:
        return Verdict("none", None, ["no change was found to rank"])
    top, runner_up = scores[0], (scores[1] if len(scores) > 1 else 0.0)
    ratio = top / max(runner_up, 0.05)
    margin = top - runner_up
    ev = evidence[0]
    specific = sum(e.weight for e in ev if e.signal in SPECIFIC_SIGNALS)
    precise = any(e.signal in PRECISE_SIGNALS and e.weight >= 0.3 for e in ev)
    timing = max((e.weight for e in ev if e.signal == "timing"), default=0.0)
    deployed = any(e.signal == "deploy" and e.weight > 0 for e in ev)

    if specific < MIN_SPECIFIC:
        if onset_known and deployed and timing >= DEPLOY_ALONE_TIMING and ratio >= MEDIUM_RATIO:
            return Verdict("low", 0, ["only timing: the last deploy went out minutes before the onset, "
                                      "but nothing in the logs points at its code"])
        return Verdict("none", None, ["nothing in the anomalous messages points at any change's code or text"])
    if onset_known and timing < STALE_TIMING and not precise:
        return Verdict("none", None, ["the best match had been live for days before the onset and nothing ties "
                                      "the failing lines to it"])
    if ratio < TIE_RATIO:
        return Verdict("none", None, [f"the top two suspects are as likely as each other ({top:.2f} vs {runner_up:.2f})"])
    if precise and ratio >= HIGH_RATIO and margin >= HIGH_MARGIN:
        if onset_known and timing >= RECENT_TIMING:
            return Verdict("high", 0)
        why = "the incident's time is unknown, so timing cannot confirm it" if not onset_known else \
            "the change went live long before the onset"
        return Verdict("medium", 0, [why])
    if specific >= MEDIUM_SPECIFIC and ratio >= MEDIUM_RATIO:
        return Verdict("medium", 0, ["the evidence names the files but not the failing lines" if not precise
                                     else "the lead over the next suspect is modest"])
    return Verdict("low", 0, ["the evidence is thin or another change is nearly as likely"])
