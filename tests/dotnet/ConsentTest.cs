// Tests of the C# library (bindings/dotnet, namespace Consent) on Mono: every method of the
// public API, and every result code that can reach .NET, each provoked for real (PANIC, which
// no input can provoke, through the code-to-exception map). Run with scripts/test-dotnet.sh;
// prints "N passed, N failed" as its last line and exits non-zero on a failure.
//
// Test ledgers run in test mode on a test clock that starts at 2026-01-05T10:00Z, the morning
// the fixtures' grants start (a consent dated more than 30 days before it is recorded is
// refused); production-only behaviour is checked on production ledgers of its own.
using System;
using System.Collections.Generic;
using System.IO;
using System.Text;
using System.Threading;
using Consent;

static class ConsentTest
{
    const string Adult = "15038510190";          // born 1985-03-15 (the project's example number)
    const string Child = "01061250073";          // born 2012-06-01, turns 18 on 2030-06-01
    const string BadFnr = "15038510191";         // Adult with a wrong control digit
    const string Actor17 = "saksbehandler-17";
    static readonly Actor Archivist = new Actor("arkivar-1", "archivist");
    static readonly Actor Auditor = new Actor("revisor-1", "auditor");
    const string Lookup = "sak 2026/55: test";
    static readonly Actor CaseWorker = new Actor(Actor17, "case_worker");
    static readonly DateTimeOffset March2026 = new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);
    static readonly DateTimeOffset May2026 = new DateTimeOffset(2026, 5, 1, 12, 0, 0, TimeSpan.Zero);
    static readonly DateTimeOffset June2026 = new DateTimeOffset(2026, 6, 1, 0, 0, 0, TimeSpan.Zero);
    static readonly DateTimeOffset July2026 = new DateTimeOffset(2026, 7, 1, 12, 0, 0, TimeSpan.Zero);
    static readonly DateTimeOffset September2026 = new DateTimeOffset(2026, 9, 1, 10, 0, 0, TimeSpan.Zero);
    static readonly DateTimeOffset May2030 = new DateTimeOffset(2030, 5, 1, 12, 0, 0, TimeSpan.Zero);
    /// <summary>When the test ledgers' clock starts: the morning the fixtures' grants start
    /// (2026-01-05T09:00Z), since a consent dated more than 30 days before it is recorded is
    /// refused. Tests that need a later "now" move the clock with Ledger.SetClock.</summary>
    static readonly DateTimeOffset Clock = new DateTimeOffset(2026, 1, 5, 10, 0, 0, TimeSpan.Zero);
    static readonly string[] Health = { "health" };
    static readonly string[] Nir = { "name", "national_id" };

    /// <summary>Options of a test ledger: test mode, its clock at <see cref="Clock"/>.</summary>
    static LedgerOptions TestOptions()
    {
        return new LedgerOptions { TestMode = true, Clock = Clock };
    }

    /// <summary>An in-memory test ledger whose clock reads <see cref="Clock"/>.</summary>
    static Ledger NewLedger()
    {
        return Ledger.InMemory(TestOptions());
    }

    /// <summary>The events the test's own calls recorded. A new ledger's first event records
    /// the adoption of its catalogue (CaseworkTest checks that it is exactly one event, and that
    /// an adoption adds one); the C# API lists no events by kind, so that one is left out here.
    /// Only for ledgers that adopted no other catalogue.</summary>
    static long Recorded(Ledger ledger)
    {
        return ledger.EventCount - 1;
    }

    static int passed, failed;
    static readonly HashSet<ResultCode> provoked = new HashSet<ResultCode>();

    static void Check(bool condition, string what)
    {
        if (condition)
        {
            passed++;
        }
        else
        {
            failed++;
            Console.Error.WriteLine("FAIL: " + what);
        }
    }

    /// <summary>Runs an action that must throw T with the given code, a message that names no
    /// national id, and no event recorded.</summary>
    static T Throws<T>(string what, ResultCode code, Ledger ledger, Action action) where T : ConsentException
    {
        long before = ledger == null ? 0 : ledger.EventCount;
        try
        {
            action();
            Check(false, what + ": no exception, expected " + typeof(T).Name);
            return null;
        }
        catch (ConsentException e)
        {
            bool right = e.GetType() == typeof(T) && e.Code == code;
            Check(right, what + ": " + e.GetType().Name + " (" + e.Code + "), expected " + typeof(T).Name
                + " (" + code + "): " + e.Message);
            Check(e.Message.Length > 0 && !e.Message.Contains(Adult) && !e.Message.Contains(BadFnr)
                && !e.Message.Contains(Child), what + ": the message names no national id: " + e.Message);
            Check(e.CodeName == Library.ResultName(code), what + ": CodeName " + e.CodeName);
            if (ledger != null)
            {
                Check(ledger.EventCount == before, what + ": nothing recorded");
            }
            if (right)
            {
                provoked.Add(code);
            }
            return e as T;
        }
    }

    static string GrantJson(string subject, string grantor, string purpose, string recipient,
        string categories, bool isExplicit, string validFrom = "2026-01-05T09:00:00Z", string extra = "")
    {
        return "{" + extra + "\"subject\": \"" + subject + "\", \"grantor\": " + grantor + ","
            + " \"purposes\": [\"" + purpose + "\"], \"recipients\": [\"" + recipient + "\"],"
            + " \"categories\": [" + categories + "], \"explicit\": " + (isExplicit ? "true" : "false") + ","
            + " \"valid_from\": \"" + validFrom + "\", \"valid_until\": null,"
            + " \"evidence\": {\"method\": \"signed_paper\", \"reference\": \"2026/1234\","
            + " \"language\": \"uk\", \"interpreter\": true},"
            + " \"notice\": {\"id\": \"bosetting-personvern\", \"version\": \"2024-10-16\"}}";
    }

    const string Self = "{\"role\": \"self\"}";
    /// <summary>A representative's grant for a child of 12 or older records that the child was
    /// heard (the <c>extra</c> of <see cref="GrantJson"/>).</summary>
    const string ChildHeard = "\"child_heard\": {\"at\": \"2026-01-04T12:00:00Z\", \"position\": \"agrees\","
        + " \"reference\": \"2026/1233\"}, ";
    static readonly string Verge = "{\"role\": \"verge\", \"id\": \"" + Adult
        + "\", \"authority\": \"statsforvalteren 2025/77\"}";

    static string HealthGrant()
    {
        return GrantJson(Adult, Self, "health_coordination", "laeringssenteret", "\"health\"", true);
    }

    static string Rfc3339(DateTimeOffset at)
    {
        return at.UtcDateTime.ToString("yyyy'-'MM'-'dd'T'HH':'mm':'ss'Z'", System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>A valid national id for a person born on ddmmyy (19xx, individual numbers
    /// 000-499): the first individual number from start with both mod-11 control digits.</summary>
    static string Fnr(string ddmmyy, int start)
    {
        int[] w1 = { 3, 7, 6, 1, 8, 9, 4, 5, 2 };
        int[] w2 = { 5, 4, 3, 2, 7, 6, 5, 4, 3, 2 };
        for (int individual = start; individual < 500; individual++)
        {
            string nine = ddmmyy + individual.ToString("000");
            int[] d = new int[11];
            for (int i = 0; i < 9; i++) d[i] = nine[i] - '0';
            int s1 = 0;
            for (int i = 0; i < 9; i++) s1 += w1[i] * d[i];
            int k1 = (11 - s1 % 11) % 11;
            if (k1 == 10) continue;
            d[9] = k1;
            int s2 = 0;
            for (int i = 0; i < 10; i++) s2 += w2[i] * d[i];
            int k2 = (11 - s2 % 11) % 11;
            if (k2 == 10) continue;
            return nine + k1 + k2;
        }
        throw new InvalidOperationException("no valid number for " + ddmmyy);
    }

    static void TestVersionAndNames()
    {
        Check(Fnr("150385", 101) == Adult, "the number generator reproduces the example number");
        string version = Library.Version;
        Check(version.StartsWith("consent-ffi ") && version.Contains(" (consent-core ") && version.EndsWith(")"),
            "Library.Version: " + version);
        Check(Library.ResultName(ResultCode.Ok) == "ok", "ResultName(Ok)");
        Check(Library.ResultName(ResultCode.InvalidNationalId) == "invalid_national_id", "ResultName(InvalidNationalId)");
        Check(Library.ResultName((ResultCode)77) == "unknown", "ResultName of an unknown value");
        // Every code the native library names is a ResultCode, and the other way round.
        for (uint value = 0; value < 300; value++)
        {
            bool named = Library.ResultName((ResultCode)value) != "unknown";
            Check(named == Enum.IsDefined(typeof(ResultCode), value), "ResultCode and the library agree on " + value);
        }
    }

    static void TestExceptionMap()
    {
        var expected = new Dictionary<ResultCode, Type>
        {
            { ResultCode.InvalidInput, typeof(InvalidInputException) },
            { ResultCode.InvalidNationalId, typeof(InvalidNationalIdException) },
            { ResultCode.UnknownCode, typeof(UnknownCodeException) },
            { ResultCode.NotFound, typeof(NotFoundException) },
            { ResultCode.Conflict, typeof(ConflictException) },
            { ResultCode.NotPermitted, typeof(NotPermittedException) },
            { ResultCode.InvalidCatalogue, typeof(InvalidCatalogueException) },
            { ResultCode.Storage, typeof(StorageException) },
            { ResultCode.Integrity, typeof(IntegrityException) },
            { ResultCode.KeyMismatch, typeof(KeyMismatchException) },
            { ResultCode.Locked, typeof(LockedException) },
            { ResultCode.UnsupportedVersion, typeof(UnsupportedVersionException) },
            { ResultCode.NullArgument, typeof(NullArgumentException) },
            { ResultCode.InvalidUtf8, typeof(InvalidUtf8Exception) },
            { ResultCode.Panic, typeof(PanicException) },
        };
        foreach (ResultCode code in Enum.GetValues(typeof(ResultCode)))
        {
            if (code == ResultCode.Ok) continue;
            ConsentException e = ConsentException.Create(code, "message");
            Type type;
            Check(expected.TryGetValue(code, out type) && e.GetType() == type && e.Code == code
                && e.Message == "message", "the exception of " + code + " is " + e.GetType().Name);
        }
        Check(new InvalidNationalIdException("x") is InvalidInputException, "a bad national id is bad input");
        // A code added to the library later is still an error.
        ConsentException later = ConsentException.Create((ResultCode)103, "new");
        Check(later.GetType() == typeof(ConsentException) && (uint)later.Code == 103, "an unknown code");
        // PANIC cannot be provoked: the library has no input that panics.
        Check(ConsentException.Create(ResultCode.Panic, "boom") is PanicException, "PANIC's class");
    }

    static void TestDecisions()
    {
        using (Ledger ledger = NewLedger())
        {
            Check(Recorded(ledger) == 0, "a new ledger holds only its own catalogue");
            // A statutory permit: NIR registration needs no grant.
            using (Decision d = ledger.Decide(Adult, "nir", "nir_registration", Nir, March2026))
            {
                Check(d.Permitted, "statutory NIR permit");
                Check(d.At == March2026 && d.Recipient == "nir" && d.Purpose == "nir_registration",
                    "the decision's instant, recipient and purpose");
                Check(d.Denial == null && d.DenialName == null, "no denial");
                IReadOnlyList<CategoryOutcome> bases = d.Bases;
                Check(bases.Count == 2 && bases[0].Category == "name" && bases[1].Category == "national_id",
                    "one outcome per category, in order");
                Basis basis = bases[0].Basis;
                Check(bases[0].Permitted && bases[0].Reason == null && bases[0].ReasonName == null
                    && basis.Kind == "statute" && basis.Rule == "nir_registration"
                    && basis.Statute == "integreringsloven § 43" && basis.Art6 == "A6_1_c" && basis.Art9 == null
                    && basis.GrantId == null && basis.Explicit == null && basis.Condition == null
                    && basis.ConfidentialityException == "special_statute" && basis.ConfidentialityStatute == null,
                    "the statutory basis: both gates");
                string json = d.ToJson();
                Check(json.Contains("\"rule\":\"nir_registration\"") && !json.Contains(Adult),
                    "ToJson names the rule and not the subject");
                Check(json.Contains("integreringsloven § 43"), "ToJson decodes UTF-8");
                Check(d.ToString().StartsWith("Decision(permitted, nir for nir_registration at 2026-03-01T12:00:00Z"),
                    "ToString: " + d.ToString());
            }
            Check(ledger.Permits(Adult, "nir", "nir_registration", Nir, March2026), "Permits: statutory");

            // Health data needs explicit consent.
            using (Decision d = ledger.Decide(Adult, "laeringssenteret", "health_coordination", Health, March2026))
            {
                Check(!d.Permitted && d.Denial == DenialReason.NoBasis && d.DenialName == "no_basis"
                    && d.Bases[0].Reason == DenialReason.NoBasis && d.Bases[0].ReasonName == "no_basis"
                    && d.Bases[0].Basis == null, "health denied without consent");
                Check(d.ToString().Contains("denied: no_basis"), "ToString of a denial");
            }
            Check(!ledger.Permits(Adult, "laeringssenteret", "health_coordination", Health, March2026),
                "Permits: no basis");

            Guid grantId = ledger.Grant(HealthGrant(), CaseWorker);
            Check(grantId != Guid.Empty, "Grant returns the grant id");
            Check(Recorded(ledger) == 1, "one event");
            using (Decision d = ledger.Decide(Adult, "laeringssenteret", "health_coordination", Health, May2026))
            {
                Basis basis = d.Bases[0].Basis;
                Check(d.Permitted && basis.Kind == "consent" && basis.GrantId == grantId
                    && basis.Explicit == true && basis.Art9 == "A9_2_a" && basis.Rule == null
                    && basis.Condition == null, "health permitted by the explicit grant");
                // Consent lifts confidentiality; the GDPR gate is the purpose's statute.
                Check(basis.ConfidentialityException == "fvl_13a_1"
                    && basis.ConfidentialityStatute == "forvaltningsloven § 13 a nr. 1"
                    && basis.Art6 == "A6_1_e" && basis.Statute == "integreringsloven § 41",
                    "the consent basis: both gates");
            }

            // Withdrawal: decisions before it stand, after it deny.
            ledger.Withdraw(grantId, June2026, CaseWorker, "the subject asked");
            Check(ledger.Permits(Adult, "laeringssenteret", "health_coordination", Health, May2026),
                "a decision before the withdrawal is unchanged");
            using (Decision d = ledger.Decide(Adult, "laeringssenteret", "health_coordination", Health, July2026))
            {
                Check(!d.Permitted && d.Denial == DenialReason.Withdrawn, "denied after the withdrawal");
                Check(d.AsOfSeq == (ulong)ledger.EventCount, "AsOfSeq: made after every event so far");
            }
            Check(Recorded(ledger) == 2, "two events");

            // A refusal is recorded with its own id.
            string refusal = "{\"subject\": \"" + Adult + "\", \"grantor\": " + Self + ","
                + " \"purposes\": [\"case_handling\"], \"recipients\": [\"imdi\"], \"categories\": [\"family\"],"
                + " \"at\": \"2026-01-05T09:30:00Z\", \"evidence\": {\"method\": \"edialog\", \"reference\": \"2026/9\","
                + " \"language\": \"uk\", \"interpreter\": false},"
                + " \"notice\": {\"id\": \"bosetting-personvern\", \"version\": \"2024-10-16\"}}";
            Guid refusalId = ledger.Refuse(refusal, CaseWorker);
            Check(refusalId != Guid.Empty && refusalId != grantId && Recorded(ledger) == 3, "Refuse");

            // Idempotency keys: a retried refusal or withdrawal writes nothing.
            string keyedRefusal = refusal.Substring(0, refusal.Length - 1) + ", \"idempotency_key\": \"avslag-9\"}";
            Guid keyedId = ledger.Refuse(keyedRefusal, CaseWorker);
            Check(ledger.Refuse(keyedRefusal, CaseWorker) == keyedId && Recorded(ledger) == 4,
                "a retried refusal returns the first id");
            Guid second = ledger.Grant(GrantJson(Adult, Self, "employment_followup", "nav", "\"finances\"", false), CaseWorker);
            ledger.WithdrawIdempotent(second, June2026, CaseWorker, "trekk-9");
            ledger.WithdrawIdempotent(second, June2026, CaseWorker, "trekk-9");
            Check(Recorded(ledger) == 6, "a retried withdrawal writes nothing");
            Throws<ConflictException>("a key used for another request", ResultCode.Conflict, ledger,
                () => ledger.WithdrawIdempotent(second, June2026, CaseWorker, "trekk-9", "other reason"));
            Throws<InvalidInputException>("an empty key", ResultCode.InvalidInput, ledger,
                () => ledger.WithdrawIdempotent(second, June2026, CaseWorker, ""));

            // A disclosure is recorded only when permitted.
            using (Decision d = ledger.RecordDisclosure(Adult, "nir", "nir_registration", Nir, March2026, CaseWorker))
            {
                Check(d.Permitted && d.Bases[0].Basis.Rule == "nir_registration", "RecordDisclosure returns the decision");
            }
            Check(Recorded(ledger) == 7, "the disclosure is recorded");
            Throws<NotPermittedException>("a denied disclosure", ResultCode.NotPermitted, ledger,
                () => ledger.RecordDisclosure(Adult, "laeringssenteret", "health_coordination", Health, July2026, CaseWorker));

            VerifyReport report = ledger.Verify();
            Check(report.Ok && report.Events == ledger.EventCount && Recorded(ledger) == 7 && report.HeadHash.Length == 64 && report.FirstBadSeq == null
                && report.Problem == null, "Verify");

            // A decision outlives its ledger... but not its own disposal.
            Decision kept = ledger.Decide(Adult, "nir", "nir_registration", Nir, March2026);
            ledger.Dispose();
            Check(kept.Permitted, "a decision stays valid after its ledger is disposed");
            kept.Dispose();
            bool threw = false;
            try { Check(!kept.Permitted, "unreachable"); } catch (ObjectDisposedException) { threw = true; }
            Check(threw, "a disposed decision throws ObjectDisposedException");
            kept.Dispose();
            Check(true, "disposing a decision twice is harmless");
            threw = false;
            try { Check(ledger.EventCount < 0, "unreachable"); } catch (ObjectDisposedException) { threw = true; }
            Check(threw, "EventCount of a disposed ledger throws ObjectDisposedException");
            threw = false;
            try { ledger.Decide(Adult, "nir", "nir_registration", Nir, March2026); } catch (ObjectDisposedException) { threw = true; }
            Check(threw, "Decide on a disposed ledger throws ObjectDisposedException");
        }
    }

    static void TestRights()
    {
        using (Ledger ledger = NewLedger())
        {
            // "Now" is 2026-09-01; the two consents were given (and recorded) 200 days before.
            DateTimeOffset now = September2026;
            DateTimeOffset given = now.AddDays(-200);
            ledger.SetClock(given.AddHours(1));
            Guid finances = ledger.Grant(GrantJson(Adult, Self, "employment_followup", "nav", "\"finances\"", false,
                Rfc3339(given)), CaseWorker);
            Guid family = ledger.Grant(GrantJson(Adult, Self, "case_handling", "bufetat", "\"family\"", false,
                Rfc3339(given)), CaseWorker);
            ledger.SetClock(now);

            // Pseudonym: stable, keyed, never the number.
            string pseudonym = ledger.Pseudonym(Adult);
            Check(pseudonym.Length == 32 && pseudonym == ledger.Pseudonym(Adult) && pseudonym != ledger.Pseudonym(Child),
                "Pseudonym: 32 hex digits, one per subject");
            using (Ledger other = NewLedger())
            {
                Check(other.Pseudonym(Adult) != pseudonym, "a pseudonym depends on the ledger's key");
            }

            // Subject export (Art. 15): the pseudonym, the grant, never the number.
            string export = ledger.SubjectExport(Adult, CaseWorker, Lookup);
            Check(export.Contains("consent-export/1") && export.Contains(pseudonym) && export.Contains(finances.ToString())
                && !export.Contains(Adult), "SubjectExport");
            // A person the ledger holds nothing on is answered too, by pseudonym.
            string stranger = Fnr("010280", 300);
            string none = ledger.SubjectExport(stranger, CaseWorker, Lookup);
            Check(none.Contains("\"status\": \"nothing_held\"") && none.Contains(ledger.Pseudonym(stranger))
                && !none.Contains(stranger), "the export of an unknown subject says nothing is held");

            // Access request (Art. 15), due one calendar month later.
            AccessRequest request = ledger.RegisterAccessRequest(Adult,
                new DateTimeOffset(2026, 1, 31, 10, 0, 0, TimeSpan.Zero), CaseWorker);
            Check(request.Id != Guid.Empty && request.ReceivedAt == new DateTimeOffset(2026, 1, 31, 10, 0, 0, TimeSpan.Zero)
                && request.DueAt == new DateTimeOffset(2026, 2, 28, 10, 0, 0, TimeSpan.Zero), "RegisterAccessRequest");
            Check(ledger.SubjectExport(Adult, CaseWorker, Lookup).Contains(request.Id.ToString()), "the export lists the request");

            // Rectification (Art. 16): decisions from now on use the corrected value.
            string[] familyCategory = { "family" };
            DateTimeOffset later = now.AddDays(100);
            Check(ledger.Permits(Adult, "bufetat", "case_handling", familyCategory, later), "open-ended before the correction");
            Guid record = ledger.Rectify(Adult, family, Correction.ValidUntil(now.AddDays(-50)), "the form gave an end date",
                CaseWorker);
            Check(record != Guid.Empty && record != family, "Rectify returns the record id");
            using (Decision d = ledger.Decide(Adult, "bufetat", "case_handling", familyCategory, later))
            {
                Check(!d.Permitted && d.Denial == DenialReason.Expired, "the corrected end holds from now on");
            }
            Check(ledger.Permits(Adult, "bufetat", "case_handling", familyCategory, now.AddDays(-20)),
                "a decision for an instant before the correction stands");
            ledger.Rectify(Adult, family, Correction.ValidUntil(null), "the end date was a typo", CaseWorker);
            Check(ledger.Permits(Adult, "bufetat", "case_handling", familyCategory, later.AddDays(1)), "ValidUntil(null) reopens");
            ledger.Rectify(Adult, family, Correction.EvidenceReference("2026/1235"), "typing error", CaseWorker);
            ledger.Rectify(Adult, family, Correction.ValidFrom(now.AddDays(-150)), "signed later", CaseWorker);
            Check(ledger.SubjectExport(Adult, CaseWorker, Lookup).Contains("2026/1235"), "the corrected evidence reference");
            Check(Correction.ValidFrom(new DateTimeOffset(2026, 1, 5, 10, 0, 0, TimeSpan.FromHours(1))).ToString()
                == "{\"field\": \"valid_from\", \"value\": \"2026-01-05T09:00:00Z\"}", "Correction in UTC");
            Throws<NotFoundException>("rectifying a grant that is not the subject's", ResultCode.NotFound, ledger,
                () => ledger.Rectify(Adult, Guid.NewGuid(), Correction.EvidenceReference("x"), "typo", CaseWorker));

            // Re-consent: a verge's grant for a child lapses at 18; the item names the pseudonym.
            Guid childGrant = ledger.Grant(GrantJson(Child, Verge, "case_handling", "nav", "\"family\"", false,
                Rfc3339(now.AddHours(-1)), ChildHeard), CaseWorker);
            IReadOnlyList<ReconsentItem> due = ledger.ReconsentDue(May2030, TimeSpan.FromDays(60));
            Check(due.Count == 1 && due[0].GrantId == childGrant && due[0].Subject == ledger.Pseudonym(Child)
                && due[0].Reason == "comes_of_age" && due[0].DueAt == new DateTimeOffset(2030, 5, 31, 22, 0, 0, TimeSpan.Zero)
                && due[0].Purposes[0] == "case_handling" && due[0].Recipients[0] == "nav"
                && due[0].Categories[0] == "family", "ReconsentDue matches the child by pseudonym");
            Check(ledger.ReconsentDue(May2030, TimeSpan.FromDays(10)).Count == 0, "nothing due within 10 days");
            Throws<InvalidInputException>("a negative window", ResultCode.InvalidInput, ledger,
                () => ledger.ReconsentDue(May2030, TimeSpan.FromDays(-1)));
            using (Decision d = ledger.Decide(Child, "nav", "case_handling", familyCategory, May2030.AddDays(60)))
            {
                Check(!d.Permitted && d.Denial == DenialReason.ReconsentRequired && d.DenialName == "reconsent_required",
                    "the verge's grant no longer covers the adult");
            }

            // Erasure (Art. 17): the grants are withdrawn and processing restricted; the default
            // catalogue keeps the records for good, so kassasjon is never due.
            ErasureOutcome requested = ledger.RequestErasure(Child, Dpo);
            Check(!requested.Erased && requested.Outcome == "restricted" && requested.Withdrawn.Count == 1
                && requested.Withdrawn[0] == childGrant && requested.KassasjonDueAt == null && requested.At == now,
                "RequestErasure withdraws and restricts");
            Throws<ConflictException>("a second erasure request", ResultCode.Conflict, ledger,
                () => ledger.RequestErasure(Child, Dpo));
            Throws<NotPermittedException>("kassasjon of records kept for good", ResultCode.NotPermitted, ledger,
                () => ledger.ExecuteKassasjon(Child, Archivist));
            ledger.RecordDisclosure(Adult, "nir", "nir_registration", Nir, now, CaseWorker).Dispose();
            ErasureOutcome restricted = ledger.RequestErasure(Adult, Dpo);
            Check(!restricted.Erased && restricted.Outcome == "restricted" && restricted.Rules.Count == 1 && restricted.Rules[0] == "nir_registration"
                && restricted.Statutes.Count == 1 && new List<Guid>(restricted.Withdrawn).Contains(finances),
                "RequestErasure names the duty after an NIR disclosure");
            using (Decision d = ledger.Decide(Adult, "nav", "employment_followup", new[] { "finances" }, now.AddDays(1)))
            {
                Check(!d.Permitted && d.Denial == DenialReason.Withdrawn, "the consent is withdrawn at the request");
            }
            Check(ledger.Permits(Adult, "nir", "nir_registration", Nir, now.AddDays(1)),
                "the statutory duty continues under restriction");
            Check(ledger.Verify().Ok, "the chain still verifies");
        }
    }

    /// <summary>A grant of one category to one recipient for one purpose by each of
    /// <paramref name="count"/> new people (born 1980-02-01, individual numbers from
    /// <paramref name="individual"/> on), given an hour before <paramref name="now"/>.</summary>
    static void GrantEach(Ledger ledger, DateTimeOffset now, ref int individual, int count, string purpose,
        string recipient, string category, bool isExplicit = false)
    {
        for (int i = 0; i < count; i++)
        {
            string person = Fnr("010280", individual);
            individual = int.Parse(person.Substring(6, 3)) + 1;
            ledger.Grant(GrantJson(person, Self, purpose, recipient, "\"" + category + "\"",
                isExplicit, Rfc3339(now.AddHours(-1))), CaseWorker);
        }
    }

    static void TestStatistics()
    {
        using (Ledger ledger = NewLedger())
        {
            int person = 100;
            // 2026-Q1: five grants in one cell. 2026-Q2: one grant alone. 2026-Q3: six grants in
            // one cell and two in another.
            GrantEach(ledger, Clock, ref person, 5, "case_handling", "imdi", "family");
            DateTimeOffset april = new DateTimeOffset(2026, 4, 10, 10, 0, 0, TimeSpan.Zero);
            ledger.SetClock(april);
            GrantEach(ledger, april, ref person, 1, "employment_followup", "nav", "finances");
            ledger.SetClock(September2026);
            GrantEach(ledger, September2026, ref person, 6, "case_handling", "bufetat", "family");
            GrantEach(ledger, September2026, ref person, 2, "health_coordination", "helsetjenesten", "health", true);
            long before = ledger.EventCount;
            Check(Recorded(ledger) == 14, "fourteen grants");

            // Defaults: every quarter (the catalogue's period) from the first event's to this one.
            Statistics all = ledger.Statistics(Auditor);
            Check(all.MinCell == 5 && all.Period == "quarter" && all.Periods.Count == 3 && all.Periods[0] == "2026-Q1"
                && all.Periods[1] == "2026-Q2" && all.Periods[2] == "2026-Q3", "Statistics: the periods counted");
            StatisticsRow imdi = Row(all, "2026-Q1", "imdi");
            Check(imdi != null && imdi.Grants == 5 && imdi.Purpose == "case_handling" && imdi.Withdrawals == 0
                && imdi.Refusals == 0 && imdi.Disclosures == 0, "five grants are counted");
            StatisticsTotal q1 = Total(all, "2026-Q1");
            Check(q1 != null && q1.Grants == 5, "the total of a quarter with no suppressed cell");
            StatisticsRow nav = Row(all, "2026-Q2", "nav");
            Check(nav != null && nav.Grants == null, "one grant is suppressed (null)");
            StatisticsTotal q2 = Total(all, "2026-Q2");
            Check(q2 != null && q2.Grants == null, "a total that would give the suppressed cell away is suppressed");
            // 2026-Q3: the 2 is suppressed; the total minus the 6 would give it away, so the 6 is
            // suppressed as well and the total shown.
            StatisticsRow bufetat = Row(all, "2026-Q3", "bufetat"), health = Row(all, "2026-Q3", "helsetjenesten");
            StatisticsTotal q3 = Total(all, "2026-Q3");
            Check(health != null && health.Grants == null && bufetat != null && bufetat.Grants == null
                && q3 != null && q3.Grants == 8, "secondary suppression: " + (bufetat == null ? "no row" : "" + bufetat.Grants));
            Check(NoSuppressedCountDerivable(all), "no total minus visible cells gives a suppressed count away");

            // Active grants at the end of each quarter (now for the one under way).
            ActiveGrantCount active = null, lone = null;
            foreach (ActiveGrantCount count in all.ActiveGrants)
            {
                if (count.Period == "2026-Q2" && count.Recipient == "imdi") active = count;
                if (count.Period == "2026-Q2" && count.Recipient == "nav") lone = count;
            }
            Check(active != null && active.Count == 5 && active.Purpose == "case_handling"
                && active.At == new DateTimeOffset(2026, 6, 30, 21, 59, 59, TimeSpan.Zero).AddTicks(9999990),
                "five grants active at the end of 2026-Q2 (Norwegian local time)");
            Check(lone != null && lone.Count == null, "one active grant is suppressed (null)");

            // A raised threshold suppresses the 5 and the 6 as well.
            Statistics strict = ledger.Statistics(Auditor, null, null, 6);
            Check(strict.MinCell == 6 && strict.Periods.Count == 3, "Statistics with a query");
            foreach (StatisticsRow row in strict.Rows)
            {
                Check(row.Grants == null || row.Grants == 0 || row.Grants >= 6, "counts below 6 are suppressed");
            }
            Check(Row(strict, "2026-Q1", "imdi").Grants == null, "the 5 is suppressed under a threshold of 6");
            Statistics q1Only = ledger.Statistics(Auditor, "2026-Q1", "2026-Q1");
            Check(q1Only.Periods.Count == 1 && q1Only.Rows.Count == 1 && q1Only.Rows[0].Grants == 5,
                "one quarter: rows as before");
            Statistics none = ledger.Statistics(Auditor, "2025-Q1", "2025-Q4");
            Check(none.Periods.Count == 4 && none.Rows.Count == 0 && none.ActiveGrants.Count == 0,
                "no events in quarters before them");

            // Only whole periods of the catalogue's kind: an arbitrary window could be subtracted
            // from another.
            Throws<InvalidInputException>("an instant for a period", ResultCode.InvalidInput, ledger,
                () => ledger.Statistics(Auditor, "2026-01-01T00:00:00Z", "2026-02-15T00:00:00Z"));
            Throws<InvalidInputException>("a month where the catalogue counts quarters", ResultCode.InvalidInput, ledger,
                () => ledger.Statistics(Auditor, "2026-03"));
            Throws<InvalidInputException>("a last period before the first", ResultCode.InvalidInput, ledger,
                () => ledger.Statistics(Auditor, "2026-Q3", "2026-Q1"));
            Throws<InvalidInputException>("a threshold below the catalogue's", ResultCode.InvalidInput, ledger,
                () => ledger.Statistics(Auditor, null, null, 2));
            Throws<NotPermittedException>("a case worker's statistics", ResultCode.NotPermitted, ledger,
                () => ledger.Statistics(CaseWorker));
            Check(ledger.EventCount == before, "statistics record nothing");
        }
    }

    static StatisticsRow Row(Statistics statistics, string period, string recipient)
    {
        foreach (StatisticsRow row in statistics.Rows)
        {
            if (row.Period == period && row.Recipient == recipient) return row;
        }
        return null;
    }

    static StatisticsTotal Total(Statistics statistics, string period)
    {
        foreach (StatisticsTotal total in statistics.Totals)
        {
            if (total.Period == period) return total;
        }
        return null;
    }

    /// <summary>The differencing attack on each period's shown grant total: the total minus the
    /// visible cells pins a suppressed cell down when it is the only one suppressed, or when
    /// every suppressed cell must be exactly 1 (a suppressed count is at least 1).</summary>
    static bool NoSuppressedCountDerivable(Statistics statistics)
    {
        foreach (StatisticsTotal total in statistics.Totals)
        {
            if (total.Grants == null) continue;
            long visible = 0;
            int suppressed = 0;
            foreach (StatisticsRow row in statistics.Rows)
            {
                if (row.Period != total.Period) continue;
                if (row.Grants == null) suppressed++;
                else visible += row.Grants.Value;
            }
            if (suppressed == 1 || (suppressed > 0 && total.Grants.Value - visible == suppressed)) return false;
        }
        return true;
    }

    static void TestBadInput()
    {
        using (Ledger ledger = NewLedger())
        {
            Guid grantId = ledger.Grant(HealthGrant(), CaseWorker);
            Throws<InvalidNationalIdException>("a bad control digit", ResultCode.InvalidNationalId, ledger,
                () => ledger.Decide(BadFnr, "nir", "nir_registration", Nir, March2026));
            Throws<InvalidNationalIdException>("a bad control digit (Pseudonym)", ResultCode.InvalidNationalId, ledger,
                () => ledger.Pseudonym(BadFnr));
            Throws<InvalidNationalIdException>("a bad control digit in a grant", ResultCode.InvalidNationalId, ledger,
                () => ledger.Grant(HealthGrant().Replace(Adult, BadFnr), CaseWorker));
            Throws<UnknownCodeException>("an unknown category", ResultCode.UnknownCode, ledger,
                () => ledger.Decide(Adult, "nir", "nir_registration", new[] { "shoe_size" }, March2026));
            Throws<UnknownCodeException>("an unknown category (Permits)", ResultCode.UnknownCode, ledger,
                () => ledger.Permits(Adult, "nir", "nir_registration", new[] { "shoe_size" }, March2026));
            Throws<UnknownCodeException>("an unknown category in a grant", ResultCode.UnknownCode, ledger,
                () => ledger.Grant(HealthGrant().Replace("\"health\"]", "\"shoe_size\"]"), CaseWorker));
            Throws<InvalidInputException>("malformed JSON", ResultCode.InvalidInput, ledger,
                () => ledger.Grant("{not json", CaseWorker));
            Throws<InvalidInputException>("no category", ResultCode.InvalidInput, ledger,
                () => ledger.Decide(Adult, "nir", "nir_registration", new string[0], March2026));
            Throws<InvalidInputException>("an actor without a role", ResultCode.InvalidInput, ledger,
                () => ledger.Grant(HealthGrant(), new Actor(Actor17, null)));
            Throws<InvalidInputException>("a withdrawal before the grant takes effect", ResultCode.InvalidInput, ledger,
                () => ledger.Withdraw(grantId, new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero), CaseWorker));
            Throws<InvalidInputException>("a NUL character (C would see a shorter string)", ResultCode.InvalidInput, ledger,
                () => ledger.Decide(Adult + "\0", "nir", "nir_registration", Nir, March2026));
            Throws<UnsupportedVersionException>("grant schema version 2", ResultCode.UnsupportedVersion, ledger,
                () => ledger.Grant(GrantJson(Adult, Self, "case_handling", "imdi", "\"family\"", false, extra: "\"version\": 2, "),
                    CaseWorker));
            Throws<NotFoundException>("an unknown grant", ResultCode.NotFound, ledger,
                () => ledger.Withdraw(Guid.NewGuid(), June2026, CaseWorker));
            ledger.Withdraw(grantId, June2026, CaseWorker);
            Throws<ConflictException>("withdrawing twice", ResultCode.Conflict, ledger,
                () => ledger.Withdraw(grantId, July2026, CaseWorker));

            // Nulls reach the library, which names the argument.
            NullArgumentException e = Throws<NullArgumentException>("a null subject", ResultCode.NullArgument, ledger,
                () => ledger.Decide(null, "nir", "nir_registration", Nir, March2026));
            Check(e != null && e.Message.Contains("`subject`"), "the null argument is named");
            e = Throws<NullArgumentException>("a null category", ResultCode.NullArgument, ledger,
                () => ledger.Permits(Adult, "nir", "nir_registration", new[] { "name", null }, March2026));
            Check(e != null && e.Message.Contains("categories[1]"), "the null category is named");
            Throws<NullArgumentException>("a null actor", ResultCode.NullArgument, ledger,
                () => ledger.Grant(HealthGrant(), null));
            Throws<NullArgumentException>("a null grant document", ResultCode.NullArgument, ledger,
                () => ledger.Grant(null, CaseWorker));
            Throws<NullArgumentException>("a null correction", ResultCode.NullArgument, ledger,
                () => ledger.Rectify(Adult, grantId, null, "typo", CaseWorker));

            // A lone surrogate has no UTF-8 form: the library rejects it, naming the argument.
            InvalidUtf8Exception u = Throws<InvalidUtf8Exception>("a lone surrogate", ResultCode.InvalidUtf8, ledger,
                () => ledger.Decide(Adult, "nir\uD800", "nir_registration", Nir, March2026));
            Check(u != null && u.Message.Contains("`recipient`"), "the bad argument is named");
            Throws<InvalidUtf8Exception>("a lone surrogate in a category", ResultCode.InvalidUtf8, ledger,
                () => ledger.Decide(Adult, "nir", "nir_registration", new[] { "name", "\uDC00" }, March2026));
            Throws<InvalidUtf8Exception>("a lone surrogate in a JSON document", ResultCode.InvalidUtf8, ledger,
                () => ledger.Withdraw(Guid.NewGuid(), June2026, CaseWorker, "asked \uD83D by phone"));
            // A proper surrogate pair is fine (and reaches the library intact).
            ledger.Grant(HealthGrant().Replace("2026/1234", "2026/\U0001F600"), CaseWorker);
            Check(ledger.SubjectExport(Adult, CaseWorker, Lookup).Contains("2026/\U0001F600"), "a character outside the BMP round-trips");
            Check(ledger.Verify().Ok, "bad input left the chain intact");
        }
    }

    static readonly DateTimeOffset March1 = new DateTimeOffset(2026, 3, 1, 10, 0, 0, TimeSpan.Zero);
    static readonly Assertion[] Concern = { new Assertion("serious_concern", "2026/55") };
    static readonly string[] NameFamily = { "name", "family" };

    /// <summary>Issue 15, acceptance 1: the duty to inform the child welfare service permits only
    /// with an asserted condition, and the recorded disclosure keeps it.</summary>
    static void TestConditions()
    {
        using (Ledger ledger = NewLedger())
        {
            using (Decision d = ledger.Decide(Adult, "barnevern", "child_welfare_followup", NameFamily, March1))
            {
                Check(!d.Permitted && d.Denial == DenialReason.ConditionNotAsserted
                    && d.DenialName == "condition_not_asserted" && d.Bases.Count == 2
                    && d.Bases[0].Reason == DenialReason.ConditionNotAsserted
                    && d.Bases[1].Reason == DenialReason.ConditionNotAsserted,
                    "routine sharing with barnevern is denied condition_not_asserted");
                Check(d.ToString().Contains("denied: condition_not_asserted"), "ToString names the reason");
            }
            using (Decision d = ledger.Decide(Adult, "barnevern", "child_welfare_followup", NameFamily, March1, null))
            {
                Check(d.Denial == DenialReason.ConditionNotAsserted, "a null list asserts nothing");
            }
            using (Decision d = ledger.Decide(Adult, "barnevern", "child_welfare_followup", NameFamily, March1,
                new Assertion[0]))
            {
                Check(d.Denial == DenialReason.ConditionNotAsserted, "an empty list asserts nothing");
            }
            Check(!ledger.Permits(Adult, "barnevern", "child_welfare_followup", NameFamily, March1),
                "Permits asserts nothing");

            using (Decision d = ledger.Decide(Adult, "barnevern", "child_welfare_followup", NameFamily, March1, Concern))
            {
                Check(d.Permitted && d.Denial == null && d.Bases.Count == 2, "permitted with serious_concern 2026/55");
                foreach (CategoryOutcome outcome in d.Bases)
                {
                    Basis basis = outcome.Basis;
                    Check(basis.Kind == "statute" && basis.Rule == "barnevern_duty" && basis.Condition == "serious_concern"
                        && basis.Statute == "barnevernsloven § 13-2" && basis.Art6 == "A6_1_c" && basis.Art9 == null
                        && basis.ConfidentialityException == "duty_to_inform"
                        && basis.ConfidentialityStatute == "barnevernsloven § 13-2",
                        "the basis names the rule, the condition and both gates: " + outcome.Category);
                }
                Check(d.ToJson().Contains("\"condition\":\"serious_concern\""), "ToJson names the condition");
            }
            using (Decision d = ledger.Decide(Adult, "barnevern", "child_welfare_followup", NameFamily, March1,
                new List<Assertion> { new Assertion("order", "2026/56") }))
            {
                Check(d.Permitted && d.Bases[0].Basis.Condition == "order", "an order from the service is the other condition");
            }
            Check(Recorded(ledger) == 0, "deciding records nothing");

            // Recording: without the assertion, nothing is recorded; with it, the event keeps it.
            ledger.SetClock(March1);
            Throws<NotPermittedException>("a disclosure to barnevern without an assertion", ResultCode.NotPermitted, ledger,
                () => ledger.RecordDisclosure(Adult, "barnevern", "child_welfare_followup", NameFamily, March1, CaseWorker));
            Throws<NotPermittedException>("a disclosure with a null list of assertions", ResultCode.NotPermitted, ledger,
                () => ledger.RecordDisclosure(Adult, "barnevern", "child_welfare_followup", NameFamily, March1, CaseWorker,
                    null));
            using (Decision d = ledger.RecordDisclosure(Adult, "barnevern", "child_welfare_followup", NameFamily, March1,
                CaseWorker, Concern))
            {
                Check(d.Permitted && d.Bases[0].Basis.Condition == "serious_concern" && d.Bases[1].Basis.Condition
                    == "serious_concern", "RecordDisclosure with the assertion returns the permitting decision");
            }
            Check(Recorded(ledger) == 1, "the disclosure is recorded");
            // The recorded event keeps, per category, the condition its basis relied on (the
            // export is read from the events).
            IReadOnlyList<JsonObject> disclosures = JsonObject.Parse(ledger.SubjectExport(Adult, CaseWorker, Lookup), "export")
                .Objects("disclosures");
            Check(disclosures.Count == 1 && disclosures[0].String("recipient") == "barnevern", "one disclosure exported");
            IReadOnlyList<JsonObject> recorded = disclosures[0].Objects("bases");
            Check(recorded.Count == 2, "a recorded basis per category");
            foreach (JsonObject basis in recorded)
            {
                Check(basis.String("rule") == "barnevern_duty" && basis.String("condition") == "serious_concern"
                    && basis.String("statute") == "barnevernsloven § 13-2" && basis.String("art6") == "A6_1_c"
                    && basis.String("confidentiality_exception") == "duty_to_inform",
                    "the recorded disclosure carries the condition and both gates: " + basis.String("category"));
            }
            Check(ledger.Verify().Ok, "the chain verifies");
        }
    }

    /// <summary>Issue 15, acceptance 2 and 3: each basis reports its GDPR gate and its
    /// confidentiality gate apart, from the catalogue.</summary>
    static void TestTwoGates()
    {
        using (Ledger ledger = NewLedger())
        {
            using (Decision d = ledger.Decide(Adult, "okonomiavdelingen", "introduction_benefit", new[] { "finances" }, March1))
            {
                Basis basis = d.Permitted ? d.Bases[0].Basis : null;
                Check(basis != null && basis.Kind == "statute" && basis.Rule == "internal_benefit"
                    && basis.Statute == "integreringsloven § 41" && basis.Art6 == "A6_1_e" && basis.Art9 == null
                    && basis.Condition == null, "the introduction benefit rests on integreringsloven § 41");
                Check(basis != null && basis.ConfidentialityException == "fvl_13b_3"
                    && basis.ConfidentialityStatute == "forvaltningsloven § 13 b nr. 3",
                    "and fvl § 13 b nr. 3 lifts confidentiality, reported separately");
            }

            Guid grantId = ledger.Grant(GrantJson(Adult, Self, "language_training", "laeringssenteret", "\"health\"", true),
                CaseWorker);
            using (Decision d = ledger.Decide(Adult, "laeringssenteret", "language_training", Health, March1))
            {
                Basis basis = d.Permitted ? d.Bases[0].Basis : null;
                Check(basis != null && basis.Kind == "consent" && basis.GrantId == grantId && basis.Explicit == true,
                    "explicit consent permits health data to the learning centre");
                Check(basis != null && basis.ConfidentialityException == "fvl_13a_1"
                    && basis.ConfidentialityStatute == "forvaltningsloven § 13 a nr. 1",
                    "the consent is the confidentiality exception (fvl § 13 a nr. 1)");
                Check(basis != null && basis.Art6 == "A6_1_e" && basis.Statute == "integreringsloven § 41"
                    && basis.Art9 == "A9_2_a",
                    "the GDPR gate is the catalogue's for language_training, not Art. 6(1)(a)");
            }
        }
    }

    static string WithLanguage(string grant, string language)
    {
        return grant.Replace("\"language\": \"uk\"", "\"language\": \"" + language + "\"");
    }

    /// <summary>Grants that could never mean anything, or would mislead, are refused at the door
    /// and nothing is recorded.</summary>
    static void TestAdmission()
    {
        using (Ledger ledger = NewLedger())
        {
            // No consent where a statute is the basis.
            InvalidInputException e = Throws<InvalidInputException>("consent to an NIR registration",
                ResultCode.InvalidInput, ledger,
                () => ledger.Grant(GrantJson(Adult, Self, "nir_registration", "nir", "\"name\"", false), CaseWorker));
            Check(e != null && e.Message.Contains("nir_registration"), "the message names the rule");
            e = Throws<InvalidInputException>("consent to a settlement disclosure to IMDi", ResultCode.InvalidInput, ledger,
                () => ledger.Grant(GrantJson(Adult, Self, "settlement", "imdi", "\"name\"", false), CaseWorker));
            Check(e != null && e.Message.Contains("imdi_settlement") && e.Message.Contains("name"),
                "the message names the rule and the category");
            // A rule that requires a condition is not coverage: consent is what lesser concerns need.
            Guid lesser = ledger.Grant(GrantJson(Adult, Self, "child_welfare_followup", "barnevern", "\"family\"", false),
                CaseWorker);
            using (Decision d = ledger.Decide(Adult, "barnevern", "child_welfare_followup", new[] { "family" }, March1))
            {
                Check(d.Permitted && d.Bases[0].Basis.Kind == "consent" && d.Bases[0].Basis.GrantId == lesser,
                    "a consent covers what a conditional rule leaves");
            }

            // Special categories need explicit consent.
            foreach (string special in new[] { "health", "religion", "ethnic_origin" })
            {
                Throws<InvalidInputException>(special + " without explicit consent", ResultCode.InvalidInput, ledger,
                    () => ledger.Grant(GrantJson(Adult, Self, "health_coordination", "helsetjenesten",
                        "\"" + special + "\"", false), CaseWorker));
            }
            // Notices the catalogue lists.
            Throws<InvalidInputException>("a notice version the catalogue does not list", ResultCode.InvalidInput, ledger,
                () => ledger.Grant(HealthGrant().Replace("\"version\": \"2024-10-16\"", "\"version\": \"2023-01-01\""),
                    CaseWorker));
            Throws<InvalidInputException>("a notice the catalogue does not list", ResultCode.InvalidInput, ledger,
                () => ledger.Grant(HealthGrant().Replace("bosetting-personvern", "annen-erklaering"), CaseWorker));
            // Evidence languages: ISO 639-1 or 639-3.
            Throws<InvalidInputException>("an evidence language that is no ISO 639 code", ResultCode.InvalidInput, ledger,
                () => ledger.Grant(WithLanguage(HealthGrant(), "norsk"), CaseWorker));
            foreach (string language in new[] { "prs", "kmr", "ckb", "ti" })
            {
                ledger.Grant(WithLanguage(GrantJson(Adult, Self, "case_handling", "nav", "\"address\"", false), language),
                    CaseWorker);
            }
            long before = ledger.EventCount;
            Check(Recorded(ledger) == 5, "Dari, Kurmanji, Sorani and Tigrinya are accepted: " + Recorded(ledger));

            // No retroactive consent: 40 days back is refused, 10 days back accepted.
            ledger.SetClock(March1);
            Throws<InvalidInputException>("a consent dated 40 days back", ResultCode.InvalidInput, ledger,
                () => ledger.Grant(GrantJson(Adult, Self, "employment_followup", "nav", "\"finances\"", false,
                    Rfc3339(March1.AddDays(-40))), CaseWorker));
            Guid tenDays = ledger.Grant(GrantJson(Adult, Self, "employment_followup", "nav", "\"finances\"", false,
                Rfc3339(March1.AddDays(-10))), CaseWorker);
            // A withdrawal is never refused for lateness: now, for an instant 40 days back.
            ledger.Withdraw(lesser, March1.AddDays(-40), CaseWorker, "told the school in January");
            Check(ledger.EventCount == before + 2, "the 10-day grant and the late withdrawal are recorded");
            Check(!ledger.Permits(Adult, "barnevern", "child_welfare_followup", new[] { "family" }, March1.AddDays(-39))
                && ledger.Permits(Adult, "nav", "employment_followup", new[] { "finances" }, March1),
                "the withdrawal holds from its instant: " + tenDays);
        }
    }

    static readonly Actor Dpo = new Actor("personvernombud-1", "dpo");

    /// <summary>Historical paper consents enter through a migration that only some roles may
    /// record, all or none.</summary>
    static void TestHistorical()
    {
        using (Ledger ledger = NewLedger())
        {
            string paper2020 = GrantJson(Adult, Self, "employment_followup", "nav", "\"finances\"", false,
                "2020-03-01T09:00:00Z");
            string paper2021 = GrantJson(Child, Verge, "case_handling", "bufetat", "\"family\"", false,
                "2021-06-01T09:00:00Z");
            var documents = new List<string> { paper2020, paper2021 };

            // Refused to a case worker; a bad grant anywhere refuses them all.
            Throws<NotPermittedException>("a case worker migrating", ResultCode.NotPermitted, ledger,
                () => ledger.GrantHistorical(documents, CaseWorker));
            InvalidInputException bad = Throws<InvalidInputException>("a migration with one bad grant",
                ResultCode.InvalidInput, ledger, () => ledger.GrantHistorical(new List<string>
                    { paper2020, paper2021.Replace("2024-10-16", "2019-01-01") }, Dpo));
            Check(bad != null && bad.Message.Contains("grant 1"), "the bad grant's index is named: "
                + (bad == null ? "" : bad.Message));
            Throws<InvalidNationalIdException>("a migration with a bad national id", ResultCode.InvalidNationalId, ledger,
                () => ledger.GrantHistorical(new[] { paper2020.Replace(Adult, BadFnr) }, Dpo));
            Throws<InvalidInputException>("a special category without explicit consent in a migration",
                ResultCode.InvalidInput, ledger, () => ledger.GrantHistorical(new[] {
                    GrantJson(Adult, Self, "health_coordination", "helsetjenesten", "\"health\"", false,
                        "2020-03-01T09:00:00Z") }, Dpo));
            Throws<InvalidInputException>("an entry that is not a grant document", ResultCode.InvalidInput, ledger,
                () => ledger.GrantHistorical(new[] { paper2020, "[]" }, Dpo));
            InvalidInputException two = Throws<InvalidInputException>("two documents in one entry",
                ResultCode.InvalidInput, ledger, () => ledger.GrantHistorical(new[] { paper2020 + ", " + paper2021 }, Dpo));
            Check(two != null && two.Message.Contains("grant 0"), "the entry is named");
            Throws<InvalidInputException>("an entry that does not close", ResultCode.InvalidInput, ledger,
                () => ledger.GrantHistorical(new[] { paper2020.Substring(0, paper2020.Length - 1) }, Dpo));
            Throws<InvalidInputException>("an entry that is not JSON", ResultCode.InvalidInput, ledger,
                () => ledger.GrantHistorical(new[] { "{not json}" }, Dpo));
            Throws<NullArgumentException>("a null entry", ResultCode.NullArgument, ledger,
                () => ledger.GrantHistorical(new[] { paper2020, null }, Dpo));
            Throws<NullArgumentException>("a null list", ResultCode.NullArgument, ledger,
                () => ledger.GrantHistorical(null, Dpo));
            Throws<NullArgumentException>("a null actor", ResultCode.NullArgument, ledger,
                () => ledger.GrantHistorical(documents, null));
            // Brackets inside a string, and an escaped quote before them, are text, not structure.
            string braces = paper2020.Replace("2026/1234", "2020/}{ \\\"} ]");
            Check(Recorded(ledger) == 0, "nothing was migrated");

            IReadOnlyList<Guid> ids = ledger.GrantHistorical(documents, Dpo);
            Check(ids.Count == 2 && ids[0] != ids[1] && Recorded(ledger) == 2, "GrantHistorical returns an id per grant");
            using (Decision d = ledger.Decide(Adult, "nav", "employment_followup", new[] { "finances" },
                new DateTimeOffset(2021, 1, 4, 12, 0, 0, TimeSpan.Zero)))
            {
                Check(d.Permitted && d.Bases[0].Basis.GrantId == ids[0], "the 2020 paper consent permits a 2021 disclosure");
            }
            Check(ledger.Permits(Child, "bufetat", "case_handling", new[] { "family" },
                new DateTimeOffset(2022, 1, 4, 12, 0, 0, TimeSpan.Zero)), "the second grant, in order");
            Check(ledger.SubjectExport(Adult, CaseWorker, Lookup).Contains(ids[0].ToString()), "the migrated grant is in the export");
            IReadOnlyList<Guid> archived = ledger.GrantHistorical(new[] { braces }, new Actor("arkivar-2", "archivist"));
            // Two migrated grants, the export's record of its look-up, and this grant.
            Check(archived.Count == 1 && Recorded(ledger) == 4, "an archivist may migrate; braces in strings are text");
            Check(ledger.GrantHistorical(new string[0], Dpo).Count == 0 && Recorded(ledger) == 4,
                "an empty migration records nothing");
        }
    }

    /// <summary>The test clock: only in test mode, set by SetClock.</summary>
    static void TestClock()
    {
        Throws<InvalidInputException>("a clock without test mode", ResultCode.InvalidInput, null,
            () => Ledger.InMemory(new LedgerOptions { Clock = Clock }));
        // The options of a shared ledger reach the library, which checks them.
        Throws<InvalidInputException>("a write wait of zero", ResultCode.InvalidInput, null,
            () => Ledger.InMemory(new LedgerOptions { WriteWait = TimeSpan.Zero }));
        using (Ledger shared = Ledger.InMemory(new LedgerOptions
            { WriteWait = TimeSpan.FromSeconds(5), MaxStalenessMs = 250 }))
        {
            Check(shared.EventCount == 1, "a write wait and a staleness bound are accepted");
        }
        using (Ledger production = Ledger.InMemory())
        {
            Throws<NotPermittedException>("SetClock on a production ledger", ResultCode.NotPermitted, production,
                () => production.SetClock(Clock));
        }
        using (Ledger systemClock = Ledger.InMemory(new LedgerOptions { TestMode = true }))
        {
            Throws<NotPermittedException>("SetClock on a test ledger on the system clock", ResultCode.NotPermitted,
                systemClock, () => systemClock.SetClock(Clock));
        }
        // The clock is the instant given, in whatever offset: 11:00+01:00 is 10:00Z, and a
        // consent may start exactly 30 days before it.
        using (Ledger ledger = Ledger.InMemory(new LedgerOptions
            { TestMode = true, Clock = new DateTimeOffset(2026, 1, 5, 11, 0, 0, TimeSpan.FromHours(1)) }))
        {
            Throws<InvalidInputException>("a consent a second beyond 30 days back", ResultCode.InvalidInput, ledger,
                () => ledger.Grant(GrantJson(Adult, Self, "case_handling", "nav", "\"address\"", false,
                    "2025-12-06T09:59:59Z"), CaseWorker));
            ledger.Grant(GrantJson(Adult, Self, "case_handling", "nav", "\"address\"", false, "2025-12-06T10:00:00Z"),
                CaseWorker);
            Check(Recorded(ledger) == 1, "a consent exactly 30 days back is accepted");
            ledger.SetClock(March1);
            Throws<InvalidInputException>("the clock moved on: January is too far back", ResultCode.InvalidInput, ledger,
                () => ledger.Grant(HealthGrant(), CaseWorker));
            Ledger disposed = ledger;
            disposed.Dispose();
            bool threw = false;
            try { disposed.SetClock(Clock); } catch (ObjectDisposedException) { threw = true; }
            Check(threw, "SetClock on a disposed ledger throws ObjectDisposedException");
        }
    }

    /// <summary>Assertions that cannot mean anything: a specific exception, nothing recorded.</summary>
    static void TestAssertionInput()
    {
        using (Ledger ledger = NewLedger())
        {
            ledger.SetClock(March1);
            foreach (bool record in new[] { false, true })
            {
                string how = record ? " (RecordDisclosure)" : " (Decide)";
                Func<Assertion[], Action> call = assertions => () =>
                {
                    if (record)
                        ledger.RecordDisclosure(Adult, "barnevern", "child_welfare_followup", NameFamily, March1,
                            CaseWorker, assertions).Dispose();
                    else
                        ledger.Decide(Adult, "barnevern", "child_welfare_followup", NameFamily, March1, assertions).Dispose();
                };
                Throws<UnknownCodeException>("an unknown condition" + how, ResultCode.UnknownCode, ledger,
                    call(new[] { new Assertion("hunch", "2026/55") }));
                Throws<UnknownCodeException>("a malformed condition" + how, ResultCode.UnknownCode, ledger,
                    call(new[] { new Assertion("Serious Concern", "2026/55") }));
                Throws<InvalidInputException>("an empty reference" + how, ResultCode.InvalidInput, ledger,
                    call(new[] { new Assertion("serious_concern", "") }));
                Throws<InvalidInputException>("a reference of 129 characters" + how, ResultCode.InvalidInput, ledger,
                    call(new[] { new Assertion("serious_concern", new string('x', 129)) }));
                Throws<InvalidInputException>("a national id as the reference" + how, ResultCode.InvalidInput, ledger,
                    call(new[] { new Assertion("serious_concern", "sak " + Adult) }));
                Throws<InvalidInputException>("an assertion without a condition" + how, ResultCode.InvalidInput, ledger,
                    call(new[] { new Assertion(null, "2026/55") }));
                Throws<InvalidInputException>("an assertion without a reference" + how, ResultCode.InvalidInput, ledger,
                    call(new[] { new Assertion("serious_concern", null) }));
                NullArgumentException e = Throws<NullArgumentException>("a null assertion" + how, ResultCode.NullArgument,
                    ledger, call(new[] { Concern[0], null }));
                Check(e != null && e.Message.Contains("assertions[1]"), "the null assertion is named");
                Throws<InvalidUtf8Exception>("a lone surrogate in a reference" + how, ResultCode.InvalidUtf8, ledger,
                    call(new[] { new Assertion("serious_concern", "2026/\uD800") }));
            }
            Check(ledger.Verify().Ok && Recorded(ledger) == 0, "bad assertions left the ledger empty");
        }
    }

    static void TestDenialReasons()
    {
        foreach (DenialReason reason in Enum.GetValues(typeof(DenialReason)))
        {
            if (reason == DenialReason.Unknown) continue;
            var snake = new StringBuilder();
            foreach (char c in reason.ToString())
            {
                if (char.IsUpper(c) && snake.Length > 0) snake.Append('_');
                snake.Append(char.ToLowerInvariant(c));
            }
            Check(DenialReasons.Parse(snake.ToString()) == reason, "the library's name of " + reason + " is " + snake);
        }
        Check(DenialReasons.Parse("a_reason_from_a_later_library") == DenialReason.Unknown,
            "a reason added to the library later is Unknown, still a denial");
        Check(default(DenialReason) == DenialReason.Unknown, "the default reason is Unknown");
    }

    static string TempDir()
    {
        string dir = Path.Combine(Path.GetTempPath(), "consent-dotnet-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        return dir;
    }

    /// <summary>Replaces every occurrence of one ASCII text by another of the same length.</summary>
    static int Patch(string path, string from, string to)
    {
        if (!File.Exists(path)) return 0;
        byte[] bytes = File.ReadAllBytes(path);
        byte[] a = Encoding.ASCII.GetBytes(from), b = Encoding.ASCII.GetBytes(to);
        int count = 0;
        for (int i = 0; i + a.Length <= bytes.Length; i++)
        {
            int j = 0;
            while (j < a.Length && bytes[i + j] == a[j]) j++;
            if (j == a.Length)
            {
                Array.Copy(b, 0, bytes, i, b.Length);
                count++;
            }
        }
        File.WriteAllBytes(path, bytes);
        return count;
    }

    static void TestFiles()
    {
        string dir = TempDir();
        try
        {
            string path = Path.Combine(dir, "ledger.db");
            using (Ledger ledger = Ledger.Open(path, TestOptions()))
            {
                ledger.Grant(HealthGrant(), CaseWorker);
                // Any number of handles (and processes) may have the file open; each sees the
                // others' acknowledged writes.
                using (Ledger second = Ledger.Open(path, TestOptions()))
                {
                    Check(second.Permits(Adult, "laeringssenteret", "health_coordination", Health, May2026),
                        "a second handle on the same file sees the first one's grant");
                }
            }
            Check(File.Exists(path + ".key"), "the key file beside the ledger");
            // Creating a ledger is done alone: while another process holds the new ledger's
            // lock (flock(1) stands in for a process creating it), creating it is Locked.
            string creating = Path.Combine(dir, "creating.db");
            var holder = new System.Diagnostics.ProcessStartInfo("flock",
                "-x " + creating + ".lock -c \"echo held; sleep 10\"")
            {
                UseShellExecute = false,
                RedirectStandardOutput = true,
            };
            using (var process = System.Diagnostics.Process.Start(holder))
            {
                Check(process.StandardOutput.ReadLine() == "held", "flock(1) holds the lock");
                Throws<LockedException>("creating a ledger another process is creating", ResultCode.Locked, null,
                    () => Ledger.Open(creating, TestOptions()));
                Check(!File.Exists(creating), "a refused creation leaves no database");
                process.Kill();
                process.WaitForExit();
            }
            using (Ledger again = Ledger.Open(path))
            {
                Check(Recorded(again) == 1 && again.Permits(Adult, "laeringssenteret", "health_coordination", Health, May2026),
                    "a reopened file ledger replays its grant");
            }
            Throws<KeyMismatchException>("another key", ResultCode.KeyMismatch, null,
                () => Ledger.Open(path, new LedgerOptions { KeyHex = new string('7', 64) }));
            string keyFile = Path.Combine(dir, "elsewhere.key");
            File.Copy(path + ".key", keyFile);
            using (Ledger withKeyFile = Ledger.Open(path, new LedgerOptions { KeyFile = keyFile }))
            {
                Check(Recorded(withKeyFile) == 1, "LedgerOptions.KeyFile");
            }
            string keyed = Path.Combine(dir, "keyed.db");
            using (Ledger withKey = Ledger.Open(keyed,
                new LedgerOptions { KeyHex = new string('a', 64), TestMode = true, Clock = Clock }))
            {
                withKey.Grant(HealthGrant(), CaseWorker);
            }
            using (Ledger withKey = Ledger.Open(keyed, new LedgerOptions { KeyHex = new string('a', 64) }))
            {
                Check(Recorded(withKey) == 1 && !File.Exists(keyed + ".key"), "LedgerOptions.KeyHex");
            }

            // Tampering: the actor id stands in clear in each event's header; change it. Event 1
            // records the ledger's catalogue (by the system actor), so the first altered is 2.
            int patched = Patch(path, Actor17, "saksbehandler-99") + Patch(path + "-wal", Actor17, "saksbehandler-99");
            Check(patched > 0, "the test found the header to alter");
            IntegrityException integrity = Throws<IntegrityException>("an altered event", ResultCode.Integrity, null,
                () => Ledger.Open(path));
            Check(integrity != null && integrity.Message.StartsWith("event 2"), "the altered event is named");

            // Catalogues and options.
            string bad = Path.Combine(dir, "bad.toml");
            File.WriteAllText(bad, "this is [not a catalogue");
            Throws<InvalidCatalogueException>("a catalogue that does not parse", ResultCode.InvalidCatalogue, null,
                () => Ledger.InMemory(new LedgerOptions { CatalogueFile = bad }));
            Throws<StorageException>("a catalogue file that does not exist", ResultCode.Storage, null,
                () => Ledger.InMemory(new LedgerOptions { CatalogueFile = Path.Combine(dir, "missing.toml") }));
            Throws<StorageException>("a ledger in a directory that does not exist", ResultCode.Storage, null,
                () => Ledger.Open(Path.Combine(dir, "no", "such", "ledger.db")));
            Throws<NullArgumentException>("a null path", ResultCode.NullArgument, null, () => Ledger.Open(null));
        }
        finally
        {
            Directory.Delete(dir, true);
        }

        // Test mode accepts synthetic numbers (month + 40); a production ledger does not.
        string synthetic = Fnr("154385", 0);
        using (Ledger production = Ledger.InMemory(new LedgerOptions { AcceptPid2032 = true }))
        {
            Throws<InvalidNationalIdException>("a synthetic number in production", ResultCode.InvalidNationalId, production,
                () => production.Pseudonym(synthetic));
        }
        using (Ledger test = Ledger.InMemory(new LedgerOptions { TestMode = true }))
        {
            Check(test.Pseudonym(synthetic).Length == 32, "LedgerOptions.TestMode");
        }
    }

    static void TestThreads()
    {
        using (Ledger ledger = NewLedger())
        {
            ledger.Grant(HealthGrant(), CaseWorker);
            int permits = 0, errors = 0;
            var threads = new List<Thread>();
            for (int t = 0; t < 4; t++)
            {
                var thread = new Thread(() =>
                {
                    for (int i = 0; i < 250; i++)
                    {
                        try
                        {
                            using (Decision d = ledger.Decide(Adult, "laeringssenteret", "health_coordination", Health, May2026))
                            {
                                if (d.Permitted && d.Bases[0].Basis.Kind == "consent") Interlocked.Increment(ref permits);
                            }
                            // Each thread reads its own last error.
                            ledger.Pseudonym(BadFnr);
                        }
                        catch (InvalidNationalIdException e)
                        {
                            if (e.Message.Length == 0) Interlocked.Increment(ref errors);
                        }
                    }
                });
                threads.Add(thread);
                thread.Start();
            }
            foreach (Thread thread in threads) thread.Join();
            Check(permits == 1000 && errors == 0, "1,000 decisions on 4 threads: " + permits + " permits");
        }
    }

    /// <summary>The default catalogue with every purpose kept one year after the last case event
    /// instead of for good, written to a temporary file, so that kassasjon can become due.</summary>
    static string FiniteRetentionCatalogue()
    {
        string root = Path.GetFullPath(".");
        string text = File.ReadAllText(Path.Combine(root, "consent-core", "src", "catalogue", "default.toml"));
        string path = Path.Combine(Path.GetTempPath(), "consent-finite-" + Guid.NewGuid().ToString("N") + ".toml");
        File.WriteAllText(path, text.Replace("retention_years = \"permanent\"", "retention_years = 1"));
        return path;
    }

    /// <summary>Restriction (Art. 18), objection (Art. 21), kassasjon after an erasure request.</summary>
    static void TestStoppingRights()
    {
        DateTimeOffset march1 = new DateTimeOffset(2026, 3, 1, 10, 0, 0, TimeSpan.Zero);
        string[] name = { "name" };
        string[] finances = { "finances" };
        using (Ledger ledger = NewLedger())
        {
            ledger.Grant(GrantJson(Adult, Self, "employment_followup", "nav", "\"finances\"", false), CaseWorker);
            ledger.SetClock(march1);
            Guid restriction = ledger.Restrict(Adult, RestrictionGround.Accuracy, march1, CaseWorker);
            Check(restriction != Guid.Empty, "Restrict returns the record id");
            Check(ledger.Permits(Adult, "nav", "employment_followup", finances, march1.AddDays(4)),
                "Art. 18(2): the consent path goes on");
            using (Decision d = ledger.Decide(Adult, "imdi", "settlement", name, march1.AddDays(4)))
            {
                Check(!d.Permitted && d.Denial == DenialReason.Restricted, "a statutory rule is restricted");
            }
            Throws<ConflictException>("a second restriction on the ground", ResultCode.Conflict, ledger,
                () => ledger.Restrict(Adult, RestrictionGround.Accuracy, march1, CaseWorker));
            Throws<InvalidInputException>("a ground that is not Art. 18(1)'s", ResultCode.InvalidInput, ledger,
                () => ledger.Restrict(Adult, (RestrictionGround)7, march1, CaseWorker));
            Throws<InvalidNationalIdException>("restricting a bad number", ResultCode.InvalidNationalId, ledger,
                () => ledger.Restrict(BadFnr, RestrictionGround.Unlawful, march1, CaseWorker));
            Throws<InvalidInputException>("a lift before the restriction began", ResultCode.InvalidInput, ledger,
                () => ledger.LiftRestriction(Adult, march1.AddDays(-1), "verified", Dpo));
            Throws<InvalidInputException>("a lift without a reason", ResultCode.InvalidInput, ledger,
                () => ledger.LiftRestriction(Adult, march1.AddDays(9), "", Dpo));
            Throws<NullArgumentException>("a null reason", ResultCode.NullArgument, ledger,
                () => ledger.LiftRestriction(Adult, march1.AddDays(9), null, Dpo));
            Guid lift = ledger.LiftRestriction(Adult, march1.AddDays(9), "the address was verified", Dpo);
            Check(lift != Guid.Empty && lift != restriction, "LiftRestriction returns the record id");
            Check(ledger.Permits(Adult, "imdi", "settlement", name, march1.AddDays(10)), "lifted: the statute runs again");
            Throws<NotFoundException>("lifting with no restriction in force", ResultCode.NotFound, ledger,
                () => ledger.LiftRestriction(Adult, march1.AddDays(11), "again", Dpo));
            string export = ledger.SubjectExport(Adult, CaseWorker, Lookup);
            Check(export.Contains("\"A18_1_a\"") && export.Contains("the address was verified"),
                "the export shows the restriction and its lift");

            // Objection to a public task, until rejected (after the lift: a restriction would
            // deny the statute first).
            DateTimeOffset objected = march1.AddDays(10);
            ledger.SetClock(objected); // an objection is recorded when it is made
            Guid objection = ledger.Object(Adult, "introduction_programme", objected, CaseWorker);
            using (Decision d = ledger.Decide(Adult, "nav", "introduction_programme", name, objected.AddDays(1)))
            {
                Check(!d.Permitted && d.Denial == DenialReason.Objected && d.DenialName == "objected",
                    "an objection denies the Art. 6(1)(e) basis");
            }
            Throws<ConflictException>("a second objection to the purpose", ResultCode.Conflict, ledger,
                () => ledger.Object(Adult, "introduction_programme", objected, CaseWorker));
            Throws<UnknownCodeException>("an objection to an unknown purpose", ResultCode.UnknownCode, ledger,
                () => ledger.Object(Adult, "holidays", march1, CaseWorker));
            Throws<InvalidInputException>("an objection where consent is the basis", ResultCode.InvalidInput, ledger,
                () => ledger.Object(Adult, "statistics", march1, CaseWorker));
            Throws<NotFoundException>("resolving an unknown objection", ResultCode.NotFound, ledger,
                () => ledger.ResolveObjection(Guid.NewGuid(), ObjectionOutcome.Rejected, objected, "x", Dpo));
            Throws<InvalidInputException>("an outcome that is neither", ResultCode.InvalidInput, ledger,
                () => ledger.ResolveObjection(objection, (ObjectionOutcome)0, objected, "x", Dpo));
            Guid resolution = ledger.ResolveObjection(objection, ObjectionOutcome.Rejected, objected.AddDays(2),
                "vedtak 2026/90: compelling grounds", Dpo);
            Check(resolution != Guid.Empty && resolution != objection, "ResolveObjection returns the record id");
            Check(ledger.Permits(Adult, "nav", "introduction_programme", name, objected.AddDays(3)), "rejected: it resumes");
            Throws<ConflictException>("resolving twice", ResultCode.Conflict, ledger,
                () => ledger.ResolveObjection(objection, ObjectionOutcome.Upheld, objected.AddDays(3), "x", Dpo));
        }

        string catalogue = FiniteRetentionCatalogue();
        try
        {
            using (Ledger ledger = Ledger.InMemory(new LedgerOptions { TestMode = true, Clock = Clock, CatalogueFile = catalogue }))
            {
                Guid grant = ledger.Grant(GrantJson(Adult, Self, "employment_followup", "nav", "\"finances\"", false), CaseWorker);
                ledger.SetClock(march1);
                Throws<NotPermittedException>("kassasjon before any erasure request", ResultCode.NotPermitted, ledger,
                    () => ledger.ExecuteKassasjon(Adult, Archivist));
                ErasureOutcome outcome = ledger.RequestErasure(Adult, Dpo);
                Check(outcome.Withdrawn.Count == 1 && outcome.Withdrawn[0] == grant
                    && outcome.KassasjonDueAt == march1.AddYears(1), "kassasjon is due one year after the withdrawal");
                Check(ledger.ErasureDue(march1.AddYears(1).AddDays(-1)).Count == 0, "nothing due the day before");
                IReadOnlyList<KassasjonDue> due = ledger.ErasureDue(march1.AddYears(1));
                Check(due.Count == 1 && due[0].Subject == ledger.Pseudonym(Adult) && due[0].DueAt == march1.AddYears(1),
                    "ErasureDue names the subject by pseudonym");
                Throws<NotPermittedException>("kassasjon before the retention ends (the ledger's clock)",
                    ResultCode.NotPermitted, ledger, () => ledger.ExecuteKassasjon(Adult, Archivist));
                Throws<NotFoundException>("kassasjon of a stranger", ResultCode.NotFound, ledger,
                    () => ledger.ExecuteKassasjon(Fnr("010280", 300), Archivist));
                ledger.SetClock(march1.AddYears(1).AddDays(1));
                ErasureOutcome shredded = ledger.ExecuteKassasjon(Adult, Archivist);
                Check(shredded.Erased && shredded.EventsErased >= 2 && shredded.KassasjonDueAt == null,
                    "ExecuteKassasjon shreds");
                Check(ledger.Verify().Ok, "the chain still verifies after kassasjon");
                Check(ledger.SubjectExport(Adult, CaseWorker, Lookup).Contains("\"status\": \"erased\""), "the export says erased");
                Throws<ConflictException>("a second kassasjon", ResultCode.Conflict, ledger,
                    () => ledger.ExecuteKassasjon(Adult, Archivist));
            }
        }
        finally
        {
            File.Delete(catalogue);
        }
    }

    static int Main()
    {
        TestVersionAndNames();
        TestExceptionMap();
        TestDecisions();
        TestRights();
        TestStoppingRights();
        TestStatistics();
        TestConditions();
        TestTwoGates();
        TestAdmission();
        TestHistorical();
        TestClock();
        TestAssertionInput();
        TestDenialReasons();
        TestBadInput();
        TestFiles();
        TestThreads();
        foreach (ResultCode code in Enum.GetValues(typeof(ResultCode)))
        {
            if (code == ResultCode.Ok || code == ResultCode.Panic) continue;
            Check(provoked.Contains(code), "result code " + code + " was provoked through the library");
        }
        Console.WriteLine(passed + " passed, " + failed + " failed");
        return failed == 0 ? 0 : 1;
    }
}
