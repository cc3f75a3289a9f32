"""The demo inbox: five archives of O3 Group BV chats, deterministic from a seed.

| file | platform / export language | notes |
|---|---|---|
| WhatsApp Chat with Team Installaties.txt | Android EN, 24h, day-first | nl/en/fr messages, DST nights |
| WhatsApp Chat with LumenPro Supply.txt | Android EN, 12h U+202F, month-first | BOM, supplier |
| WhatsApp-chat met Werf Leuven.zip | Android NL + media | attachments and `<Media weggelaten>` |
| WhatsApp Chat - Client Bruxelles.zip | iOS FR + media, CRLF, `__MACOSX/` | legal hold in the default policy |
| whatsapp-cloud-api-capture-2026.jsonl | Cloud API webhooks | messages and statuses |

``demo_manifest(seed)`` tells what each archive holds (message counts per type, media files, authors)
so that tests can compare a parse against it.
"""
from __future__ import annotations

import base64
import io
import json
import random
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache
from pathlib import Path

import phonenumbers

from o3_governance.vocabulary import BRUSSELS
from o3_governance.demo import formats as F
from o3_governance.demo import phrases
from o3_governance.demo import people as P
from o3_governance.demo.people import Person
from o3_governance.demo.planted import SENTENCES, PlantedSentence


@dataclass(frozen=True)
class ChatSpec:
    key: str
    chat_name: str
    file_name: str
    platform: str                       # android / ios
    dialect: str                        # formats.header dialect
    export_lang: str                    # language of the phone's UI (placeholders, system lines)
    start: date
    end: date
    total: int                          # every message incl. system lines and planted sentences
    members: tuple[tuple[Person, float], ...]
    exporter: Person                    # whose phone exported ("You deleted this message")
    creator: Person
    media_rate: float
    media_included: float               # share of media whose file is in the archive (0: .txt export)
    chat_lang: str | None = None        # everyone writes this language here
    second_lang: tuple[str, float] | None = None   # Dutch speakers switch to this language this often
    phone_authors: tuple[Person, ...] = ()          # unsaved contacts: shown as their number (iOS)
    bom: bool = False
    specials: tuple[tuple[datetime, int, Person, str, str], ...] = ()  # (local time, fold, who, lang, text)


def _d(*a) -> datetime:
    return datetime(*a)


# DST: 2025-03-30 and 2026-03-29 02:00–03:00 do not exist in Brussels; 2024-10-27 and 2025-10-26
# 02:00–03:00 happen twice (fold=1 is the second pass, written after the first pass).
CHATS: tuple[ChatSpec, ...] = (
    ChatSpec(
        "team", "Team Installaties", "WhatsApp Chat with Team Installaties.txt", "android", "en24", "en",
        date(2024, 5, 6), date(2026, 11, 20), 1500,
        ((P.SOFIE, 3), (P.WOUT, 3), (P.KEVIN, 2.5), (P.PIETER, 2), (P.LOTTE, 2), (P.YANNICK, 1),
         (P.EMRE, 1.5), (P.BRAM, 1)),
        exporter=P.SOFIE, creator=P.LOTTE, media_rate=0.08, media_included=0.0, second_lang=("en", 0.35),
        specials=(
            (_d(2024, 10, 27, 2, 15), 0, P.KEVIN, "en", "Last flight case is in the truck"),
            (_d(2024, 10, 27, 2, 40), 0, P.BRAM, "en", "Leaving Brussels now"),
            (_d(2024, 10, 27, 2, 10), 1, P.KEVIN, "en", "Back at the warehouse, good night"),
            (_d(2024, 10, 27, 2, 35), 1, P.WOUT, "nl", "Slaapwel mannen, goed gewerkt"),
            (_d(2025, 3, 30, 2, 30), 0, P.KEVIN, "nl", "Vrachtwagen geladen, we vertrekken uit Mechelen"),
        )),
    ChatSpec(
        "supplier", "LumenPro Supply", "WhatsApp Chat with LumenPro Supply.txt", "android", "en12", "en",
        date(2024, 9, 2), date(2026, 11, 18), 450,
        ((P.DAAN, 3), (P.KLAUS, 2), (P.SOFIE, 2.5), (P.PIETER, 2)),
        exporter=P.PIETER, creator=P.DAAN, media_rate=0.06, media_included=0.0, chat_lang="en", bom=True,
        specials=((_d(2025, 3, 30, 2, 30), 0, P.KLAUS, "en", "Truck from Venlo is on the road"),)),
    ChatSpec(
        "werf", "Werf Leuven", "WhatsApp-chat met Werf Leuven.zip", "android", "nl", "nl",
        date(2025, 1, 13), date(2026, 11, 19), 1100,
        ((P.GEERT, 3), (P.TOM, 2), (P.WOUT, 3), (P.SOFIE, 1.5), (P.KEVIN, 2)),
        exporter=P.SOFIE, creator=P.GEERT, media_rate=0.14, media_included=0.85, chat_lang="nl",
        specials=(
            (_d(2025, 10, 26, 2, 20), 0, P.GEERT, "nl", "Alarm op de werf, ik rij ernaartoe"),
            (_d(2025, 10, 26, 2, 50), 0, P.WOUT, "nl", "Ik kom ook"),
            (_d(2025, 10, 26, 2, 5), 1, P.GEERT, "nl", "Vals alarm, wind tegen de sensor"),
            (_d(2025, 10, 26, 2, 30), 1, P.WOUT, "nl", "Ok, slaapwel"),
            (_d(2026, 3, 29, 2, 30), 0, P.GEERT, "nl", "Betonpomp is er, we starten met storten"),
        )),
    ChatSpec(
        "bxl", "Client Bruxelles", "WhatsApp Chat - Client Bruxelles.zip", "ios", "ios", "fr",
        date(2024, 6, 3), date(2026, 11, 21), 900,
        ((P.ANNE, 3), (P.MARC, 3), (P.ISABELLE, 2), (P.JULIEN, 1.5), (P.WOUT, 2), (P.YANNICK, 1.5)),
        exporter=P.ANNE, creator=P.MARC, media_rate=0.12, media_included=0.85, chat_lang="fr",
        phone_authors=(P.JULIEN,),
        specials=(
            (_d(2025, 10, 26, 2, 20, 15), 0, P.MARC, "fr", "L'alarme incendie sonne au sous-sol"),
            (_d(2025, 10, 26, 2, 48, 3), 0, P.YANNICK, "fr", "Je suis en route"),
            (_d(2025, 10, 26, 2, 5, 40), 1, P.YANNICK, "fr", "Fausse alerte, détecteur encrassé, alarme coupée"),
            (_d(2025, 10, 26, 2, 31, 10), 1, P.MARC, "fr", "Merci beaucoup !"),
            (_d(2025, 3, 30, 2, 30, 12), 0, P.JULIEN, "fr", "La ventilation du parking s'est arrêtée"),
        )),
)
CLOUD_FILE = "whatsapp-cloud-api-capture-2026.jsonl"
CLOUD_CONTACTS = (P.LUC, P.HELENE, P.MIA)
CLOUD_START, CLOUD_END = date(2026, 5, 4), date(2026, 11, 22)
BUSINESS_NUMBER = "3216987654"   # O3's (fictional) business line as the Cloud API writes it: no '+'


@dataclass
class Msg:
    when: datetime                  # naive local wall-clock time, as the export writes it
    fold: int
    author: Person | None           # None: system line
    kind: str                       # text / media / system / deleted
    lang: str
    body: str = ""                  # text, media caption, or the system line
    edited: bool = False
    media_kind: str | None = None   # PHOTO / VIDEO / AUDIO / DOC
    included: bool = False
    planted: PlantedSentence | None = None
    attachment: str | None = None   # set when rendered with its file

    def utc_key(self) -> float:
        return self.when.replace(tzinfo=BRUSSELS, fold=self.fold).timestamp()


@dataclass(frozen=True, slots=True)
class DemoMessage:
    """Ground truth for one generated message (what was meant, before rendering)."""
    sent_local: datetime
    author: str | None                    # person's name; None for system lines
    message_type: str                     # text / media / system / deleted
    body: str                             # text as written (no edit marker), media caption, system line
    language: str                         # language the message is written in
    edited: bool = False
    planted: PlantedSentence | None = None
    attachment: str | None = None         # media file name inside the archive, when it is there


@dataclass(frozen=True)
class DemoArchive:
    """What one demo archive holds, for tests that parse it."""
    file_name: str
    chat_name: str
    source_format: str                    # android / ios / cloud_api
    export_language: str
    message_count: int                    # messages the parser must yield (system lines included)
    type_counts: dict[str, int]           # text / media / system / deleted
    edited_count: int
    media_files: int                      # media files inside the archive
    author_counts: dict[str, int]         # person name → messages written (system lines excluded)
    phone_authors: dict[str, str]         # person name → E.164, for authors shown as a number
    planted_count: int                    # planted sentences (incl. decoys) in this archive
    first_local: datetime
    last_local: datetime
    chats: dict[str, int] = field(default_factory=dict)   # chat name → messages (Cloud: per contact)
    statuses: int = 0                     # Cloud API status entries (not messages)
    messages: tuple[DemoMessage, ...] = field(default=(), repr=False, compare=False)  # in file order


def _intl(person: Person) -> str:
    return phonenumbers.format_number(phonenumbers.parse(person.phone),
                                      phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def _active_days(rng: random.Random, start: date, end: date) -> list[date]:
    days, d = [], start
    while d <= end:
        if rng.random() < (0.6 if d.weekday() < 5 else 0.12):
            days.append(d)
        d += timedelta(days=1)
    return days


def _pick(rng: random.Random, members) -> Person:
    people, weights = zip(*members)
    return rng.choices(people, weights)[0]


def _lang(spec: ChatSpec, author: Person, rng: random.Random) -> str:
    if spec.chat_lang:
        return spec.chat_lang
    if spec.second_lang and author.language == "nl" and rng.random() < spec.second_lang[1]:
        return spec.second_lang[0]
    if author.language == "fr" and rng.random() < 0.35:
        return "en"
    return author.language


def _day_time(rng: random.Random, day: date) -> datetime:
    # working hours, a few evenings; never 02:00–03:00 (the DST specials own that hour)
    secs = rng.randint(6 * 3600 + 1800, 19 * 3600) if rng.random() < 0.9 else rng.randint(19 * 3600, 22 * 3600 + 1800)
    return datetime(day.year, day.month, day.day) + timedelta(seconds=secs)


def _timeline(spec: ChatSpec, rng: random.Random) -> list[Msg]:
    el = spec.export_lang
    system_tpl = F.IOS_SYSTEM if spec.platform == "ios" else F.ANDROID_SYSTEM
    t0 = datetime(spec.start.year, spec.start.month, spec.start.day, 8, 47, 12)
    msgs: list[Msg] = [Msg(t0, 0, None, "system", el, F.E2E[(spec.platform, el)]),
                       Msg(t0, 0, None, "system", el,
                           system_tpl["created"][el].format(a=spec.creator.name, g=spec.chat_name))]
    for i, (person, _) in enumerate(spec.members):
        if person is spec.creator:
            continue
        if person is spec.exporter and spec.platform == "android":
            text = {"en": "{a} added you", "nl": "{a} heeft u toegevoegd", "fr": "{a} vous a ajouté"}[el]
        else:
            text = system_tpl["added"][el]
        added = "" if "{b}" not in text else (_intl(person) if person in spec.phone_authors else person.name)
        msgs.append(Msg(t0 + timedelta(seconds=20 + i * 3), 0, None, "system", el,
                        text.format(a=spec.creator.name, b=added)))
    days = _active_days(rng, spec.start + timedelta(days=1), spec.end)
    icon_day = days[len(days) * 2 // 5]
    msgs.append(Msg(_day_time(rng, icon_day), 0, None, "system", el,
                    system_tpl["icon"][el].format(a=spec.creator.name)))
    for when, fold, who, lang, text in spec.specials:
        msgs.append(Msg(when, fold, who, "text", lang, text))

    planted = [s for s in SENTENCES if s.chat == spec.key]
    members = [p for p, _ in spec.members]
    recent = [d for d in days if (spec.end - d).days < 25]
    for s in planted:
        author = s.author or rng.choice(members)
        if author not in members:
            raise AssertionError("planted author is not a member of the chat")
        day = rng.choice(recent) if recent and rng.random() < 0.2 else rng.choice(days)
        msgs.append(Msg(_day_time(rng, day), 0, author, "text", s.language, s.text, planted=s))

    for _ in range(spec.total - len(msgs)):
        author = _pick(rng, spec.members)
        lang = _lang(spec, author, rng)
        when = _day_time(rng, rng.choice(days))
        r = rng.random()
        if r < 0.012:
            msgs.append(Msg(when, 0, author, "deleted", lang))
        elif r < 0.012 + spec.media_rate:
            kind = rng.choices(("PHOTO", "AUDIO", "VIDEO", "DOC"), (80, 10, 5, 5))[0]
            if kind == "DOC" and spec.platform == "ios":
                kind = "PHOTO"
            included = rng.random() < spec.media_included
            cap = phrases.caption(lang, rng) if spec.platform == "android" and rng.random() < 0.25 else ""
            msgs.append(Msg(when, 0, author, "media", lang, cap, media_kind=kind, included=included))
        else:
            other = rng.choice([p for p in members if p is not author])
            msgs.append(Msg(when, 0, author, "text", lang, phrases.text(lang, rng, other.first_name),
                            edited=rng.random() < 0.03))
    if spec.platform == "android":   # Android writes minutes only
        for m in msgs:
            m.when = m.when.replace(second=0)
    # stable sort: the two system lines at t0 keep their order; fold=1 sorts after the first pass
    msgs.sort(key=Msg.utc_key)
    return msgs


def _author(spec: ChatSpec, person: Person) -> str:
    if person in spec.phone_authors:
        return F.ios_phone_author(_intl(person)) if spec.platform == "ios" else _intl(person)
    return person.name


def _render(spec: ChatSpec, msgs: list[Msg], rng: random.Random) -> tuple[str, list[tuple[str, bytes]]]:
    """The chat text and the media files (name, bytes) that go with it."""
    el, ios = spec.export_lang, spec.platform == "ios"
    out: list[str] = []
    media: list[tuple[str, bytes]] = []
    per_day: dict[tuple[str, str], int] = {}
    ios_counter = 12
    doc_names: set[str] = set()
    for i, m in enumerate(msgs):
        h = F.header(spec.dialect, m.when)
        if m.kind == "system":
            if ios:
                lead = "" if i == 0 else F.LRM
                out.append(f"{lead}{h}{spec.chat_name}: {F.LRM}{m.body}")
            else:
                out.append(h + m.body)
            continue
        a = _author(spec, m.author)
        if m.kind == "text":
            body = m.body
            if m.edited:
                body += f" {F.LRM}{F.EDITED[el]}" if ios else f" {F.EDITED[el]}"
            out.append(f"{h}{a}: {body}")
        elif m.kind == "deleted":
            own = m.author is spec.exporter
            if ios:
                out.append(f"{h}{a}: {F.LRM}{(F.IOS_YOU_DELETED if own else F.IOS_DELETED)[el]}")
            else:
                out.append(f"{h}{a}: {(F.ANDROID_YOU_DELETED if own else F.ANDROID_DELETED)[el]}")
        elif ios:
            kind = m.media_kind
            ext = F.ANDROID_MEDIA[kind][1]
            name = f"{ios_counter:08d}-{kind}-{m.when:%Y-%m-%d-%H-%M-%S}{ext}"
            ios_counter += 1
            if m.included:
                m.attachment = name
                media.append((name, F.media_bytes(ext, rng)))
                out.append(f"{F.LRM}{h}{a}: {F.LRM}{F.IOS_ATTACHED[el].format(name)}")
            else:
                out.append(f"{F.LRM}{h}{a}: {F.LRM}{F.IOS_OMITTED[el][kind]}")
        else:
            if m.included:
                if m.media_kind == "DOC":
                    iso = m.when.isocalendar()
                    name = {"nl": "Werfverslag", "fr": "Rapport de chantier", "en": "Site report"}[m.lang]
                    name = f"{name} week {iso.week} {iso.year}.pdf"
                    n = 2
                    while name in doc_names:
                        name = name[:-4].rsplit(" (", 1)[0] + f" ({n}).pdf"
                        n += 1
                    doc_names.add(name)
                else:
                    prefix, ext = F.ANDROID_MEDIA[m.media_kind]
                    key = (m.when.strftime("%Y%m%d"), prefix)
                    per_day[key] = per_day.get(key, 0) + 1
                    name = f"{prefix}-{key[0]}-WA{per_day[key] - 1:04d}{ext}"
                m.attachment = name
                media.append((name, F.media_bytes(Path(name).suffix, rng)))
                body = f"{F.LRM}{name} {F.ANDROID_ATTACHED[el]}"
            else:
                body = F.ANDROID_OMITTED[el]
            if m.body:
                body += "\n" + m.body
            out.append(f"{h}{a}: {body}")
    sep = "\r\n" if ios else "\n"
    text = sep.join(out) + sep
    return ("\ufeff" + text) if spec.bom else text, media


def _zip(members: list[tuple[str, bytes]], when: datetime) -> bytes:
    buf = io.BytesIO()
    stamp = (when.year, when.month, when.day, when.hour, when.minute, when.second)
    with zipfile.ZipFile(buf, "w") as z:
        for name, data in members:
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = (0o40755 << 16 | 0x10) if name.endswith("/") else (0o100644 << 16)
            z.writestr(info, data)
    return buf.getvalue()


def _expected(spec: ChatSpec, msgs: list[Msg], media_files: int) -> DemoArchive:
    counts = {"text": 0, "media": 0, "system": 0, "deleted": 0}
    authors: dict[str, int] = {}
    for m in msgs:
        counts[m.kind] += 1
        if m.author is not None:
            authors[m.author.name] = authors.get(m.author.name, 0) + 1
    return DemoArchive(
        file_name=spec.file_name, chat_name=spec.chat_name, source_format=spec.platform,
        export_language=spec.export_lang, message_count=len(msgs), type_counts=counts,
        edited_count=sum(m.edited for m in msgs), media_files=media_files, author_counts=authors,
        phone_authors={p.name: p.phone for p in spec.phone_authors},
        planted_count=sum(m.planted is not None for m in msgs),
        first_local=min(m.when for m in msgs), last_local=max(m.when for m in msgs),
        chats={spec.chat_name: len(msgs)},
        messages=tuple(DemoMessage(m.when, m.author.name if m.author else None, m.kind, m.body, m.lang, m.edited,
                                   m.planted, m.attachment) for m in msgs))


def _chat_archive(spec: ChatSpec, seed: int, index: int) -> tuple[str, bytes, DemoArchive]:
    rng = random.Random(seed * 7919 + index)
    msgs = _timeline(spec, rng)
    text, media = _render(spec, msgs, rng)
    expected = _expected(spec, msgs, len(media))
    exported = datetime(spec.end.year, spec.end.month, spec.end.day, 21, 4, 36) + timedelta(days=1)
    if spec.platform == "ios":
        members = [("_chat.txt", text.encode("utf-8"))] + media
        # re-packed on a Mac: AppleDouble entries for the chat and a few photos
        mac = [("__MACOSX/", b""), ("__MACOSX/._chat.txt", F.APPLEDOUBLE)]
        mac += [(f"__MACOSX/._{name}", F.APPLEDOUBLE) for name, _ in media[:3]]
        return spec.file_name, _zip(members + mac, exported), expected
    txt_name = spec.file_name[:-4] + ".txt"
    if spec.file_name.endswith(".zip"):
        return spec.file_name, _zip([(txt_name, text.encode("utf-8"))] + media, exported), expected
    return spec.file_name, text.encode("utf-8"), expected


# --- Cloud API ------------------------------------------------------------------------------------

def _wamid(rng: random.Random) -> str:
    return "wamid." + base64.b64encode(b"\x15\x02\x00\x11\x18\x12" + rng.randbytes(18)).decode()


def _payload(value: dict) -> dict:
    return {"object": "whatsapp_business_account",
            "entry": [{"id": "108734215590127", "changes": [{"value": {
                "messaging_product": "whatsapp",
                "metadata": {"display_phone_number": BUSINESS_NUMBER, "phone_number_id": "114205938761042"},
                **value}, "field": "messages"}]}]}


def _cloud_archive(seed: int) -> tuple[str, bytes, DemoArchive]:
    rng = random.Random(seed * 7919 + 99)
    events: list[tuple[float, int, dict]] = []   # (epoch, order, value)
    per_contact: dict[str, int] = {}
    truth: list[tuple[float, int, DemoMessage]] = []
    counts = {"text": 0, "media": 0, "system": 0, "deleted": 0}
    statuses = 0
    planted_count = 0
    first = last = None
    span = (CLOUD_END - CLOUD_START).days
    for contact in CLOUD_CONTACTS:
        wa_id = contact.phone.lstrip("+")
        todo = [s for s in SENTENCES if s.chat == "cloud" and s.author is contact]
        days = sorted({CLOUD_START + timedelta(days=rng.randrange(span + 1)) for _ in range(rng.randint(20, 26))})
        planted_at: dict[int, list[PlantedSentence]] = {}
        for s in todo:
            planted_at.setdefault(rng.randrange(len(days)), []).append(s)
        for di, day in enumerate(days):
            t = datetime(day.year, day.month, day.day) + timedelta(seconds=rng.randint(8 * 3600, 19 * 3600))
            burst: list[PlantedSentence | None] = planted_at.get(di, []) + [None] * rng.randint(1, 4)
            rng.shuffle(burst)
            for s in burst:
                t += timedelta(seconds=rng.randint(15, 600))
                epoch = t.replace(tzinfo=BRUSSELS).timestamp()
                msg = {"from": wa_id, "id": _wamid(rng), "timestamp": str(int(epoch))}
                if s is not None:
                    msg.update(type="text", text={"body": s.text})
                    counts["text"] += 1
                    planted_count += 1
                elif rng.random() < 0.15:
                    image = {"mime_type": "image/jpeg",
                             "sha256": base64.b64encode(rng.randbytes(32)).decode(),
                             "id": str(rng.randrange(10 ** 15, 10 ** 16))}
                    if rng.random() < 0.5:
                        image["caption"] = phrases.caption(contact.language, rng)
                    msg.update(type="image", image=image)
                    counts["media"] += 1
                else:
                    msg.update(type="text", text={"body": phrases.customer(contact.language, rng)})
                    counts["text"] += 1
                per_contact[contact.name] = per_contact.get(contact.name, 0) + 1
                body = msg["text"]["body"] if msg["type"] == "text" else msg["image"].get("caption", "")
                truth.append((epoch, len(truth), DemoMessage(t, contact.name, "text" if msg["type"] == "text"
                                                             else "media", body, contact.language, planted=s)))
                first = t if first is None or t < first else first
                last = t if last is None or t > last else last
                events.append((epoch, len(events), {
                    "contacts": [{"profile": {"name": contact.name}, "wa_id": wa_id}], "messages": [msg]}))
            # O3 answers from its own tool: the capture only sees the delivery statuses of the reply
            reply, at = _wamid(rng), t.replace(tzinfo=BRUSSELS).timestamp() + rng.randint(120, 3600)
            conv = {"id": rng.randbytes(16).hex(), "origin": {"type": "service"}}
            steps = ["sent", "delivered", "read"] if rng.random() < 0.93 else ["sent", "failed"]
            batch = []
            for k, status in enumerate(steps):
                entry = {"id": reply, "status": status, "timestamp": str(int(at + k * rng.randint(1, 90))),
                         "recipient_id": wa_id}
                if status == "sent":
                    entry["conversation"] = conv
                    entry["pricing"] = {"billable": True, "pricing_model": "CBP", "category": "service"}
                if status == "failed":
                    entry["errors"] = [{"code": 131026, "title": "Message undeliverable"}]
                batch.append(entry)
            statuses += len(batch)
            # delivered and read sometimes arrive in one payload
            if len(batch) == 3 and rng.random() < 0.3:
                groups = [batch[:1], batch[1:]]
            else:
                groups = [[b] for b in batch]
            for g in groups:
                events.append((float(g[0]["timestamp"]), len(events), {"statuses": g}))
    events.sort(key=lambda e: (e[0], e[1]))
    text = "".join(json.dumps(_payload(v), ensure_ascii=False, separators=(",", ":")) + "\n"
                   for _, _, v in events)
    expected = DemoArchive(
        file_name=CLOUD_FILE, chat_name="", source_format="cloud_api", export_language="",
        message_count=sum(per_contact.values()), type_counts=counts, edited_count=0, media_files=0,
        author_counts=dict(per_contact), phone_authors={p.name: p.phone for p in CLOUD_CONTACTS},
        planted_count=planted_count, first_local=first, last_local=last, chats=dict(per_contact),
        statuses=statuses, messages=tuple(m for _, _, m in sorted(truth, key=lambda e: (e[0], e[1]))))
    return CLOUD_FILE, text.encode("utf-8"), expected


@lru_cache(maxsize=4)
def build_demo(seed: int = 7) -> tuple[tuple[str, bytes, DemoArchive], ...]:
    """Every demo archive as (file name, bytes, what it holds), in a fixed order."""
    archives = [_chat_archive(spec, seed, i) for i, spec in enumerate(CHATS)]
    archives.append(_cloud_archive(seed))
    return tuple(archives)


def demo_manifest(seed: int = 7) -> list[DemoArchive]:
    return [expected for _, _, expected in build_demo(seed)]


def write_demo_inbox(inbox_dir: Path, seed: int = 7) -> list[Path]:
    """Writes the demo archives into ``inbox_dir`` (created if missing); returns their paths."""
    inbox_dir = Path(inbox_dir)
    inbox_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, data, _ in build_demo(seed):
        path = inbox_dir / name
        path.write_bytes(data)
        paths.append(path)
    return paths
