"""Which of Dutch, French and English a message is written in. py3langid restricted to the three
languages decides; the chat's language is a prior that wins when the message says too little
(``ok``, ``👍``, a phone number) and gives way when the text clearly says otherwise."""
from __future__ import annotations

import re

from py3langid.langid import MODEL_FILE, LanguageIdentifier

from o3_governance.vocabulary import LANGUAGES

DEFAULT_LANGUAGE = "nl"  # O3 Group is a Flemish company: the fallback when nothing else is known
PRIOR_BONUS = 5.0        # log-likelihood credit of the chat's language

_NOISE = re.compile(r"https?://\S+|\S+@\S+|[\d+()./:-]{3,}|[^\w\s'’-]")


class LanguageDetector:
    def __init__(self, languages=LANGUAGES, prior_bonus: float = PRIOR_BONUS):
        self.languages = list(languages)
        self.prior_bonus = prior_bonus
        self._id = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=False)
        self._id.set_languages(self.languages)

    def detect(self, text: str | None, prior: str | None = None) -> str:
        fallback = prior if prior in self.languages else DEFAULT_LANGUAGE
        words = _NOISE.sub(" ", text or "")
        if sum(map(str.isalpha, words)) < 2:
            return fallback
        ranked = self._id.rank(words)
        best, best_score = fallback, None
        for lang, score in ranked:
            if score <= -1e30:  # no n-gram the model knows
                return fallback
            score += self.prior_bonus if lang == fallback else 0.0
            if best_score is None or score > best_score:
                best, best_score = lang, score
        return best
