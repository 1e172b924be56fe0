"""What litradar writes without an LLM: extractive short names and summaries. The list
format (entries for new papers) and the LLM assistant (when its answer cannot be used)
both fall back on them, so they live below both.

Short names follow the list's own habits: the part before a colon ("TruthPrInt: ..."), a
method the abstract names ("we propose X (ABC)"), a coined word in the title, or else the
title's first words. Summaries are extractive: the sentence that says what the paper does.
"""

from __future__ import annotations

import re

# Model families name what a paper studies, not what it contributes.
_FAMILIES = {
    "AI", "LLM", "LLMs", "VLM", "VLMs", "LVLM", "LVLMs", "MLLM", "MLLMs", "LMM", "LMMs",
    "CLIP", "GPT", "VQA", "NLP", "ViT", "ViTs", "LLaVA", "SAE", "SAEs", "VLA", "VLAs",
}  # fmt: skip
_CONTRIBUTION = re.compile(
    r"\b(?:we|this paper|this work)\s+(?:propose|introduce|present|develop|call|name)s?\b"
    r"|\b(?:called|named|dubbed)\b",
    re.IGNORECASE,
)
_ACRONYM_IN_PARENS = re.compile(r"\(([A-Z][A-Za-z0-9]*[A-Z][A-Za-z0-9-]*)\)")
_COINED = re.compile(r"^[A-Za-z][A-Za-z0-9]*[A-Z][A-Za-z0-9]*(?:-[A-Za-z0-9]+)*$")
# Words a name does not end on: "Understanding the Role of" becomes "Understanding the Role".
_TRAILING = frozenset({
    "a", "an", "and", "as", "at", "by", "for", "from", "in", "into", "of", "on", "or", "the",
    "to", "via", "with", "without",
})  # fmt: skip
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z(])")
_SUMMARY_CUES = re.compile(
    r"\b(?:we (?:propose|introduce|present|show|find|reveal|identify|demonstrate)|"
    r"this (?:paper|work)|our (?:results|findings|analysis))\b",
    re.IGNORECASE,
)


def fallback_short_name(title: str, abstract: str = "") -> str:
    head, sep, _ = title.partition(": ")
    if sep and 0 < len(head.split()) <= 5:
        return head.strip()
    for sentence in _SENTENCE_END.split(abstract):
        if _CONTRIBUTION.search(sentence):
            for match in _ACRONYM_IN_PARENS.finditer(sentence):
                if match[1] not in _FAMILIES:
                    return match[1]
    for word in title.replace(",", " ").split():
        word = word.strip("()[]{}.;:!?\"'")
        if word not in _FAMILIES and _COINED.match(word) and (len(word) >= 3 or not word.isupper()):
            return word
    # The first words, whole, and never trailing off ("..." is not a name the list uses).
    words = title.split()[:4]
    while len(words) > 1 and words[-1].lower().strip(",;:") in _TRAILING:
        words.pop()
    return " ".join(words).rstrip(",;:")


def extractive_summary(abstract: str, limit: int = 200) -> str:
    """The sentence that says what the paper does (else the first), cut at a word."""
    sentences = [s.strip() for s in _SENTENCE_END.split(" ".join(abstract.split())) if s.strip()]
    if not sentences:
        return ""
    chosen = next((s for s in sentences if _SUMMARY_CUES.search(s)), sentences[0])
    if len(chosen) <= limit:
        return chosen
    return chosen[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:") + "…"
