"""Who is on which side, by e-mail domain: how call recorders tell their own staff from guests.

A participant whose address is in `REVIEWER_INTERNAL_DOMAINS` (or a subdomain of one) is the seller
side; anyone else with an address is the customer side once internal domains are configured;
without an address, or with no domains configured, the side stays unknown.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from pydantic import BaseModel, Field

from reviewer.models import Role


class Participant(BaseModel):
    """One person on a call, as a recorder or a transcript sidecar lists them."""

    name: str | None = Field(None, description="Display name (personal data: redacted from the text).")
    email: str | None = Field(None, description="E-mail address; only its domain is used.")
    role: Role = Field("unknown", description="Side given by the source (affiliation), if any.")


def email_domain(address: str | None) -> str | None:
    """The lower-cased domain of an address, None when it is not one."""
    if not address or "@" not in address:
        return None
    domain = address.rsplit("@", 1)[1].strip().strip(">").strip().lower().rstrip(".")
    return domain or None


def is_internal(address: str | None, internal_domains: Iterable[str]) -> bool:
    """True when the address is in one of the domains or a subdomain of one."""
    domain = email_domain(address)
    if domain is None:
        return False
    for item in internal_domains:
        own = item.strip().lower().lstrip("@").rstrip(".")
        if own and (domain == own or domain.endswith("." + own)):
            return True
    return False


def role_by_domain(address: str | None, internal_domains: Sequence[str]) -> Role:
    """'seller' for an internal address; 'customer' for any other address when internal domains are
    configured; 'unknown' without an address or without configured domains."""
    if is_internal(address, internal_domains):
        return "seller"
    if internal_domains and email_domain(address) is not None:
        return "customer"
    return "unknown"


def decide_role(participant: Participant, internal_domains: Sequence[str]) -> Role:
    """The source's own side when it gives one, else the side by e-mail domain."""
    if participant.role != "unknown":
        return participant.role
    return role_by_domain(participant.email, internal_domains)


def parse_participants(value: object) -> list[Participant]:
    """Participants from a JSON/YAML field: a list of `{name, email, role|affiliation}` mappings or
    of `"Name <address>"` strings; anything else gives []."""
    if isinstance(value, Mapping):
        value = [value]
    if not isinstance(value, list):
        return []
    found: list[Participant] = []
    for item in value:
        if isinstance(item, str):
            # "Name <address>", a bare address, or a bare name.
            label, _, rest = item.partition("<")
            address = rest.rstrip(">").strip() if rest else (item.strip() if "@" in item else None)
            shown = (label.strip() or None) if rest or "@" not in item else None
            found.append(Participant(name=shown, email=address))
        elif isinstance(item, Mapping):
            fields = {str(k).strip().lower().replace("_", "").replace(" ", ""): v for k, v in item.items()}
            name = fields.get("name") or fields.get("displayname") or fields.get("fullname")
            email = fields.get("email") or fields.get("emailaddress") or fields.get("mail")
            side = str(fields.get("role") or fields.get("affiliation") or fields.get("side") or "")
            found.append(
                Participant(
                    name=str(name).strip() if name else None,
                    email=str(email).strip() if email else None,
                    role=side_from_label(side),
                )
            )
    return found


def side_from_label(label: str) -> Role:
    """'seller' for Internal/seller/rep/agent/host, 'customer' for External/customer/prospect, else
    'unknown' (Gong's `Unknown` affiliation included)."""
    key = label.strip().lower()
    if key in {"internal", "seller", "sales", "rep", "agent", "host", "employee"}:
        return "seller"
    if key in {"external", "customer", "prospect", "client", "buyer", "guest"}:
        return "customer"
    return "unknown"


def roles_by_name(participants: Sequence[Participant], internal_domains: Sequence[str]) -> dict[str, Role]:
    """Lower-cased, space-collapsed display name -> decided side, for the participants with a name."""
    roles: dict[str, Role] = {}
    for participant in participants:
        if participant.name:
            roles[" ".join(participant.name.lower().split())] = decide_role(participant, internal_domains)
    return roles
