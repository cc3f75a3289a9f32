"""The export formats as WhatsApp writes them (see docs NOTES §1): headers, placeholders, system
lines, per platform and export language. Used by the demo inbox and by the benchmark generator."""
from __future__ import annotations

import struct
import zlib
from datetime import datetime

LRM = "\u200e"          # left-to-right mark, before placeholders and attachment names
NNBSP = "\u202f"        # narrow no-break space before AM/PM (Android since ~2023)
NBSP = "\u00a0"
LRE, PDF = "\u202a", "\u202c"   # iOS wraps phone-number authors in these

E2E = {
    ("android", "en"): "Messages and calls are end-to-end encrypted. No one outside of this chat, not even "
                       "WhatsApp, can read or listen to them. Tap to learn more.",
    ("android", "nl"): "Berichten en oproepen worden end-to-end versleuteld. Niemand buiten deze chat kan ze "
                       "lezen of beluisteren, zelfs WhatsApp niet. Tik voor meer informatie.",
    ("android", "fr"): "Les messages et les appels sont chiffrés de bout en bout. Aucun tiers, pas même "
                       "WhatsApp, ne peut les lire ou les écouter. Appuyez pour en savoir plus.",
    ("ios", "en"): "Messages and calls are end-to-end encrypted. No one outside of this chat, not even "
                   "WhatsApp, can read or listen to them.",
    ("ios", "nl"): "Berichten en oproepen worden end-to-end versleuteld. Niemand buiten deze chat kan ze "
                   "lezen of beluisteren, zelfs WhatsApp niet.",
    ("ios", "fr"): "Les messages et les appels sont chiffrés de bout en bout. Aucun tiers, pas même "
                   "WhatsApp, ne peut les lire ou les écouter.",
}
ANDROID_OMITTED = {"en": "<Media omitted>", "nl": "<Media weggelaten>", "fr": "<Médias omis>"}
ANDROID_ATTACHED = {"en": "(file attached)", "nl": "(bestand bijgevoegd)", "fr": "(fichier joint)"}
ANDROID_DELETED = {"en": "This message was deleted", "nl": "Dit bericht is verwijderd",
                   "fr": "Ce message a été supprimé"}
ANDROID_YOU_DELETED = {"en": "You deleted this message", "nl": "U hebt dit bericht verwijderd",
                       "fr": "Vous avez supprimé ce message"}
EDITED = {"en": "<This message was edited>", "nl": "<Dit bericht is bewerkt>", "fr": "<Ce message a été modifié>"}
ANDROID_SYSTEM = {
    "created": {"en": '{a} created group "{g}"', "nl": '{a} heeft groep "{g}" aangemaakt',
                "fr": '{a} a créé le groupe "{g}"'},
    "added": {"en": "{a} added {b}", "nl": "{a} heeft {b} toegevoegd", "fr": "{a} a ajouté {b}"},
    "icon": {"en": "{a} changed this group's icon", "nl": "{a} heeft het groepspictogram gewijzigd",
             "fr": "{a} a changé l'icône de ce groupe"},
}
IOS_ATTACHED = {"en": "<attached: {}>", "nl": "<bijgevoegd: {}>", "fr": "<pièce jointe : {}>"}
IOS_OMITTED = {
    "en": {"PHOTO": "image omitted", "VIDEO": "video omitted", "AUDIO": "audio omitted"},
    "nl": {"PHOTO": "afbeelding weggelaten", "VIDEO": "video weggelaten", "AUDIO": "audio weggelaten"},
    "fr": {"PHOTO": "image absente", "VIDEO": "vidéo absente", "AUDIO": "audio omis"},
}
IOS_DELETED = {"en": "This message was deleted.", "nl": "Dit bericht is verwijderd.", "fr": "Ce message a été supprimé."}
IOS_YOU_DELETED = {"en": "You deleted this message.", "nl": "Je hebt dit bericht verwijderd.",
                   "fr": "Vous avez supprimé ce message."}
IOS_SYSTEM = {
    "created": {"en": "{a} created group “{g}”", "nl": "{a} heeft groep ‘{g}’ aangemaakt",
                "fr": "{a} a créé le groupe « {g} »"},
    "added": {"en": "{a} added {b}", "nl": "{a} heeft {b} toegevoegd", "fr": "{a} a ajouté {b}"},
    "icon": {"en": "{a} changed this group's icon", "nl": "{a} heeft de groepsafbeelding gewijzigd",
             "fr": "{a} a modifié l'icône de ce groupe"},
}

# Android media file name prefixes / iOS kinds, extension and MIME type.
ANDROID_MEDIA = {"PHOTO": ("IMG", ".jpg"), "VIDEO": ("VID", ".mp4"), "AUDIO": ("PTT", ".opus")}
MIME = {".jpg": "image/jpeg", ".mp4": "video/mp4", ".opus": "audio/ogg", ".pdf": "application/pdf"}


def header(dialect: str, t: datetime) -> str:
    """The text before the author: everything up to and including the separator."""
    if dialect == "en24":       # Android, English, UK region
        return f"{t.day:02d}/{t.month:02d}/{t.year}, {t.hour:02d}:{t.minute:02d} - "
    if dialect == "en12":       # Android, English, US region: month first, 12-hour with U+202F
        h = t.hour % 12 or 12
        return f"{t.month}/{t.day}/{t.year % 100:02d}, {h}:{t.minute:02d}{NNBSP}{'PM' if t.hour >= 12 else 'AM'} - "
    if dialect == "nl":         # Android, Dutch
        return f"{t.day:02d}-{t.month:02d}-{t.year} {t.hour:02d}:{t.minute:02d} - "
    if dialect == "fr":         # Android, French (Belgium)
        return f"{t.day:02d}/{t.month:02d}/{t.year} {t.hour:02d}:{t.minute:02d} - "
    if dialect == "ios":        # iOS, day-first region, seconds
        return f"[{t.day:02d}/{t.month:02d}/{t.year} {t.hour:02d}:{t.minute:02d}:{t.second:02d}] "
    raise ValueError("unknown export dialect")


def ios_phone_author(international: str) -> str:
    """``+32 493 03 74 86`` as iOS writes an unsaved contact: LRE … PDF, NBSP between groups."""
    return LRE + international.replace(" ", NBSP) + PDF


# --- tiny media files: real magic numbers, random payload -------------------------------------------

def _png(rng, side: int = 8) -> bytes:
    raw = b"".join(b"\x00" + rng.randbytes(side * 3) for _ in range(side))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def media_bytes(ext: str, rng) -> bytes:
    size = rng.randint(1500, 4000)
    if ext == ".jpg":
        return b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + rng.randbytes(size) + b"\xff\xd9"
    if ext == ".png":
        return _png(rng)
    if ext == ".mp4":
        return b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + rng.randbytes(size)
    if ext == ".opus":
        return b"OggS\x00\x02" + rng.randbytes(22) + b"OpusHead\x01\x01" + rng.randbytes(size)
    if ext == ".pdf":
        return b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n" + rng.randbytes(size) + b"\n%%EOF\n"
    raise ValueError("unknown media extension")


# What the Mac Archive Utility adds for each file: an AppleDouble header.
APPLEDOUBLE = (b"\x00\x05\x16\x07\x00\x02\x00\x00Mac OS X        \x00\x02\x00\x00\x00\x09\x00\x00\x00\x32"
               b"\x00\x00\x0e\xb0\x00\x00\x00\x02\x00\x00\x0e\xe2\x00\x00\x01\x1e" + b"\x00" * 64)
