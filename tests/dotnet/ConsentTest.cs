// Tests of the C# library (bindings/dotnet, namespace Consent) on Mono: every method of the
// public API, and every result code that can reach .NET, each provoked for real (PANIC, which
// no input can provoke, through the code-to-exception map). Run with scripts/test-dotnet.sh;
// prints "N passed, N failed" as its last line and exits non-zero on a failure.
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
    static readonly Actor CaseWorker = new Actor(Actor17, "case_worker");
    static readonly DateTimeOffset March2026 = new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);
    static readonly DateTimeOffset May2026 = new DateTimeOffset(2026, 5, 1, 12, 0, 0, TimeSpan.Zero);
    static readonly DateTimeOffset June2026 = new DateTimeOffset(2026, 6, 1, 0, 0, 0, TimeSpan.Zero);
    static readonly DateTimeOffset July2026 = new DateTimeOffset(2026, 7, 1, 12, 0, 0, TimeSpan.Zero);
    static readonly DateTimeOffset May2030 = new DateTimeOffset(2030, 5, 1, 12, 0, 0, TimeSpan.Zero);
    static readonly string[] Health = { "health" };
    static readonly string[] Nir = { "name", "national_id" };

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
        using (Ledger ledger = Ledger.InMemory())
        {
            Check(ledger.EventCount == 0, "a new ledger is empty");
            // A statutory permit: NIR registration needs no grant.
            using (Decision d = ledger.Decide(Adult, "nir", "nir_registration", Nir, March2026))
            {
                Check(d.Permitted, "statutory NIR permit");
                Check(d.At == March2026 && d.Recipient == "nir" && d.Purpose == "nir_registration",
                    "the decision's instant, recipient and purpose");
                Check(d.Denial == null, "no denial");
                IReadOnlyList<CategoryOutcome> bases = d.Bases;
                Check(bases.Count == 2 && bases[0].Category == "name" && bases[1].Category == "national_id",
                    "one outcome per category, in order");
                Basis basis = bases[0].Basis;
                Check(bases[0].Permitted && bases[0].Reason == null && basis.Kind == "statute"
                    && basis.Rule == "nir_registration" && basis.Statute == "integreringsloven § 43"
                    && basis.Art6 == "A6_1_c" && basis.Art9 == null && basis.GrantId == null
                    && basis.ConfidentialityException == "special_statute", "the statutory basis");
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
                Check(!d.Permitted && d.Denial == "no_basis" && d.Bases[0].Reason == "no_basis"
                    && d.Bases[0].Basis == null, "health denied without consent");
                Check(d.ToString().Contains("denied: no_basis"), "ToString of a denial");
            }
            Check(!ledger.Permits(Adult, "laeringssenteret", "health_coordination", Health, March2026),
                "Permits: no basis");

            Guid grantId = ledger.Grant(HealthGrant(), CaseWorker);
            Check(grantId != Guid.Empty, "Grant returns the grant id");
            Check(ledger.EventCount == 1, "one event");
            using (Decision d = ledger.Decide(Adult, "laeringssenteret", "health_coordination", Health, May2026))
            {
                Basis basis = d.Bases[0].Basis;
                Check(d.Permitted && basis.Kind == "consent" && basis.GrantId == grantId
                    && basis.Explicit == true && basis.Art9 == "A9_2_a" && basis.Rule == null,
                    "health permitted by the explicit grant");
            }

            // Withdrawal: decisions before it stand, after it deny.
            ledger.Withdraw(grantId, June2026, CaseWorker, "the subject asked");
            Check(ledger.Permits(Adult, "laeringssenteret", "health_coordination", Health, May2026),
                "a decision before the withdrawal is unchanged");
            using (Decision d = ledger.Decide(Adult, "laeringssenteret", "health_coordination", Health, July2026))
            {
                Check(!d.Permitted && d.Denial == "withdrawn", "denied after the withdrawal");
            }
            Check(ledger.EventCount == 2, "two events");

            // A refusal is recorded with its own id.
            string refusal = "{\"subject\": \"" + Adult + "\", \"grantor\": " + Self + ","
                + " \"purposes\": [\"statistics\"], \"recipients\": [\"imdi\"], \"categories\": [\"family\"],"
                + " \"at\": \"2026-02-01T10:00:00Z\", \"evidence\": {\"method\": \"edialog\", \"reference\": \"2026/9\","
                + " \"language\": \"uk\", \"interpreter\": false},"
                + " \"notice\": {\"id\": \"bosetting-personvern\", \"version\": \"2024-10-16\"}}";
            Guid refusalId = ledger.Refuse(refusal, CaseWorker);
            Check(refusalId != Guid.Empty && refusalId != grantId && ledger.EventCount == 3, "Refuse");

            // A disclosure is recorded only when permitted.
            using (Decision d = ledger.RecordDisclosure(Adult, "nir", "nir_registration", Nir, March2026, CaseWorker))
            {
                Check(d.Permitted && d.Bases[0].Basis.Rule == "nir_registration", "RecordDisclosure returns the decision");
            }
            Check(ledger.EventCount == 4, "the disclosure is recorded");
            Throws<NotPermittedException>("a denied disclosure", ResultCode.NotPermitted, ledger,
                () => ledger.RecordDisclosure(Adult, "laeringssenteret", "health_coordination", Health, July2026, CaseWorker));

            VerifyReport report = ledger.Verify();
            Check(report.Ok && report.Events == 4 && report.HeadHash.Length == 64 && report.FirstBadSeq == null
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
        using (Ledger ledger = Ledger.InMemory())
        {
            DateTimeOffset now = DateTimeOffset.UtcNow;
            string longAgo = Rfc3339(now.AddDays(-200));
            Guid finances = ledger.Grant(GrantJson(Adult, Self, "employment_followup", "nav", "\"finances\"", false, longAgo),
                CaseWorker);
            Guid family = ledger.Grant(GrantJson(Adult, Self, "case_handling", "bufetat", "\"family\"", false, longAgo),
                CaseWorker);

            // Pseudonym: stable, keyed, never the number.
            string pseudonym = ledger.Pseudonym(Adult);
            Check(pseudonym.Length == 32 && pseudonym == ledger.Pseudonym(Adult) && pseudonym != ledger.Pseudonym(Child),
                "Pseudonym: 32 hex digits, one per subject");
            using (Ledger other = Ledger.InMemory())
            {
                Check(other.Pseudonym(Adult) != pseudonym, "a pseudonym depends on the ledger's key");
            }

            // Subject export (Art. 15): the pseudonym, the grant, never the number.
            string export = ledger.SubjectExport(Adult);
            Check(export.Contains("consent-export/1") && export.Contains(pseudonym) && export.Contains(finances.ToString())
                && !export.Contains(Adult), "SubjectExport");
            Throws<NotFoundException>("the export of an unknown subject", ResultCode.NotFound, ledger,
                () => ledger.SubjectExport(Fnr("010280", 300)));

            // Access request (Art. 15), due one calendar month later.
            AccessRequest request = ledger.RegisterAccessRequest(Adult,
                new DateTimeOffset(2026, 1, 31, 10, 0, 0, TimeSpan.Zero), CaseWorker);
            Check(request.Id != Guid.Empty && request.ReceivedAt == new DateTimeOffset(2026, 1, 31, 10, 0, 0, TimeSpan.Zero)
                && request.DueAt == new DateTimeOffset(2026, 2, 28, 10, 0, 0, TimeSpan.Zero), "RegisterAccessRequest");
            Check(ledger.SubjectExport(Adult).Contains(request.Id.ToString()), "the export lists the request");

            // Rectification (Art. 16): decisions from now on use the corrected value.
            string[] familyCategory = { "family" };
            DateTimeOffset later = now.AddDays(100);
            Check(ledger.Permits(Adult, "bufetat", "case_handling", familyCategory, later), "open-ended before the correction");
            Guid record = ledger.Rectify(Adult, family, Correction.ValidUntil(now.AddDays(-50)), "the form gave an end date",
                CaseWorker);
            Check(record != Guid.Empty && record != family, "Rectify returns the record id");
            using (Decision d = ledger.Decide(Adult, "bufetat", "case_handling", familyCategory, later))
            {
                Check(!d.Permitted && d.Denial == "expired", "the corrected end holds from now on");
            }
            Check(ledger.Permits(Adult, "bufetat", "case_handling", familyCategory, now.AddDays(-20)),
                "a decision for an instant before the correction stands");
            ledger.Rectify(Adult, family, Correction.ValidUntil(null), "the end date was a typo", CaseWorker);
            Check(ledger.Permits(Adult, "bufetat", "case_handling", familyCategory, later.AddDays(1)), "ValidUntil(null) reopens");
            ledger.Rectify(Adult, family, Correction.EvidenceReference("2026/1235"), "typing error", CaseWorker);
            ledger.Rectify(Adult, family, Correction.ValidFrom(now.AddDays(-150)), "signed later", CaseWorker);
            Check(ledger.SubjectExport(Adult).Contains("2026/1235"), "the corrected evidence reference");
            Check(Correction.ValidFrom(new DateTimeOffset(2026, 1, 5, 10, 0, 0, TimeSpan.FromHours(1))).ToString()
                == "{\"field\": \"valid_from\", \"value\": \"2026-01-05T09:00:00Z\"}", "Correction in UTC");
            Throws<NotFoundException>("rectifying a grant that is not the subject's", ResultCode.NotFound, ledger,
                () => ledger.Rectify(Adult, Guid.NewGuid(), Correction.EvidenceReference("x"), "typo", CaseWorker));

            // Re-consent: a verge's grant for a child lapses at 18; the item names the pseudonym.
            Guid childGrant = ledger.Grant(GrantJson(Child, Verge, "case_handling", "nav", "\"family\"", false), CaseWorker);
            IReadOnlyList<ReconsentItem> due = ledger.ReconsentDue(May2030, TimeSpan.FromDays(60));
            Check(due.Count == 1 && due[0].GrantId == childGrant && due[0].Subject == ledger.Pseudonym(Child)
                && due[0].Reason == "comes_of_age" && due[0].DueAt == new DateTimeOffset(2030, 5, 31, 22, 0, 0, TimeSpan.Zero)
                && due[0].Purposes[0] == "case_handling" && due[0].Recipients[0] == "nav"
                && due[0].Categories[0] == "family", "ReconsentDue matches the child by pseudonym");
            Check(ledger.ReconsentDue(May2030, TimeSpan.FromDays(10)).Count == 0, "nothing due within 10 days");
            Throws<InvalidInputException>("a negative window", ResultCode.InvalidInput, ledger,
                () => ledger.ReconsentDue(May2030, TimeSpan.FromDays(-1)));

            // Statistics: five grants in one cell are shown, fewer are suppressed.
            for (int i = 0; i < 5; i++)
            {
                ledger.Grant(GrantJson(Fnr("0" + (i + 1) + "0280", 100), Self, "statistics", "imdi", "\"family\"", false),
                    CaseWorker);
            }
            Statistics all = ledger.Statistics();
            Check(all.MinCell == 5 && all.Rows.Count > 0 && all.ActiveGrants.Count > 0, "Statistics");
            StatisticsRow imdi = null;
            foreach (StatisticsRow row in all.Rows)
            {
                if (row.Recipient == "imdi") imdi = row;
            }
            Check(imdi != null && imdi.Grants == 5 && imdi.Purpose == "statistics" && imdi.Month == Rfc3339(now).Substring(0, 7)
                && imdi.Withdrawals == 0, "five grants are counted");
            bool suppressed = false;
            foreach (ActiveGrantCount count in all.ActiveGrants)
            {
                if (count.Recipient == "nav" && count.Purpose == "employment_followup") suppressed = count.Count == null;
            }
            Check(suppressed, "one active grant is suppressed (null)");
            var until = new DateTimeOffset(now.Year, now.Month, now.Day, 0, 0, 0, TimeSpan.Zero).AddDays(2);
            Statistics strict = ledger.Statistics(null, until, 6);
            Check(strict.MinCell == 6 && strict.At == until, "Statistics with a query");
            foreach (StatisticsRow row in strict.Rows)
            {
                Check(row.Grants == null || row.Grants == 0 || row.Grants >= 6, "counts below 6 are suppressed");
            }
            Statistics none = ledger.Statistics(now.AddDays(1), now.AddDays(2));
            Check(none.Rows.Count == 0, "no events in a window after them");
            Throws<InvalidInputException>("a threshold below the catalogue's", ResultCode.InvalidInput, ledger,
                () => ledger.Statistics(null, null, 2));

            // Erasure (Art. 17): consents only -> erased; after an NIR disclosure -> restricted.
            ErasureOutcome erased = ledger.RequestErasure(Child, CaseWorker);
            Check(erased.Erased && erased.Outcome == "erased" && erased.EventsErased >= 1 && erased.Rules.Count == 0,
                "RequestErasure erases");
            Throws<ConflictException>("a second erasure request", ResultCode.Conflict, ledger,
                () => ledger.RequestErasure(Child, CaseWorker));
            ledger.RecordDisclosure(Adult, "nir", "nir_registration", Nir, now, CaseWorker).Dispose();
            ErasureOutcome restricted = ledger.RequestErasure(Adult, CaseWorker);
            Check(!restricted.Erased && restricted.Outcome == "restricted" && restricted.Rules.Count == 1 && restricted.Rules[0] == "nir_registration"
                && restricted.Statutes.Count == 1, "RequestErasure restricts after an NIR disclosure");
            using (Decision d = ledger.Decide(Adult, "nav", "employment_followup", new[] { "finances" }, now.AddDays(1)))
            {
                Check(!d.Permitted && d.Denial == "restricted", "consent-based decisions are restricted");
            }
            Check(ledger.Verify().Ok, "the chain still verifies");
        }
    }

    static void TestBadInput()
    {
        using (Ledger ledger = Ledger.InMemory())
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
                () => ledger.Grant(GrantJson(Adult, Self, "statistics", "imdi", "\"family\"", false, extra: "\"version\": 2, "),
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
            Check(ledger.SubjectExport(Adult).Contains("2026/\U0001F600"), "a character outside the BMP round-trips");
            Check(ledger.Verify().Ok, "bad input left the chain intact");
        }
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
            using (Ledger ledger = Ledger.Open(path))
            {
                ledger.Grant(HealthGrant(), CaseWorker);
                // The file is locked while it is open, even within one process.
                Throws<LockedException>("a second open of the same file", ResultCode.Locked, null, () => Ledger.Open(path));
            }
            Check(File.Exists(path + ".key"), "the key file beside the ledger");
            using (Ledger again = Ledger.Open(path))
            {
                Check(again.EventCount == 1 && again.Permits(Adult, "laeringssenteret", "health_coordination", Health, May2026),
                    "a reopened file ledger replays its grant");
            }
            Throws<KeyMismatchException>("another key", ResultCode.KeyMismatch, null,
                () => Ledger.Open(path, new LedgerOptions { KeyHex = new string('7', 64) }));
            string keyFile = Path.Combine(dir, "elsewhere.key");
            File.Copy(path + ".key", keyFile);
            using (Ledger withKeyFile = Ledger.Open(path, new LedgerOptions { KeyFile = keyFile }))
            {
                Check(withKeyFile.EventCount == 1, "LedgerOptions.KeyFile");
            }
            string keyed = Path.Combine(dir, "keyed.db");
            using (Ledger withKey = Ledger.Open(keyed, new LedgerOptions { KeyHex = new string('a', 64) }))
            {
                withKey.Grant(HealthGrant(), CaseWorker);
            }
            using (Ledger withKey = Ledger.Open(keyed, new LedgerOptions { KeyHex = new string('a', 64) }))
            {
                Check(withKey.EventCount == 1 && !File.Exists(keyed + ".key"), "LedgerOptions.KeyHex");
            }

            // Tampering: the actor id stands in clear in each event's header; change it.
            int patched = Patch(path, Actor17, "saksbehandler-99") + Patch(path + "-wal", Actor17, "saksbehandler-99");
            Check(patched > 0, "the test found the header to alter");
            IntegrityException integrity = Throws<IntegrityException>("an altered event", ResultCode.Integrity, null,
                () => Ledger.Open(path));
            Check(integrity != null && integrity.Message.StartsWith("event 1"), "the altered event is named");

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
        using (Ledger ledger = Ledger.InMemory())
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

    static int Main()
    {
        TestVersionAndNames();
        TestExceptionMap();
        TestDecisions();
        TestRights();
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
