"""Intent names: a contract shared with content, analytics and ``haki ask --json``.

Copied from ``shared/spec/intents.md``; ``tests/nlu/test_nlu_data.py`` checks that this
list, ``nlu/domain.yml`` and the training data agree.
"""

from __future__ import annotations

INTENTS: tuple[str, ...] = (
    # rights when dealing with police
    "rights_arrest",
    "rights_48_hours",
    "rights_lawyer",
    "rights_medication_custody",
    "rights_search",
    "rights_bail",
    "police_bribe",
    # harm reduction and the law
    "nsp_letter",
    "needles_confiscated",
    "condoms_evidence",
    "sex_work_law",
    "drug_law",
    # reporting and getting help
    "report_police",
    "find_legal_help",
    "find_health_service",
    # urgent: danger or custody now
    "urgent_arrested_now",
    "urgent_violence",
    "urgent_medical_custody",
    # conversation
    "greet",
    "thanks",
    "goodbye",
    "menu",
    "change_language",
    "talk_to_person",
    "stop",
    "delete_data",
    "out_of_scope",
    # added by the dialogue (issue 12); not yet in shared/spec/intents.md
    "partner_violence",
)

URGENT_INTENTS: frozenset[str] = frozenset(
    {"urgent_arrested_now", "urgent_violence", "urgent_medical_custody"}
)

#: The answer when nothing fits, and the low-confidence fallback.
OUT_OF_SCOPE = "out_of_scope"
