"""What WhatsApp writes itself, in English, Dutch and French: system lines, media placeholders,
deleted and edited markers. Used to classify messages and to tell the export's language."""
from __future__ import annotations

import re

# Searched in a line's text (after invisible marks are removed). Android system lines have no author,
# so these only decide the *language* there; on iOS, where system lines carry an author, they also
# decide that a line is a system line (together with the U+200E that iOS puts before such texts).
SYSTEM_PATTERNS: dict[str, list[str]] = {
    "en": [
        r"end-to-end encrypt", r"\bcreated (?:this |the )?group\b", r"\badded (?:you\b|\S)", r"^You added ",
        r"^You were added", r"(?:^| )left$", r"\bremoved (?:you\b|\S)", r"^You removed ",
        r"changed the subject", r"changed this group's (?:icon|settings)", r"deleted this group's icon",
        r"changed the group (?:description|name)", r"joined using this group's invite link",
        r"joined from the community", r"now an admin\b", r"no longer an admin\b",
        r"security code (?:with .+ )?changed", r"changed (?:their|his|her) phone number",
        r"changed their number to", r"disappearing messages", r"message timer",
        r"^Missed (?:group )?(?:voice|video) call", r"business account", r"blocked this contact",
        r"pinned a message", r"Waiting for this message",
    ],
    "nl": [
        r"end-to-end versleuteld", r"end-to-end-versleuteling", r"heeft (?:de )?groep .+ (?:aangemaakt|gemaakt)",
        r"^Je hebt (?:de )?groep .+ (?:aangemaakt|gemaakt)", r"heeft je toegevoegd", r" heeft .+ toegevoegd$",
        r"^Je hebt .+ toegevoegd$", r"^Je bent toegevoegd", r" is vertrokken$", r"^Je bent vertrokken",
        r" heeft .+ verwijderd$", r"^Je hebt .+ verwijderd$",
        r"(?:heeft|hebt) (?:het onderwerp|de onderwerpnaam|de groepsnaam) gewijzigd",
        r"(?:groepsafbeelding|groepsicoon|groepspictogram|groepsbeschrijving|groepsinstellingen)",
        r"via de uitnodigingslink", r"nu (?:een )?beheerder\b", r"geen beheerder meer", r"beveiligingscode",
        r"(?:telefoonnummer|nummer) gewijzigd", r"verdwijnende berichten", r"berichttimer",
        r"^Gemiste (?:groeps)?(?:spraak|video)oproep", r"zakelijk account", r"contact (?:ge)?(?:de)?blokkeerd",
        r"Wachten op dit bericht",
    ],
    "fr": [
        r"chiffrés de bout en bout", r"chiffrement de bout en bout", r"(?:a|avez) créé (?:le )?groupe",
        r"vous a ajouté", r" a ajouté ", r"^Vous avez ajouté ", r"^Vous avez été ajouté", r" est partie?$",
        r"^Vous êtes partie?", r" a retiré ", r"^Vous avez retiré ", r"(?:a|avez) (?:modifié|changé) (?:le sujet|l.icône|la description|les paramètres)",
        r"(?:supprimé|modifié|changé) l.icône de ce groupe", r"lien d.invitation", r"désormais (?:un )?administrat",
        r"n.êtes plus administrat", r"code de sécurité", r"changé de numéro", r"messages éphémères",
        r"^Appel (?:vocal|vidéo)(?: de groupe)? manqué", r"compte professionnel", r"avez (?:dé)?bloqué ce contact",
        r"En attente de ce message",
    ],
}

# The end-to-end notice that opens a chat, matched at the start of a text: old iOS exports write it
# with the chat's name as author and no U+200E.
E2E_RE = re.compile(
    r"(?:Messages and calls are end-to-end encrypted|Messages (?:to this group|you send to this chat(?: and calls)?) "
    r"are now secured with end-to-end encryption|Berichten en oproepen worden end-to-end versleuteld"
    r"|Berichten (?:die je naar deze (?:groep|chat) stuurt|en oproepen in deze (?:groep|chat)).{0,40}end-to-end"
    r"|Les messages et les appels sont chiffrés de bout en bout"
    r"|Les messages (?:envoyés (?:dans ce groupe|à cette discussion)|et appels).{0,60}chiffrement de bout en bout)")

SYSTEM_RE = re.compile("|".join(f"(?P<{lang}>{'|'.join(p)})" for lang, p in SYSTEM_PATTERNS.items()))

# Media left out of the export. Android writes them in angle brackets; iOS without (and puts U+200E
# before them, sometimes after a document's name).
OMITTED: dict[str, str] = {}
for _lang, _words in {
    "en": ["<Media omitted>", "image omitted", "video omitted", "audio omitted", "sticker omitted",
           "GIF omitted", "document omitted", "Contact card omitted", "<image omitted>", "<video omitted>",
           "<audio omitted>", "<sticker omitted>", "<GIF omitted>", "<document omitted>", "<Contact card omitted>"],
    "nl": ["<Media weggelaten>", "afbeelding weggelaten", "video weggelaten", "audio weggelaten",
           "sticker weggelaten", "GIF weggelaten", "document weggelaten", "Contactkaart weggelaten",
           "<afbeelding weggelaten>", "<video weggelaten>"],
    "fr": ["<Médias omis>", "<Média omis>", "<Fichier omis>", "image absente", "vidéo absente", "audio omis",
           "audio absent", "sticker omis", "GIF retiré", "GIF omis", "document manquant", "document omis",
           "Fiche contact manquante", "<image absente>", "<vidéo absente>"],
}.items():
    for _w in _words:
        OMITTED[_w.casefold()] = _lang
# iOS: "<document name> U+200E document omitted" — the mark tells the placeholder from a sentence.
OMITTED_MARKED_SUFFIXES = tuple("\u200e" + w for w in OMITTED if not w.startswith("<"))
OMITTED_MAX_LEN = max(len(w) for w in OMITTED)

DELETED: dict[str, str] = {
    "this message was deleted": "en", "you deleted this message": "en",
    "dit bericht is verwijderd": "nl", "u hebt dit bericht verwijderd": "nl", "je hebt dit bericht verwijderd": "nl",
    "ce message a été supprimé": "fr", "vous avez supprimé ce message": "fr",
}
DELETED_MAX_LEN = max(len(w) for w in DELETED) + 2

EDITED: dict[str, str] = {
    "<This message was edited>": "en", "<Dit bericht is bewerkt>": "nl", "<Ce message a été modifié>": "fr",
}
EDITED_SUFFIXES = tuple(EDITED)

# Attachments named in the export.
ANDROID_ATTACHED_RE = re.compile(r"(?P<name>.+?) \((?P<w>file attached|bestand bijgevoegd|fichier joint)\)")
ANDROID_ATTACHED_LANG = {"file attached": "en", "bestand bijgevoegd": "nl", "fichier joint": "fr"}
IOS_ATTACHED_RE = re.compile(r"<\s?(?P<w>attached|bijgevoegd|pièce jointe)\s?:\s?(?P<name>[^<>]+?)\s?>$")
IOS_ATTACHED_LANG = {"attached": "en", "bijgevoegd": "nl", "pièce jointe": "fr"}

# Marks that are never part of what someone wrote (direction marks, isolates, BOM).
INVISIBLE_RE = re.compile("[\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]")
