"""Three exports (nl, fr, en) whose messages carry documents, photos and a contact card, for a
data folder: what the attachment tests scan."""
from __future__ import annotations

import io
import zipfile
from datetime import datetime, timezone

import pytest

from o3_governance import ingest
from o3_governance.storage import warehouse
from support import attachments as A

INGESTED_AT = datetime(2026, 1, 5, 2, 0, tzinfo=timezone.utc)
SUBJECT_NAME = "Jan Peeters"
SUBJECT_PHONE = "+32 471 23 45 67"
SUBJECT_EMAIL = "jan.peeters@example.be"
NATIONAL_NUMBER = "85.07.30-033.28"
IBAN = "BE71 0961 2345 6769"

GENT = """05/06/2023, 10:00 - Piet Claes: factuur-2024-17.pdf (bestand bijgevoegd)
05/06/2023, 10:01 - Anna Maes: offerte.docx (bestand bijgevoegd)
05/06/2023, 10:02 - Piet Claes: Jan Peeters.vcf (bestand bijgevoegd)
05/06/2023, 10:03 - Anna Maes: IMG-20230605-WA0001.jpg (bestand bijgevoegd)
05/06/2023, 10:04 - Anna Maes: Mooi werk vandaag
"""
NAMUR = """12/04/2023, 09:00 - Sofie Maes: IMG-20230412-WA0001.jpg (fichier joint)
12/04/2023, 09:01 - Sofie Maes: IMG-20230412-WA0002.jpg (fichier joint)
12/04/2023, 09:02 - Marc Dubois: IMG-20230412-WA0003.jpg (fichier joint)
12/04/2023, 09:03 - Marc Dubois: attestation.pdf (fichier joint)
"""
ANTWERP = """20/09/2023, 14:00 - Tom Jacobs: IMG-20230920-WA0001.jpg (file attached)
20/09/2023, 14:01 - Tom Jacobs: PTT-20230920-WA0002.opus (file attached)
20/09/2023, 14:02 - Tom Jacobs: locked.pdf (file attached)
20/09/2023, 14:03 - Tom Jacobs: broken.pdf (file attached)
20/09/2023, 14:04 - Tom Jacobs: plan-scan.png (file attached)
20/09/2023, 14:05 - Tom Jacobs: bomb.docx (file attached)
20/09/2023, 14:06 - Tom Jacobs: IMG-20230605-WA0001.jpg (file attached)
"""


def files() -> dict[str, dict[str, bytes]]:
    face = A.jpeg(A.face_photo(), gps=(50.88, 4.70))
    return {
        "Werf Gent": {
            "factuur-2024-17.pdf": A.pdf([["Factuur 2024-17", "Klant: Jan Peeters",
                                           f"Rekeningnummer: {IBAN}", f"Rijksregisternummer: {NATIONAL_NUMBER}"]]),
            "offerte.docx": A.docx(["Bonjour, voici le devis.", "Mon numéro : 0476 55 44 33."]),
            "Jan Peeters.vcf": A.vcf(SUBJECT_NAME, SUBJECT_PHONE, SUBJECT_EMAIL),
            "IMG-20230605-WA0001.jpg": face,
        },
        "Chantier Namur": {
            "IMG-20230412-WA0001.jpg": A.jpeg(A.text_image(["Delivery note 4471", "Contact: Sofie Maes",
                                                            "Mail: sofie.maes@example.be"], angle=4)),
            "IMG-20230412-WA0002.jpg": A.jpeg(A.cat_photo()),
            "IMG-20230412-WA0003.jpg": A.jpeg(A.landscape_photo()),
            "attestation.pdf": A.pdf([["Certificat médical", "Le patient Marc Dubois souffre d'une grippe et doit rester au lit."]]),
        },
        "Site Antwerp": {
            "IMG-20230920-WA0001.jpg": A.jpeg(A.cat_photo(), artist="Tom Jacobs"),
            "PTT-20230920-WA0002.opus": A.ogg_voice_note(),
            "locked.pdf": A.encrypted_pdf([f"IBAN {IBAN}"]),
            "broken.pdf": A.pdf([["x"]])[:300],
            "plan-scan.png": A.huge_png(),
            "bomb.docx": A.zip_bomb_docx(),
            "IMG-20230605-WA0001.jpg": face,   # the same photo, forwarded: read once, findings on both messages
        },
    }


CHATS = {"Werf Gent": GENT, "Chantier Namur": NAMUR, "Site Antwerp": ANTWERP}


def write_exports(inbox, only: tuple[str, ...] | None = None) -> None:
    members = files()
    for chat, text in CHATS.items():
        if only and chat not in only:
            continue
        with zipfile.ZipFile(inbox / f"WhatsApp Chat with {chat}.zip", "w", zipfile.ZIP_DEFLATED) as z:
            z.writestr(zipfile.ZipInfo(f"WhatsApp Chat with {chat}.txt", (2023, 6, 5, 10, 0, 0)), text)
            for name, data in members[chat].items():
                z.writestr(zipfile.ZipInfo(name, (2023, 6, 5, 10, 0, 0)), data, zipfile.ZIP_DEFLATED)


def by_attachment(layout) -> dict[tuple[str, str], set[str]]:
    """(chat, attachment) → the entity types of its attachment findings."""
    with warehouse.open_warehouse(layout.warehouse, read_only=True) as con:
        rows = con.execute("SELECT m.chat_name, m.attachment, f.entity_type FROM findings f JOIN messages m "
                           "USING (message_id) WHERE f.source = 'attachment'").fetchall()
    out: dict[tuple[str, str], set[str]] = {}
    for chat, name, etype in rows:
        out.setdefault((chat, name), set()).add(etype)
    return out


@pytest.fixture
def exports(data_layout):
    """The three exports ingested into the test's data folder."""
    write_exports(data_layout.inbox)
    summary = ingest.ingest_inbox(data_layout, now=INGESTED_AT)
    assert all(a.status == "ingested" for a in summary.archives), [a.status for a in summary.archives]
    return data_layout
