"""Intent, urgency and language for one message: ``NluService.parse(text, hint) -> Parse``.

Two backends share one interface: ``embedded`` (scikit-learn, in-process, the default) and
``rasa`` (a Rasa server over HTTP, falling back to the embedded model per message).
"""

from nlu.intents import INTENTS, OUT_OF_SCOPE, URGENT_INTENTS
from nlu.service import NluService, build_nlu
from nlu.types import Parse

__all__ = ["INTENTS", "OUT_OF_SCOPE", "URGENT_INTENTS", "NluService", "Parse", "build_nlu"]
