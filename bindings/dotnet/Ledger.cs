using System;
using System.Collections.Generic;

namespace Consent
{
    /// <summary>A consent ledger: records grants, withdrawals, refusals and disclosures in a
    /// hash-chained log, and decides disclosures.
    ///
    /// Thread-safe: any number of threads may call one ledger at once. Dispose it to release
    /// the file and its lock; calls after that throw <see cref="ObjectDisposedException"/>, and
    /// a call in flight on another thread finishes first.
    ///
    /// Instants are <see cref="DateTimeOffset"/>s, passed to the library as Unix milliseconds
    /// (finer precision is rounded down). Errors are <see cref="ConsentException"/>s, one
    /// subclass per result code; a failed call records nothing.</summary>
    public sealed partial class Ledger : IDisposable
    {
        private readonly LedgerHandle handle;

        private Ledger(LedgerHandle handle)
        {
            this.handle = handle;
        }

        /// <summary>Opens the ledger file at <paramref name="path"/> (an embedded SQLite file,
        /// durable on return), creating it and its key file on first use; <c>":memory:"</c>
        /// opens an in-memory ledger. Opening replays and verifies every event.</summary>
        /// <exception cref="LockedException">Another process is creating or upgrading the file.</exception>
        /// <exception cref="KeyMismatchException">The key is not the file's.</exception>
        /// <exception cref="IntegrityException">The stored chain does not verify.</exception>
        /// <exception cref="InvalidCatalogueException">The catalogue file does not validate.</exception>
        /// <exception cref="StorageException">The file or the catalogue file cannot be read or written.</exception>
        public static Ledger Open(string path, LedgerOptions options = null)
        {
            byte[] nativePath = Utf8.ToNative(path, "path");
            byte[] optionsJson = options == null ? null : Utf8.ToNative(options.ToJson(), "options_json");
            LedgerHandle handle;
            Native.Check(Native.consent_ledger_open(nativePath, optionsJson, out handle));
            return new Ledger(handle);
        }

        /// <summary>A ledger kept in memory with a fresh key: its events vanish when it is
        /// disposed.</summary>
        public static Ledger InMemory(LedgerOptions options = null)
        {
            return Open(":memory:", options);
        }

        /// <summary>Releases the ledger (and a file ledger's lock).</summary>
        public void Dispose()
        {
            handle.Dispose();
        }

        /// <summary>The number of events recorded.</summary>
        public long EventCount
        {
            get
            {
                ThrowIfDisposed();
                return checked((long)Native.consent_ledger_event_count(handle));
            }
        }

        private void ThrowIfDisposed()
        {
            // consent_ledger_event_count answers 0 for NULL; a disposed ledger must not.
            if (handle.IsClosed)
            {
                throw new ObjectDisposedException(nameof(Ledger));
            }
        }

        /// <summary>Records one consent. <paramref name="grantJson"/> is the grant document
        /// (<c>subject</c>, <c>grantor</c>, <c>purposes</c>, <c>recipients</c>, <c>categories</c>,
        /// <c>explicit</c>, <c>valid_from</c>, <c>valid_until</c>, <c>evidence</c>,
        /// <c>notice</c>). Returns the grant's id.</summary>
        /// <exception cref="InvalidInputException">A malformed document, or a grant that could
        /// never mean anything or would mislead, refused at the door: a <c>valid_from</c> more
        /// than the catalogue's <c>max_backdating_days</c> (30) before the ledger's clock
        /// (historical consents enter through <see cref="GrantHistorical"/>), a special category
        /// without <c>explicit</c>, a notice id or version the catalogue does not list, an
        /// evidence language that is not an ISO 639-1 or 639-3 code, or a category that an
        /// unconditional statutory rule already covers for that purpose and recipient (the
        /// message names the rule).</exception>
        /// <exception cref="InvalidNationalIdException">A subject or representative id that
        /// does not validate.</exception>
        /// <exception cref="UnknownCodeException">A code the catalogue does not declare.</exception>
        public Guid Grant(string grantJson, Actor actor)
        {
            IntPtr id;
            Native.Check(Native.consent_ledger_grant(handle, Utf8.ToNative(grantJson, "grant_json"),
                Actor.ToNative(actor), out id));
            return Ids.Parse(Utf8.Take(id));
        }

        /// <summary>Withdraws a grant from <paramref name="at"/> onward; decisions for earlier
        /// instants are unchanged.</summary>
        /// <exception cref="NotFoundException">No such grant.</exception>
        /// <exception cref="ConflictException">It is already withdrawn.</exception>
        public void Withdraw(Guid grantId, DateTimeOffset at, Actor actor, string reason = null)
        {
            Native.Check(Native.consent_ledger_withdraw(handle, Ids.ToNative(grantId, "grant_id"),
                Time.UnixMs(at), Actor.ToNative(actor), Utf8.ToNative(reason, "reason")));
        }

        /// <summary><see cref="Withdraw"/> with an idempotency key the caller chooses (for
        /// example the case number of the form): the same withdrawal again with the same key
        /// writes nothing and succeeds, so a retry after a lost answer is safe. Grants and
        /// refusals carry their key in their JSON, as <c>"idempotency_key"</c>.</summary>
        /// <exception cref="ConflictException">The key was used for another request, or the
        /// grant was withdrawn without this key.</exception>
        /// <exception cref="InvalidInputException">A bad key (empty, longer than 128
        /// characters, or holding a national id).</exception>
        public void WithdrawIdempotent(Guid grantId, DateTimeOffset at, Actor actor,
            string idempotencyKey, string reason = null)
        {
            Native.Check(Native.consent_ledger_withdraw_idempotent(handle,
                Ids.ToNative(grantId, "grant_id"), Time.UnixMs(at), Actor.ToNative(actor),
                Utf8.ToNative(reason, "reason"), Utf8.ToNative(idempotencyKey, "idempotency_key")));
        }

        /// <summary>Records that the subject (or a representative) refused to consent.
        /// <paramref name="refusalJson"/> has the grant document's <c>subject</c>,
        /// <c>grantor</c>, <c>purposes</c>, <c>recipients</c>, <c>categories</c>,
        /// <c>evidence</c> and <c>notice</c>, and <c>at</c>. Returns the record id.</summary>
        public Guid Refuse(string refusalJson, Actor actor)
        {
            IntPtr id;
            Native.Check(Native.consent_ledger_refuse(handle, Utf8.ToNative(refusalJson, "refusal_json"),
                Actor.ToNative(actor), out id));
            return Ids.Parse(Utf8.Take(id));
        }

        /// <summary>Decides whether <paramref name="subject"/>'s data in
        /// <paramref name="categories"/> may go to <paramref name="recipient"/> for
        /// <paramref name="purpose"/> at <paramref name="at"/>. A denial is a decision whose
        /// <see cref="Decision.Permitted"/> is false; an error never yields a decision.
        /// Nothing is recorded. A statutory rule that requires an asserted condition denies
        /// here (<see cref="DenialReason.ConditionNotAsserted"/>): pass the assertions to the
        /// overload that takes them.</summary>
        public Decision Decide(string subject, string recipient, string purpose,
            IReadOnlyList<string> categories, DateTimeOffset at)
        {
            using (var nativeCategories = new NativeStrings(categories, "categories"))
            {
                DecisionHandle decision;
                Native.Check(Native.consent_ledger_decide(handle, Utf8.ToNative(subject, "subject"),
                    Utf8.ToNative(recipient, "recipient"), Utf8.ToNative(purpose, "purpose"),
                    nativeCategories.Pointers, nativeCategories.Count, Time.UnixMs(at), out decision));
                return new Decision(decision);
            }
        }

        /// <summary>Decides as <see cref="Decide(string, string, string, IReadOnlyList{string}, DateTimeOffset)"/>
        /// does, with the conditions the requester asserts. A statutory rule that requires a
        /// condition (in the default catalogue the duty to inform the child welfare service,
        /// <c>barnevern_duty</c>: <c>serious_concern</c> or <c>order</c>) permits only when one
        /// of its conditions is asserted, and its basis names the condition
        /// (<see cref="Basis.Condition"/>); otherwise the category is denied
        /// <see cref="DenialReason.ConditionNotAsserted"/>, unless a consent covers it. A null
        /// or empty list asserts nothing. Nothing is recorded.</summary>
        /// <exception cref="UnknownCodeException">A condition the catalogue does not declare.</exception>
        /// <exception cref="InvalidInputException">A reference that is empty, too long or holds a
        /// national id, or a condition or reference left null.</exception>
        /// <exception cref="NullArgumentException">A null entry in <paramref name="assertions"/>.</exception>
        public Decision Decide(string subject, string recipient, string purpose,
            IReadOnlyList<string> categories, DateTimeOffset at, IReadOnlyList<Assertion> assertions)
        {
            byte[] assertionsJson = Assertion.ToNative(assertions);
            using (var nativeCategories = new NativeStrings(categories, "categories"))
            {
                DecisionHandle decision;
                Native.Check(Native.consent_ledger_decide_asserted(handle, Utf8.ToNative(subject, "subject"),
                    Utf8.ToNative(recipient, "recipient"), Utf8.ToNative(purpose, "purpose"),
                    nativeCategories.Pointers, nativeCategories.Count, assertionsJson, Time.UnixMs(at),
                    out decision));
                return new Decision(decision);
            }
        }

        /// <summary>Decides as <see cref="Decide(string, string, string, IReadOnlyList{string}, DateTimeOffset)"/>
        /// does and returns only the verdict; cheaper when the basis is not needed.</summary>
        public bool Permits(string subject, string recipient, string purpose,
            IReadOnlyList<string> categories, DateTimeOffset at)
        {
            using (var nativeCategories = new NativeStrings(categories, "categories"))
            {
                byte permitted;
                Native.Check(Native.consent_ledger_permits(handle, Utf8.ToNative(subject, "subject"),
                    Utf8.ToNative(recipient, "recipient"), Utf8.ToNative(purpose, "purpose"),
                    nativeCategories.Pointers, nativeCategories.Count, Time.UnixMs(at), out permitted));
                return permitted != 0;
            }
        }

        /// <summary>Decides a disclosure and, when it is permitted, records it with each
        /// category's basis. Returns the permitting decision.</summary>
        /// <exception cref="NotPermittedException">The decision denies; nothing was recorded.</exception>
        public Decision RecordDisclosure(string subject, string recipient, string purpose,
            IReadOnlyList<string> categories, DateTimeOffset at, Actor actor)
        {
            using (var nativeCategories = new NativeStrings(categories, "categories"))
            {
                DecisionHandle decision;
                Native.Check(Native.consent_ledger_record_disclosure(handle, Utf8.ToNative(subject, "subject"),
                    Utf8.ToNative(recipient, "recipient"), Utf8.ToNative(purpose, "purpose"),
                    nativeCategories.Pointers, nativeCategories.Count, Time.UnixMs(at),
                    Actor.ToNative(actor), out decision));
                return new Decision(decision);
            }
        }

        /// <summary>Records a disclosure as <see cref="RecordDisclosure(string, string, string, IReadOnlyList{string}, DateTimeOffset, Actor)"/>
        /// does, with the conditions the requester asserts (as
        /// <see cref="Decide(string, string, string, IReadOnlyList{string}, DateTimeOffset, IReadOnlyList{Assertion})"/>
        /// reads them): the recorded event keeps the assertions, and each category's basis the
        /// condition it relied on. Returns the permitting decision.</summary>
        /// <exception cref="NotPermittedException">The decision denies (for example
        /// <see cref="DenialReason.ConditionNotAsserted"/>); nothing was recorded.</exception>
        /// <exception cref="UnknownCodeException">A condition the catalogue does not declare.</exception>
        public Decision RecordDisclosure(string subject, string recipient, string purpose,
            IReadOnlyList<string> categories, DateTimeOffset at, Actor actor, IReadOnlyList<Assertion> assertions)
        {
            byte[] assertionsJson = Assertion.ToNative(assertions);
            using (var nativeCategories = new NativeStrings(categories, "categories"))
            {
                DecisionHandle decision;
                Native.Check(Native.consent_ledger_record_disclosure_asserted(handle,
                    Utf8.ToNative(subject, "subject"), Utf8.ToNative(recipient, "recipient"),
                    Utf8.ToNative(purpose, "purpose"), nativeCategories.Pointers, nativeCategories.Count,
                    assertionsJson, Time.UnixMs(at), Actor.ToNative(actor), out decision));
                return new Decision(decision);
            }
        }

        /// <summary>Records historical consents, a migration of paper records, in one durable
        /// write: all or none. Each entry of <paramref name="grantJsons"/> is one grant document,
        /// as <see cref="Grant"/> takes it; historical grants may start long before they are
        /// recorded (an ordinary grant may not: see <see cref="LedgerOptions.Clock"/>) and are
        /// marked <c>migrated</c>. Only the roles the catalogue's <c>migration_roles</c> names
        /// (by default <c>dpo</c> and <c>archivist</c>) may migrate. Returns the new grant ids,
        /// in the order of the documents.</summary>
        /// <exception cref="NotPermittedException">The actor's role may not migrate.</exception>
        /// <exception cref="InvalidInputException">A document that is malformed or not one JSON
        /// object, or refused as <see cref="Grant"/> refuses it (the message names the index of
        /// the first bad grant); more than 100,000 grants in one call.</exception>
        /// <exception cref="NullArgumentException">A null list, entry or actor.</exception>
        public IReadOnlyList<Guid> GrantHistorical(IReadOnlyList<string> grantJsons, Actor actor)
        {
            IntPtr json;
            Native.Check(Native.consent_ledger_grant_historical(handle, GrantDocuments.ToNative(grantJsons),
                Actor.ToNative(actor), out json));
            var ids = new List<Guid>();
            foreach (object id in (Json.Parse(Utf8.Take(json)) as List<object>) ?? NotAList("grant ids"))
            {
                string text = id as string;
                if (text == null)
                {
                    throw new InvalidOperationException("the library's grant ids hold a value that is not an id");
                }
                ids.Add(Ids.Parse(text));
            }
            return ids.AsReadOnly();
        }

        /// <summary>Sets the clock of a ledger opened with a test clock
        /// (<see cref="LedgerOptions.Clock"/>, in test mode): what it stamps events with and
        /// judges backdating by. For tests and training ledgers that keep fixed dates.</summary>
        /// <exception cref="NotPermittedException">The ledger runs on the system clock.</exception>
        /// <exception cref="InvalidInputException">An instant the ledger cannot store.</exception>
        public void SetClock(DateTimeOffset at)
        {
            Native.Check(Native.consent_ledger_set_clock(handle, Time.UnixMs(at)));
        }

        /// <summary>Walks the hash chain.</summary>
        public VerifyReport Verify()
        {
            IntPtr json;
            Native.Check(Native.consent_ledger_verify(handle, out json));
            return new VerifyReport(JsonObject.Parse(Utf8.Take(json), "verify report"));
        }

        /// <summary>The keyed pseudonym (32 hex digits) under which the subject's events are
        /// recorded, and by which re-consent items and exports name the subject: compute it for
        /// your clients to match those items to them. Only comparable within one ledger (it
        /// depends on the ledger's key). Nothing is recorded.</summary>
        public string Pseudonym(string subject)
        {
            IntPtr pseudonym;
            Native.Check(Native.consent_ledger_pseudonym(handle, Utf8.ToNative(subject, "subject"), out pseudonym));
            return Utf8.Take(pseudonym);
        }

        /// <summary>Everything the ledger holds about the subject (GDPR Art. 15), as the JSON
        /// document of schema <c>consent-export/1</c> (the subject appears by pseudonym); for a
        /// person the ledger holds nothing about, one whose <c>status</c> is
        /// <c>nothing_held</c>. The export is a read of the person's data: the actor's role must
        /// be permitted <c>export</c>, and the read is recorded with
        /// <paramref name="lookupPurpose"/> before the export is built. Its <c>accesses</c> list
        /// who looked (date, role, operation, purpose), this export included.</summary>
        /// <exception cref="NotPermittedException">A role without <c>export</c>.</exception>
        /// <exception cref="UnknownCodeException">A role the catalogue does not have.</exception>
        /// <exception cref="InvalidInputException">An empty or over-long purpose, or one holding
        /// a national id.</exception>
        public string SubjectExport(string subject, Actor actor, string lookupPurpose)
        {
            IntPtr json;
            Native.Check(Native.consent_ledger_subject_export_as(handle, Utf8.ToNative(subject, "subject"),
                Actor.ToNative(actor), Utf8.ToNative(lookupPurpose, "lookup_purpose"), out json));
            return Utf8.Take(json);
        }

        /// <summary>The subject's events (and those of the ids they had before) as a JSON array,
        /// subjects by pseudonym. Recorded as an access by <paramref name="actor"/> (a role
        /// permitted <c>subject_events</c>) before they are read, so the array ends with
        /// it.</summary>
        public string SubjectEvents(string subject, Actor actor, string lookupPurpose)
        {
            IntPtr json;
            Native.Check(Native.consent_ledger_subject_events(handle, Utf8.ToNative(subject, "subject"),
                Actor.ToNative(actor), Utf8.ToNative(lookupPurpose, "lookup_purpose"), out json));
            return Utf8.Take(json);
        }

        /// <summary>Walks the hash chain for an actor whose role is permitted <c>verify</c>
        /// (an auditor's).</summary>
        /// <exception cref="NotPermittedException">A role without <c>verify</c>.</exception>
        public VerifyReport Verify(Actor actor)
        {
            IntPtr json;
            Native.Check(Native.consent_ledger_verify_as(handle, Actor.ToNative(actor), out json));
            return new VerifyReport(JsonObject.Parse(Utf8.Take(json), "verify report"));
        }

        /// <summary>Decides as <see cref="Decide(string, string, string, IReadOnlyList{string}, DateTimeOffset, IReadOnlyList{Assertion})"/>
        /// does, and records the decision as an access to the person's data by
        /// <paramref name="actor"/> (a role permitted <c>decide_logged</c>) for
        /// <paramref name="lookupPurpose"/>; the decision is returned once that record is
        /// durable. Required when the catalogue sets <c>log_all_decisions</c>.</summary>
        public Decision DecideLogged(string subject, string recipient, string purpose,
            IReadOnlyList<string> categories, DateTimeOffset at, IReadOnlyList<Assertion> assertions,
            Actor actor, string lookupPurpose)
        {
            byte[] assertionsJson = Assertion.ToNative(assertions);
            using (var nativeCategories = new NativeStrings(categories, "categories"))
            {
                DecisionHandle decision;
                Native.Check(Native.consent_ledger_decide_logged(handle, Utf8.ToNative(subject, "subject"),
                    Utf8.ToNative(recipient, "recipient"), Utf8.ToNative(purpose, "purpose"),
                    nativeCategories.Pointers, nativeCategories.Count, assertionsJson, Time.UnixMs(at),
                    Actor.ToNative(actor), Utf8.ToNative(lookupPurpose, "lookup_purpose"), out decision));
                return new Decision(decision);
            }
        }

        /// <summary>Registers an access request (GDPR Art. 15) received at
        /// <paramref name="receivedAt"/>; it is due one month later.</summary>
        public AccessRequest RegisterAccessRequest(string subject, DateTimeOffset receivedAt, Actor actor)
        {
            IntPtr json;
            Native.Check(Native.consent_ledger_register_access_request(handle, Utf8.ToNative(subject, "subject"),
                Time.UnixMs(receivedAt), Actor.ToNative(actor), out json));
            return new AccessRequest(JsonObject.Parse(Utf8.Take(json), "access request"));
        }

        /// <summary>Corrects one field of one of the subject's grants (GDPR Art. 16) without
        /// rewriting history: decisions from now on use the corrected value, earlier ones stand.
        /// Returns the rectification's record id.</summary>
        public Guid Rectify(string subject, Guid grantId, Correction correction, string reason, Actor actor)
        {
            IntPtr id;
            Native.Check(Native.consent_ledger_rectify(handle, Utf8.ToNative(subject, "subject"),
                Ids.ToNative(grantId, "grant_id"), correction == null ? null : correction.ToNative(),
                Utf8.ToNative(reason, "reason"), Actor.ToNative(actor), out id));
            return Ids.Parse(Utf8.Take(id));
        }

        /// <summary>Evaluates an erasure request (GDPR Art. 17) at the ledger's clock. Consent
        /// forms and disclosure records are archival material (arkivlova 2025 § 5), so nothing is
        /// destroyed now: every active grant is withdrawn (reason <c>erasure_request</c>), the
        /// subject's processing is restricted, and the outcome says when kassasjon is due
        /// (<see cref="ErasureOutcome.KassasjonDueAt"/>). <see cref="ExecuteKassasjon"/> then
        /// crypto-shreds.</summary>
        /// <exception cref="NotFoundException">The ledger holds nothing about the subject.</exception>
        /// <exception cref="ConflictException">Erasure was already requested, or the subject is
        /// erased.</exception>
        public ErasureOutcome RequestErasure(string subject, Actor actor)
        {
            IntPtr json;
            Native.Check(Native.consent_ledger_request_erasure(handle, Utf8.ToNative(subject, "subject"),
                Actor.ToNative(actor), out json));
            return new ErasureOutcome(JsonObject.Parse(Utf8.Take(json), "erasure outcome"));
        }

        /// <summary>Restricts the processing of the subject's data from <paramref name="at"/> on a
        /// ground of GDPR Art. 18(1). While restricted, consent-based disclosures are still
        /// permitted (Art. 18(2)); statutory ones are denied <see cref="DenialReason.Restricted"/>
        /// unless the catalogue marks their rule <c>continues_under_restriction</c>. Returns the
        /// record id.</summary>
        /// <exception cref="InvalidInputException">A ground that is not one of
        /// <see cref="RestrictionGround"/>'s, or an instant the ledger cannot store.</exception>
        /// <exception cref="ConflictException">Already restricted on that ground.</exception>
        public Guid Restrict(string subject, RestrictionGround ground, DateTimeOffset at, Actor actor)
        {
            IntPtr id;
            Native.Check(Native.consent_ledger_restrict(handle, Utf8.ToNative(subject, "subject"),
                Utf8.ToNative(RestrictionGrounds.Code(ground), "ground"), Time.UnixMs(at), Actor.ToNative(actor),
                out id));
            return Ids.Parse(Utf8.Take(id));
        }

        /// <summary>Lifts every restriction of the subject in force, from <paramref name="at"/>;
        /// tell the person first (GDPR Art. 18(3)). <paramref name="reason"/> (required, no
        /// national id) says why. Returns the record id.</summary>
        /// <exception cref="NotFoundException">No restriction is in force.</exception>
        /// <exception cref="InvalidInputException">An empty reason, or an instant before the
        /// restriction began.</exception>
        public Guid LiftRestriction(string subject, DateTimeOffset at, string reason, Actor actor)
        {
            IntPtr id;
            Native.Check(Native.consent_ledger_lift_restriction(handle, Utf8.ToNative(subject, "subject"),
                Time.UnixMs(at), Utf8.ToNative(reason, "reason"), Actor.ToNative(actor), out id));
            return Ids.Parse(Utf8.Take(id));
        }

        /// <summary>Records the subject's objection (GDPR Art. 21(1)) to processing for
        /// <paramref name="purpose"/> from <paramref name="at"/>: every basis of the purpose whose
        /// GDPR gate is Art. 6(1)(e) is then denied <see cref="DenialReason.Objected"/> until
        /// <see cref="ResolveObjection"/> rejects the objection. A consent that is itself the
        /// Art. 6(1)(a) basis is untouched. Returns the objection's id.</summary>
        /// <exception cref="UnknownCodeException">A purpose not in the catalogue.</exception>
        /// <exception cref="InvalidInputException">A purpose with no Art. 6(1)(e) basis.</exception>
        /// <exception cref="ConflictException">An objection to the purpose is unresolved.</exception>
        public Guid Object(string subject, string purpose, DateTimeOffset at, Actor actor)
        {
            IntPtr id;
            Native.Check(Native.consent_ledger_object(handle, Utf8.ToNative(subject, "subject"),
                Utf8.ToNative(purpose, "purpose"), Time.UnixMs(at), Actor.ToNative(actor), out id));
            return Ids.Parse(Utf8.Take(id));
        }

        /// <summary>Resolves an objection from <paramref name="at"/>:
        /// <see cref="ObjectionOutcome.Upheld"/> keeps the processing for the purpose stopped,
        /// <see cref="ObjectionOutcome.Rejected"/> resumes it. Returns the record id.</summary>
        /// <exception cref="NotFoundException">No such objection.</exception>
        /// <exception cref="ConflictException">Already resolved.</exception>
        /// <exception cref="InvalidInputException">An outcome that is not one of
        /// <see cref="ObjectionOutcome"/>'s, an empty reason, or an instant before the
        /// objection.</exception>
        public Guid ResolveObjection(Guid objectionId, ObjectionOutcome outcome, DateTimeOffset at, string reason,
            Actor actor)
        {
            IntPtr id;
            Native.Check(Native.consent_ledger_resolve_objection(handle, Ids.ToNative(objectionId, "objection_id"),
                Utf8.ToNative(ObjectionOutcomes.Code(outcome), "outcome"), Time.UnixMs(at),
                Utf8.ToNative(reason, "reason"), Actor.ToNative(actor), out id));
            return Ids.Parse(Utf8.Take(id));
        }

        /// <summary>The subjects (by pseudonym) whose erasure was requested and whose records'
        /// retention has ended by <paramref name="at"/>, sorted by due date.</summary>
        public IReadOnlyList<KassasjonDue> ErasureDue(DateTimeOffset at)
        {
            IntPtr json;
            Native.Check(Native.consent_ledger_erasure_due(handle, Time.UnixMs(at), out json));
            var items = new List<KassasjonDue>();
            foreach (object item in (Json.Parse(Utf8.Take(json)) as List<object>) ?? NotAList("kassasjon worklist"))
            {
                items.Add(new KassasjonDue(new JsonObject(item, "kassasjon item")));
            }
            return items.AsReadOnly();
        }

        /// <summary>Kassasjon: crypto-shreds the subject's personal payloads (the chain still
        /// verifies) once their erasure was requested and their records' retention has ended,
        /// judged by the ledger's own clock. Backups made before it still hold the wrapped key:
        /// keep them no longer than the operations guide says.</summary>
        /// <exception cref="NotPermittedException">The retention has not ended, never ends, or no
        /// erasure was requested.</exception>
        /// <exception cref="ConflictException">Already erased.</exception>
        public ErasureOutcome ExecuteKassasjon(string subject, Actor actor)
        {
            IntPtr json;
            Native.Check(Native.consent_ledger_execute_kassasjon(handle, Utf8.ToNative(subject, "subject"),
                Actor.ToNative(actor), out json));
            return new ErasureOutcome(JsonObject.Parse(Utf8.Take(json), "kassasjon outcome"));
        }

        /// <summary>Aggregate counts with small cells suppressed, by whole periods of the
        /// catalogue's <c>statistics_period</c> (a quarter by default, in Norwegian local time),
        /// so that no two answers overlap and none can be subtracted from another: events
        /// recorded in each period by purpose and recipient, each period's totals, and the grants
        /// active at each period's end. <paramref name="fromPeriod"/> and
        /// <paramref name="toPeriod"/> name the first and last period counted (both included), as
        /// <c>2026-Q1</c>, <c>2026-03</c> or <c>2026</c> for a catalogue that counts by quarter,
        /// month or year; without them, every period from the first event's to the one under way.
        /// <paramref name="minCell"/> may only raise the catalogue's threshold.
        /// <paramref name="actor"/> is who asks: a role that may <c>statistics</c> (the auditor,
        /// the DPO; not a case worker).</summary>
        /// <exception cref="NotPermittedException">A role without <c>statistics</c>.</exception>
        /// <exception cref="InvalidInputException">A period that is not a whole period of the
        /// catalogue's kind (an instant, for one), a <paramref name="toPeriod"/> before
        /// <paramref name="fromPeriod"/>, or a threshold below the catalogue's.</exception>
        public Statistics Statistics(Actor actor, string fromPeriod = null, string toPeriod = null, long? minCell = null)
        {
            byte[] query = null;
            if (fromPeriod != null || toPeriod != null || minCell.HasValue)
            {
                query = Utf8.ToNative(Json.Object(
                    Json.Member("from", fromPeriod == null ? null : Json.Quote(fromPeriod)),
                    Json.Member("to", toPeriod == null ? null : Json.Quote(toPeriod)),
                    Json.Member("min_cell", minCell.HasValue
                        ? minCell.Value.ToString(System.Globalization.CultureInfo.InvariantCulture) : null)),
                    "query_json");
            }
            IntPtr json;
            Native.Check(Native.consent_ledger_statistics_as(handle, query, Actor.ToNative(actor), out json));
            return new Statistics(JsonObject.Parse(Utf8.Take(json), "statistics"));
        }

        /// <summary>The re-consent worklist: grants active at <paramref name="at"/> that stop
        /// covering disclosures within <paramref name="window"/>, sorted by due date. Subjects
        /// appear by pseudonym (see <see cref="Pseudonym"/>).</summary>
        public IReadOnlyList<ReconsentItem> ReconsentDue(DateTimeOffset at, TimeSpan window)
        {
            IntPtr json;
            Native.Check(Native.consent_ledger_reconsent_due(handle, Time.UnixMs(at), Time.Ms(window), out json));
            var items = new List<ReconsentItem>();
            foreach (object item in (Json.Parse(Utf8.Take(json)) as List<object>) ?? NotAList("re-consent worklist"))
            {
                items.Add(new ReconsentItem(new JsonObject(item, "re-consent item")));
            }
            return items.AsReadOnly();
        }

        private static List<object> NotAList(string what)
        {
            throw new InvalidOperationException("the library's " + what + " is not a list");
        }
    }

    /// <summary>The library's version and the names of its result codes.</summary>
    public static class Library
    {
        /// <summary>The native library's versions, for example
        /// <c>consent-ffi 0.2.0 (consent-core 0.2.0)</c>.</summary>
        public static string Version
        {
            get { return Utf8.FromStatic(Native.consent_version()); }
        }

        /// <summary>The stable snake_case name of a result code (<c>ok</c>, <c>invalid_input</c>,
        /// ...), or <c>unknown</c>.</summary>
        public static string ResultName(ResultCode code)
        {
            return Utf8.FromStatic(Native.consent_result_str((uint)code));
        }
    }

    /// <summary>Record ids between <see cref="Guid"/> and the library's UUID text.</summary>
    internal static class Ids
    {
        internal static byte[] ToNative(Guid id, string name)
        {
            return Utf8.ToNative(id.ToString("D"), name);
        }

        internal static Guid Parse(string text)
        {
            Guid id;
            if (!Guid.TryParseExact(text, "D", out id))
            {
                throw new InvalidOperationException("the library returned an id that is not a UUID");
            }
            return id;
        }
    }
}
