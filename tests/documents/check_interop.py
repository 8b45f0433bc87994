"""The FHIR and DPV exports of `consent export`, checked by validators the project did not write.

Builds a ledger with the `consent` command (test mode, a fixed clock) holding every grant shape:
a person's own grant, one withdrawn, one expired, one not yet valid, explicit consent to health
data, a refusal, a parent's grant for a child, a verge's grant for an adult and barnevern's for a child
in its care. Then, for each
person:

- `consent export --format fhir`: the Bundle and every Consent and contained RelatedPerson
  parse and validate as FHIR R5 with `fhir.resources` (pydantic models of the R5 spec), and
  each grant's status, decision, period, grantor and subject are what the mapping promises
  (docs/fhir.md); the national id appears only with --fhir-national-id;
- `consent export --format dpv`: the JSON-LD expands with `pyld` (a JSON-LD 1.1 processor,
  no network: the context is inline), every key of every record expands to an IRI (none is
  dropped), and the expanded records carry the DPV IRIs of docs/dpv.md.

    python check_interop.py path/to/consent   (prints "interop: N passed, 0 failed")
"""

import json
import subprocess
import sys
import tempfile
from pathlib import Path

from fhir.resources.bundle import Bundle
from fhir.resources.consent import Consent
from fhir.resources.relatedperson import RelatedPerson
from pyld import jsonld

DPV = "https://w3id.org/dpv#"
EU_GDPR = "https://w3id.org/dpv/legal/eu/gdpr#"
FNR_SYSTEM = "urn:oid:2.16.578.1.12.4.1.4.1"
# Every DPV term the export may use; each was checked against DPV 2.3's dpv.ttl (docs/dpv.md).
DPV_TERMS = {
    "hasConsentStatus", "hasDataSubject", "hasPurpose", "hasPersonalData", "hasRecipient",
    "hasLegalBasis", "hasJurisdiction", "hasIdentifier", "hasNotice", "hasIndicationMethod",
    "isIndicatedAtTime", "isIndicatedBy", "hasRelationWithDataSubject", "ConsentRecord",
    "ExpressedConsent", "ExplicitlyExpressedConsent", "ConsentGiven", "ConsentWithdrawn",
    "ConsentExpired", "ConsentRefused", "ConsentUnknown", "ParentOfDataSubject",
    "GuardianOfDataSubject",
}
ALLOWED_NAMESPACES = ("urn:consent:vocab:", "http://purl.org/dc/terms/")

ADULT = "15038510190"
# R5's required value set for Consent.status (http://hl7.org/fhir/ValueSet/consent-state-codes).
R5_STATUS = {"draft", "active", "inactive", "not-done", "entered-in-error", "unknown"}


def national_id(first_nine: str) -> str:
    """A valid national id from its first nine digits (the public mod-11 rule), or None."""
    digits = [int(c) for c in first_nine]
    k1 = 11 - sum(d * w for d, w in zip(digits, [3, 7, 6, 1, 8, 9, 4, 5, 2])) % 11
    k1 = 0 if k1 == 11 else k1
    if k1 == 10:
        return None
    digits.append(k1)
    k2 = 11 - sum(d * w for d, w in zip(digits, [5, 4, 3, 2, 7, 6, 5, 4, 3, 2])) % 11
    k2 = 0 if k2 == 11 else k2
    if k2 == 10:
        return None
    return first_nine + str(k1) + str(k2)


def first_valid(prefix: str) -> str:
    return next(n for n in (national_id(f"{prefix}{d}") for d in range(10)) if n)


CHILD = first_valid("01061651")  # born 1 June 2016
WARD = first_valid("01019042")  # born 1 January 1990, under guardianship (verge)
IN_CARE = first_valid("01061652")  # born 1 June 2016, in barnevern's care


class Checks:
    def __init__(self):
        self.passed = 0
        self.failed = []

    def check(self, name, condition, detail=""):
        if condition:
            self.passed += 1
        else:
            self.failed.append(f"{name}: {detail}")
            print(f"FAILED {name}: {detail}", file=sys.stderr)


class Cli:
    def __init__(self, binary, folder):
        self.binary = binary
        self.ledger = str(Path(folder) / "interop.db")
        self.folder = Path(folder)

    def run(self, *args, clock="2026-01-05T10:00:00Z", stdin=None, ok=True):
        command = [self.binary, "--ledger", self.ledger, "--test-mode", "--clock", clock,
                   "--actor-id", "saksbehandler-17", "--actor-role", "case_worker", *args]
        result = subprocess.run(command, input=stdin, capture_output=True, text=True)
        if ok and result.returncode != 0:
            raise SystemExit(f"interop: `consent {' '.join(args)}` failed: {result.stderr.strip()}")
        return result

    def grant(self, **fields):
        document = {
            "subject": ADULT, "grantor": {"role": "self"},
            "purposes": ["employment_followup"], "recipients": ["nav"],
            "categories": ["finances"], "explicit": False,
            "valid_from": "2026-01-05T09:00:00Z", "valid_until": None,
            "evidence": {"method": "signed_paper", "reference": "2026/1234",
                         "language": "ar", "interpreter": True},
            "notice": {"id": "bosetting-personvern", "version": "2024-10-16"},
        }
        document.update(fields)
        return self.run("grant", "-", stdin=json.dumps(document)).stdout.strip()

    def export(self, subject, *args, ok=True):
        # Every export is a recorded read: who (the actor) and why (the purpose of lookup).
        return self.run("export", "--lookup-purpose", "interop test", *args, "-",
                        clock="2026-03-02T09:00:00Z", stdin=subject + "\n", ok=ok)


def build(cli):
    cli.run("init")
    grants = {
        "own": cli.grant(),
        "withdrawn": cli.grant(categories=["housing"], purposes=["case_handling"]),
        "expired": cli.grant(categories=["education"], purposes=["case_handling"],
                             valid_until="2026-02-01T00:00:00Z"),
        "future": cli.grant(categories=["family"], purposes=["case_handling"],
                            valid_from="2026-06-01T00:00:00Z"),
        "health": cli.grant(purposes=["health_coordination"], recipients=["helsetjenesten"],
                            categories=["health"], explicit=True),
        "parent": cli.grant(subject=CHILD, grantor={
            "role": "parent", "id": ADULT, "authority": "Folkeregisteret: foreldreansvar"}),
        "verge": cli.grant(subject=WARD, grantor={
            "role": "verge", "id": ADULT, "authority": "Statsforvalteren 2025/1"}),
        "barnevern": cli.grant(subject=IN_CARE, grantor={
            "role": "barnevern", "id": "barnevernstjenesten-elverum",
            "authority": "Omsorgsvedtak 2025/9"}),
    }
    cli.run("withdraw", grants["withdrawn"], "--at", "2026-02-15T12:00:00Z", "--reason", "by phone",
            clock="2026-02-15T10:00:00Z")
    refusal = {
        "subject": ADULT, "grantor": {"role": "self"}, "purposes": ["health_coordination"],
        "recipients": ["helsetjenesten"], "categories": ["family"], "at": "2026-01-05T09:30:00Z",
        "evidence": {"method": "oral_recorded", "reference": "2026/77", "language": "ti",
                     "interpreter": True},
        "notice": {"id": "bosetting-personvern", "version": "2024-10-16"},
    }
    cli.run("refuse", "-", stdin=json.dumps(refusal))
    return grants


def check_fhir(checks, cli, grants):
    expected = {  # grant -> (status, person)
        "own": ("active", ADULT), "withdrawn": ("inactive", ADULT),
        "expired": ("inactive", ADULT), "future": ("active", ADULT),
        "health": ("active", ADULT), "parent": ("active", CHILD), "verge": ("active", WARD),
        "barnevern": ("active", IN_CARE),
    }
    consents = {}
    resources = 0
    for person in (ADULT, CHILD, WARD, IN_CARE):
        text = cli.export(person, "--format", "fhir").stdout
        checks.check(f"fhir {person[:2]}…: no national id", person not in text and ADULT not in text,
                     "a national id is in the pseudonymous bundle")
        document = json.loads(text)
        bundle = Bundle.model_validate(document)
        checks.check("fhir bundle type", bundle.type == "collection", bundle.type)
        for entry in document["entry"]:
            consent = Consent.model_validate(entry["resource"])
            resources += 1
            # fhir.resources checks structure, types and cardinality, not required bindings:
            # check the two required value sets of R5 Consent here.
            checks.check("fhir status in R5 consent-state-codes", consent.status in R5_STATUS,
                         consent.status)
            checks.check("fhir decision in R5 consent-provision-type",
                         consent.decision in ("deny", "permit"), consent.decision)
            for contained in entry["resource"].get("contained", []):
                RelatedPerson.model_validate(contained)
                resources += 1
            consents[consent.id] = (person, consent, entry["resource"])
    checks.check("fhir: every resource validated", resources >= 10, f"{resources} resources")

    for name, (status, person) in expected.items():
        found = consents.get(grants[name])
        checks.check(f"fhir {name}: present", found is not None, grants[name])
        if not found:
            continue
        owner, consent, raw = found
        checks.check(f"fhir {name}: status", consent.status == status, consent.status)
        checks.check(f"fhir {name}: decision permit", consent.decision == "permit", consent.decision)
        checks.check(f"fhir {name}: subject by pseudonym",
                     consent.subject.identifier.system == "urn:consent:pseudonym"
                     and len(consent.subject.identifier.value) == 32 and owner == person,
                     raw["subject"])
    _, withdrawn, _ = consents[grants["withdrawn"]]
    checks.check("fhir withdrawn: period ends at the withdrawal",
                 withdrawn.period.end.isoformat().startswith("2026-02-15T12:00:00"),
                 str(withdrawn.period.end))
    _, expired, _ = consents[grants["expired"]]
    checks.check("fhir expired: period ends at valid_until",
                 expired.period.end.isoformat().startswith("2026-02-01T00:00:00"),
                 str(expired.period.end))
    _, health, raw = consents[grants["health"]]
    codes = [c["code"] for c in raw["regulatoryBasis"][0]["coding"]]
    checks.check("fhir health: Art. 6(1)(e) and Art. 9(2)(a)", codes == ["A6-1-e", "A9-2-a"], codes)
    for name, code in (("parent", "PRN"), ("verge", "GUARD")):
        _, consent, raw = consents[grants[name]]
        person = raw["contained"][0]
        checks.check(f"fhir {name}: grantor is the contained RelatedPerson",
                     raw["grantor"][0] == {"reference": "#grantor", "type": "RelatedPerson",
                                           "display": name}, raw["grantor"])
        checks.check(f"fhir {name}: relationship {code}",
                     person["relationship"][0]["coding"][0]["code"] == code, person["relationship"])
    _, _, raw = consents[grants["barnevern"]]
    checks.check("fhir barnevern: grantor is the service as an Organization",
                 raw["grantor"] == [{"type": "Organization", "identifier": {
                     "system": "urn:consent:service", "value": "barnevernstjenesten-elverum"}}]
                 and "verifiedWith" not in raw["verification"][0], raw["grantor"])
    refusals = [c for (_, c, _) in consents.values() if c.decision == "deny"]
    checks.check("fhir refusal: one Consent with decision deny", len(refusals) == 1, len(refusals))

    # By fødselsnummer only when asked, and then valid FHIR too.
    text = cli.export(ADULT, "--format", "fhir", "--fhir-national-id").stdout
    document = json.loads(text)
    Bundle.model_validate(document)
    subjects = {json.dumps(e["resource"]["subject"], sort_keys=True) for e in document["entry"]}
    checks.check("fhir --fhir-national-id: subject by fødselsnummer",
                 subjects == {json.dumps({"type": "Patient", "identifier": {
                     "system": FNR_SYSTEM, "value": ADULT}}, sort_keys=True)}, subjects)
    failed = cli.export(ADULT, "--format", "dpv", "--fhir-national-id", ok=False)
    checks.check("--fhir-national-id without fhir: exit 2", failed.returncode == 2,
                 failed.returncode)
    # --format json is the export --json prints.
    # (Each lists the accesses so far, itself included: compared without them.)
    plain = json.loads(cli.export(ADULT, "--json").stdout)
    as_json = json.loads(cli.export(ADULT, "--format", "json").stdout)
    accesses = (len(plain.pop("accesses", [])), len(as_json.pop("accesses", [])))
    checks.check("--format json equals --json",
                 plain == as_json and "consent-export/1" in json.dumps(plain)
                 and accesses[1] == accesses[0] + 1, accesses)


def expanded_ids(node, prop):
    return [value.get("@id") for value in node.get(prop, [])]


def check_dpv(checks, cli, grants):
    expected = {
        "own": "ConsentGiven", "withdrawn": "ConsentWithdrawn", "expired": "ConsentExpired",
        "future": "ConsentGiven", "health": "ConsentGiven", "parent": "ConsentGiven",
        "verge": "ConsentGiven", "barnevern": "ConsentGiven",
    }
    records = {}
    for person in (ADULT, CHILD, WARD, IN_CARE):
        text = cli.export(person, "--format", "dpv").stdout
        checks.check(f"dpv {person[:2]}…: no national id", person not in text and ADULT not in text,
                     "a national id is in the JSON-LD")
        document = json.loads(text)
        expanded = jsonld.expand(document)
        nodes = expanded[0]["@graph"]
        checks.check(f"dpv {person[:2]}…: every record expands",
                     len(nodes) == len(document["@graph"]), (len(nodes), len(document["@graph"])))
        for compact, node in zip(document["@graph"], nodes):
            kept = {k for k in compact if not k.startswith("@")}
            properties = [p for p in node if not p.startswith("@")]
            checks.check(f"dpv {compact['record_id']}: no key dropped by expansion",
                         len(properties) == len(kept), (sorted(kept), properties))
            for iri in properties + node.get("@type", []):
                if iri.startswith(DPV):
                    checks.check(f"dpv term {iri}", iri[len(DPV):] in DPV_TERMS, iri)
                else:
                    checks.check(f"dpv namespace {iri}", iri.startswith(ALLOWED_NAMESPACES), iri)
            records[compact["record_id"]] = (person, node)

    for name, status in expected.items():
        person, node = records[grants[name]]
        checks.check(f"dpv {name}: status",
                     expanded_ids(node, DPV + "hasConsentStatus") == [DPV + status],
                     node.get(DPV + "hasConsentStatus"))
        subject = expanded_ids(node, DPV + "hasDataSubject")
        checks.check(f"dpv {name}: data subject by pseudonym",
                     len(subject) == 1 and subject[0].startswith("urn:consent:pseudonym:"), subject)
        checks.check(f"dpv {name}: jurisdiction Norway",
                     expanded_ids(node, DPV + "hasJurisdiction") == ["https://w3id.org/dpv/loc#NO"],
                     node.get(DPV + "hasJurisdiction"))
        checks.check(f"dpv {name}: purpose, data, recipient",
                     all(expanded_ids(node, DPV + p) for p in
                         ("hasPurpose", "hasPersonalData", "hasRecipient", "hasLegalBasis")), node)
    _, health = records[grants["health"]]
    checks.check("dpv health: explicitly expressed",
                 DPV + "ExplicitlyExpressedConsent" in health["@type"], health["@type"])
    checks.check("dpv health: GDPR Art. 6(1)(e) and 9(2)(a)",
                 expanded_ids(health, DPV + "hasLegalBasis") == [EU_GDPR + "A6-1-e",
                                                                 EU_GDPR + "A9-2-a"],
                 health.get(DPV + "hasLegalBasis"))
    for name, relation, prefix in (
            ("parent", "ParentOfDataSubject", "urn:consent:pseudonym:"),
            ("verge", "GuardianOfDataSubject", "urn:consent:pseudonym:"),
            ("barnevern", "GuardianOfDataSubject", "urn:consent:service:")):
        _, node = records[grants[name]]
        grantor = node[DPV + "isIndicatedBy"][0]
        checks.check(f"dpv {name}: indicated by the {relation}",
                     grantor.get("@type") == [DPV + relation]
                     and grantor["@id"].startswith(prefix), grantor)
    refused = [n for (_, n) in records.values()
               if expanded_ids(n, DPV + "hasConsentStatus") == [DPV + "ConsentRefused"]]
    checks.check("dpv refusal: ConsentRefused", len(refused) == 1, len(refused))


def main():
    if len(sys.argv) != 2:
        raise SystemExit("usage: check_interop.py path/to/consent")
    checks = Checks()
    with tempfile.TemporaryDirectory() as folder:
        cli = Cli(sys.argv[1], folder)
        grants = build(cli)
        check_fhir(checks, cli, grants)
        check_dpv(checks, cli, grants)
    print(f"interop: {checks.passed} passed, {len(checks.failed)} failed")
    if checks.failed:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
