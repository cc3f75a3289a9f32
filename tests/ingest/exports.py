"""One chat, as WhatsApp exports it from phones set to English, Dutch or French, with or without media.

The same messages every time: only WhatsApp's own words (system lines, media placeholders, deleted
markers) and the file's name change."""
from __future__ import annotations

WORDS = {
    "en": {"e2e": "Messages and calls are end-to-end encrypted. No one outside of this chat, not even WhatsApp, "
                  "can read or listen to them. Tap to learn more.",
           "omitted": "<Media omitted>", "attached": "(file attached)", "deleted": "This message was deleted",
           "prefix": "WhatsApp Chat with "},
    "nl": {"e2e": "Berichten en oproepen worden end-to-end versleuteld. Niemand buiten deze chat kan ze lezen of "
                  "beluisteren, zelfs WhatsApp niet. Tik voor meer informatie.",
           "omitted": "<Media weggelaten>", "attached": "(bestand bijgevoegd)", "deleted": "Dit bericht is verwijderd",
           "prefix": "WhatsApp-chat met "},
    "fr": {"e2e": "Les messages et les appels sont chiffrés de bout en bout. Aucun tiers, pas même WhatsApp, "
                  "ne peut les lire ou les écouter. Appuyez pour en savoir plus.",
           "omitted": "<Médias omis>", "attached": "(fichier joint)", "deleted": "Ce message a été supprimé",
           "prefix": "Discussion WhatsApp avec "},
}
CHAT_NAME = "Team Installaties"
PHOTO = b"\xff\xd8\xff\xe0" + b"meterkast" * 200
PHOTO2 = b"\xff\xd8\xff\xe0" + b"kabelgoot" * 200

# (time, author, kind, text): kind text / media (text = file name) / deleted / system
LINES = [
    ("02/11/2026, 08:00", None, "system", "e2e"),
    ("02/11/2026, 08:01", "Ann Peeters", "text", "Goeiemorgen, we starten om 9u in Leuven"),
    ("02/11/2026, 08:02", "Bram Claes", "text", "Ok"),
    ("02/11/2026, 08:02", "Bram Claes", "text", "Ok"),
    ("02/11/2026, 08:05", "Ann Peeters", "media", "IMG-20261102-WA0001.jpg"),
    ("02/11/2026, 08:05", "Ann Peeters", "media", "IMG-20261102-WA0002.jpg"),
    ("02/11/2026, 08:06", "Bram Claes", "deleted", ""),
    ("02/11/2026, 08:07", "Bram Claes", "text", "De meterkast staat in de garage"),
    ("03/11/2026, 17:45", "Ann Peeters", "text", "Foto's volgen morgen\nmet de meetwaarden"),
    ("04/11/2026, 07:30", "Carl Maes", "text", "Ik breng de kabelgoten mee"),
    ("04/11/2026, 07:31", "Ann Peeters", "text", "Top, tot straks"),
]


def chat_text(language: str = "nl", with_media: bool = True, lines=LINES) -> str:
    w = WORDS[language]
    out = []
    for when, author, kind, text in lines:
        if kind == "system":
            body = w[text]
        elif kind == "media":
            body = f"{text} {w['attached']}" if with_media else w["omitted"]
        elif kind == "deleted":
            body = w["deleted"]
        else:
            body = text
        out.append(f"{when} - {author}: {body}" if author else f"{when} - {body}")
    return "\n".join(out) + "\n"


def file_name(language: str = "nl", name: str = CHAT_NAME, suffix: str = ".txt") -> str:
    return f"{WORDS[language]['prefix']}{name}{suffix}"


def media_files() -> dict[str, bytes]:
    return {"IMG-20261102-WA0001.jpg": PHOTO, "IMG-20261102-WA0002.jpg": PHOTO2}
