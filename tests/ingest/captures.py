"""Cloud API webhook captures built from the shapes in Meta's documentation (NOTES §1 and §6)."""
from __future__ import annotations

import base64
import hashlib
import json

BUSINESS = {"display_phone_number": "32 2 555 01 00", "phone_number_id": "1000001"}
CONTACT = {"profile": {"name": "Jana Voorbeeld"}, "wa_id": "32470000001"}
T0 = 1762070400   # 2025-11-02 08:00 UTC


def _payload(value: dict) -> dict:
    return {"object": "whatsapp_business_account", "entry": [{"id": "2000002", "changes": [
        {"value": {"messaging_product": "whatsapp", "metadata": BUSINESS, **value}, "field": "messages"}]}]}


def text(wamid: str, body: str, ts: int = T0) -> dict:
    return _payload({"contacts": [CONTACT], "messages": [
        {"from": "32470000001", "id": wamid, "timestamp": str(ts), "type": "text", "text": {"body": body}}]})


def image(wamid: str, media_id: str, data: bytes, ts: int = T0, caption: str = "Meterkast") -> dict:
    sha = base64.b64encode(hashlib.sha256(data).digest()).decode()
    return _payload({"contacts": [CONTACT], "messages": [
        {"from": "32470000001", "id": wamid, "timestamp": str(ts), "type": "image",
         "image": {"id": media_id, "mime_type": "image/jpeg", "sha256": sha, "caption": caption}}]})


def reaction(wamid: str, target: str, emoji: str | None, ts: int = T0) -> dict:
    part = {"message_id": target, **({"emoji": emoji} if emoji else {})}
    return _payload({"contacts": [CONTACT], "messages": [
        {"from": "32470000001", "id": wamid, "timestamp": str(ts), "type": "reaction", "reaction": part}]})


def status(wamid: str, ts: int = T0) -> dict:
    return _payload({"statuses": [{"id": wamid, "status": "read", "timestamp": str(ts), "recipient_id": "32470000001"}]})


def edit(wamid: str, target: str, body: str, ts: int = T0) -> dict:
    """A business echo (coexistence) editing an earlier message, as the parser's fixture writes it."""
    return _payload({"contacts": [CONTACT], "messages": [
        {"from": "32470000001", "id": wamid, "timestamp": str(ts), "type": "edit",
         "edit": {"original_message_id": target, "message": {"type": "text", "text": {"body": body}}}}]})


def revoke(wamid: str, target: str, ts: int = T0) -> dict:
    return _payload({"contacts": [CONTACT], "messages": [
        {"from": "32470000001", "id": wamid, "timestamp": str(ts), "type": "revoke",
         "revoke": {"original_message_id": target}}]})


def jsonl(*payloads: dict, broken_lines: tuple[str, ...] = ()) -> str:
    lines = [json.dumps(p) for p in payloads] + list(broken_lines)
    return "\n".join(lines) + "\n"
