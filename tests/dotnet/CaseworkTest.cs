// Tests of Ledger.AdoptCatalogue, Ledger.RecordIdentitySuccession, Ledger.NotificationsDue,
// Ledger.RecordNotification and Ledger.Prepare (PreparedRequest) on Mono: each works, and bad input throws its own exception with
// nothing recorded. Run with scripts/test-dotnet.sh from the repository root (it reads the
// default catalogue from the tree); prints "N passed, N failed" as its last line and exits
// non-zero on a failure.
using System;
using System.Collections.Generic;
using System.IO;
using Consent;

static class CaseworkTest
{
    const string Adult = "15038510190";          // born 1985-03-15 (the project's example number)
    const string OtherAdult = "01019010046";     // born 1990-01-01
    const string Duf = "201612345678";           // a DUF number (UDI's case number)
    const string Lookup = "sak 2026/55: test";
    static readonly Actor CaseWorker = new Actor("saksbehandler-17", "case_worker");
    static readonly Actor Dpo = new Actor("personvernombud-1", "dpo");
    static readonly Actor Teacher = new Actor("laerer-3", "teacher");
    static readonly Actor Auditor = new Actor("revisor-1", "auditor");
    static readonly DateTimeOffset Clock = new DateTimeOffset(2026, 1, 5, 10, 0, 0, TimeSpan.Zero);
    static readonly DateTimeOffset March1 = new DateTimeOffset(2026, 3, 1, 10, 0, 0, TimeSpan.Zero);
    static readonly DateTimeOffset March2 = new DateTimeOffset(2026, 3, 2, 10, 0, 0, TimeSpan.Zero);
    static readonly DateTimeOffset March3 = new DateTimeOffset(2026, 3, 3, 0, 0, 0, TimeSpan.Zero);
    static readonly string[] Finances = { "finances" };

    static int passed, failed;

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

    /// <summary>Runs an action that must throw T with the given code, a message that names
    /// no id, and no event recorded.</summary>
    static void Throws<T>(string what, ResultCode code, Ledger ledger, Action action) where T : ConsentException
    {
        long before = ledger.EventCount;
        try
        {
            action();
            Check(false, what + ": no exception, expected " + typeof(T).Name);
        }
        catch (ConsentException e)
        {
            Check(e.GetType() == typeof(T) && e.Code == code, what + ": " + e.GetType().Name + " ("
                + e.Code + "), expected " + typeof(T).Name + ": " + e.Message);
            Check(e.Message.Length > 0 && !e.Message.Contains(Adult) && !e.Message.Contains(Duf)
                && !e.Message.Contains(OtherAdult), what + ": the message names no id: " + e.Message);
            Check(ledger.EventCount == before, what + ": nothing recorded");
        }
    }

    static Ledger NewLedger()
    {
        return Ledger.InMemory(new LedgerOptions { TestMode = true, Clock = Clock });
    }

    /// <summary>A self grant of finances to NAV for employment follow-up (with the birth date
    /// from Folkeregisteret for a DUF number, which encodes none).</summary>
    static Guid Grant(Ledger ledger, string subject)
    {
        string birth = subject == Duf ? "\"subject_birth_date\": \"1990-11-20\", " : "";
        return ledger.Grant("{\"subject\": \"" + subject + "\", " + birth + "\"grantor\": {\"role\": \"self\"},"
            + " \"purposes\": [\"employment_followup\"], \"recipients\": [\"nav\"],"
            + " \"categories\": [\"finances\"], \"explicit\": false,"
            + " \"valid_from\": \"2026-01-05T09:00:00Z\", \"valid_until\": null,"
            + " \"evidence\": {\"method\": \"signed_paper\", \"reference\": \"2026/1234\","
            + " \"language\": \"uk\", \"interpreter\": true},"
            + " \"notice\": {\"id\": \"bosetting-personvern\", \"version\": \"2024-10-16\"}}", CaseWorker);
    }

    static bool Permits(Ledger ledger, string subject)
    {
        return ledger.Permits(subject, "nav", "employment_followup", Finances, March1);
    }

    static void TestAdoptCatalogue()
    {
        string current = File.ReadAllText("consent-core/src/catalogue/default.toml");
        string v0_1 = File.ReadAllText("consent-core/tests/fixtures/v0_1/catalogue.toml");
        Check(current.Contains("version = \"2026-12-01\"") && current.Contains("statistics_min_cell = 5"),
            "the default catalogue is the one the test edits");
        string next = current.Replace("version = \"2026-12-01\"", "version = \"2027-01-01\"")
            .Replace("statistics_min_cell = 5", "statistics_min_cell = 7");
        using (Ledger ledger = NewLedger())
        {
            // A new ledger's first event records the adoption of its catalogue.
            Check(ledger.EventCount == 1 && ledger.Verify().Events == 1, "a new ledger records its catalogue");
            Check(ledger.Statistics(Auditor).MinCell == 5, "the default catalogue is in force");
            Throws<InvalidCatalogueException>("a catalogue that does not parse", ResultCode.InvalidCatalogue,
                ledger, () => ledger.AdoptCatalogue("version = [", Dpo));
            Throws<InvalidInputException>("a catalogue that drops codes", ResultCode.InvalidInput,
                ledger, () => ledger.AdoptCatalogue(v0_1, Dpo));
            Throws<ConflictException>("the catalogue in force", ResultCode.Conflict,
                ledger, () => ledger.AdoptCatalogue(current, Dpo));
            Throws<NullArgumentException>("a null catalogue", ResultCode.NullArgument,
                ledger, () => ledger.AdoptCatalogue(null, Dpo));
            Throws<NullArgumentException>("a null actor", ResultCode.NullArgument,
                ledger, () => ledger.AdoptCatalogue(next, null));
            Guid id = ledger.AdoptCatalogue(next, Dpo);
            Check(id != Guid.Empty && ledger.EventCount == 2, "AdoptCatalogue records one event");
            Check(ledger.Statistics(Auditor).MinCell == 7, "the adopted catalogue is in force");
        }
        // A file ledger opened with another catalogue is a conflict until it is adopted.
        string dir = Path.Combine(Path.GetTempPath(), "consent-dotnet-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            string path = Path.Combine(dir, "ledger.db");
            string nextFile = Path.Combine(dir, "next.toml");
            File.WriteAllText(nextFile, next);
            Ledger.Open(path).Dispose();
            try
            {
                Ledger.Open(path, new LedgerOptions { CatalogueFile = nextFile }).Dispose();
                Check(false, "opening with another catalogue throws");
            }
            catch (ConflictException e)
            {
                Check(e.Message.Contains("adopt"), "the conflict says how to adopt it: " + e.Message);
            }
            using (Ledger ledger = Ledger.Open(path))
            {
                ledger.AdoptCatalogue(next, Dpo);
            }
            using (Ledger ledger = Ledger.Open(path, new LedgerOptions { CatalogueFile = nextFile }))
            {
                Check(ledger.EventCount == 2 && ledger.Statistics(Auditor).MinCell == 7, "the adopted catalogue opens it");
            }
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    static void TestSuccession()
    {
        using (Ledger ledger = NewLedger())
        {
            Guid grantId = Grant(ledger, Duf);
            Check(Permits(ledger, Duf) && !Permits(ledger, Adult), "the grant is under the DUF number");
            Check(ledger.Pseudonym(Duf).Length == 32, "a DUF number has a pseudonym");
            Throws<InvalidNationalIdException>("a DUF number with a bad year", ResultCode.InvalidNationalId, ledger,
                () => ledger.RecordIdentitySuccession("301612345678", Adult, "UDI 2026/9", CaseWorker));
            Throws<InvalidNationalIdException>("a bad control digit", ResultCode.InvalidNationalId, ledger,
                () => ledger.RecordIdentitySuccession(Duf, "15038510191", "UDI 2026/9", CaseWorker));
            Throws<InvalidInputException>("the same id twice", ResultCode.InvalidInput, ledger,
                () => ledger.RecordIdentitySuccession(Duf, Duf, "UDI 2026/9", CaseWorker));
            Throws<InvalidInputException>("an id in the reference", ResultCode.InvalidInput, ledger,
                () => ledger.RecordIdentitySuccession(Duf, Adult, "case " + Adult, CaseWorker));
            Throws<NotPermittedException>("an auditor", ResultCode.NotPermitted, ledger,
                () => ledger.RecordIdentitySuccession(Duf, Adult, "UDI 2026/9", Auditor));
            Throws<UnknownCodeException>("a teacher (no such role)", ResultCode.UnknownCode, ledger,
                () => ledger.RecordIdentitySuccession(Duf, Adult, "UDI 2026/9", Teacher));
            Throws<NotFoundException>("nothing under the earlier id", ResultCode.NotFound, ledger,
                () => ledger.RecordIdentitySuccession(OtherAdult, Adult, "UDI 2026/9", CaseWorker));
            Throws<InvalidInputException>("a step backwards", ResultCode.InvalidInput, ledger,
                () => ledger.RecordIdentitySuccession(Adult, Duf, "UDI 2026/9", CaseWorker, true));
            Throws<InvalidInputException>("a DUF number in the reference", ResultCode.InvalidInput, ledger,
                () => ledger.RecordIdentitySuccession(Duf, Adult, "UDI 2017 1234 5678", CaseWorker));
            Throws<NullArgumentException>("a null reference", ResultCode.NullArgument, ledger,
                () => ledger.RecordIdentitySuccession(Duf, Adult, null, CaseWorker));

            long before = ledger.EventCount;
            Guid id = ledger.RecordIdentitySuccession(Duf, Adult, "Folkeregisteret 2026/77", CaseWorker);
            Check(id != Guid.Empty && ledger.EventCount == before + 1, "RecordIdentitySuccession records one event");
            Check(Permits(ledger, Adult), "the grant follows the person to the fodselsnummer");
            foreach (string subject in new[] { Duf, Adult })
            {
                string export = ledger.SubjectExport(subject, CaseWorker, Lookup);
                Check(export.Contains(grantId.ToString("D")) && !export.Contains(Duf) && !export.Contains(Adult),
                    "the export under either id shows the one history, no id in clear");
            }
            Throws<ConflictException>("a second succession", ResultCode.Conflict, ledger,
                () => ledger.RecordIdentitySuccession(Duf, OtherAdult, "UDI 2026/10", CaseWorker));
        }
    }

    static void TestMerge()
    {
        using (Ledger ledger = NewLedger())
        {
            Guid first = Grant(ledger, OtherAdult);
            Guid second = Grant(ledger, Adult);
            Throws<ConflictException>("a new id that holds records, without merge", ResultCode.Conflict, ledger,
                () => ledger.RecordIdentitySuccession(OtherAdult, Adult, "Folkeregisteret 2026/80", CaseWorker));
            Throws<ConflictException>("merge: false", ResultCode.Conflict, ledger,
                () => ledger.RecordIdentitySuccession(OtherAdult, Adult, "Folkeregisteret 2026/80", CaseWorker, false));
            long before = ledger.EventCount;
            ledger.RecordIdentitySuccession(OtherAdult, Adult, "Folkeregisteret 2026/80", CaseWorker, true);
            Check(ledger.EventCount == before + 1, "merge: true joins the two histories");
            string export = ledger.SubjectExport(OtherAdult, CaseWorker, Lookup);
            Check(export.Contains(first.ToString("D")) && export.Contains(second.ToString("D"))
                && (export.Contains("\"merge\": true") || export.Contains("\"merge\":true")), "the export shows one history, and that it was a merge");
        }
    }

    static void TestNotifications()
    {
        using (Ledger ledger = NewLedger())
        {
            Guid grantId = Grant(ledger, Adult);
            ledger.SetClock(March1);
            ledger.RecordDisclosure(Adult, "nav", "employment_followup", Finances, March1, CaseWorker).Dispose();
            Check(ledger.NotificationsDue(March3).Count == 0, "no task before a change");
            ledger.Rectify(Adult, grantId, Correction.EvidenceReference("2026/1235"),
                "typing error in the case number", CaseWorker);
            IReadOnlyList<Notification> tasks = ledger.NotificationsDue(March3);
            Check(tasks.Count == 1, "a rectification puts a task on the worklist");
            if (tasks.Count != 1) return;
            Notification task = tasks[0];
            Check(task.Reason == "rectification" && task.Recipient == "nav" && task.EventId != Guid.Empty
                && task.Subject == ledger.Pseudonym(Adult) && task.DueAt.Date == March1.Date,
                "the task: tell NAV of the rectification");
            Check(ledger.NotificationsDue(March1.AddHours(-1)).Count == 0, "not due before the change");

            Throws<UnknownCodeException>("an unknown recipient", ResultCode.UnknownCode, ledger,
                () => ledger.RecordNotification(task.EventId, "no_such_recipient", March2, CaseWorker));
            Throws<NotFoundException>("the person is not on this task", ResultCode.NotFound, ledger,
                () => ledger.RecordNotification(task.EventId, null, March2, CaseWorker));
            Throws<NotFoundException>("another recipient", ResultCode.NotFound, ledger,
                () => ledger.RecordNotification(task.EventId, "imdi", March2, CaseWorker));
            Throws<NotFoundException>("another event", ResultCode.NotFound, ledger,
                () => ledger.RecordNotification(Guid.NewGuid(), "nav", March2, CaseWorker));
            Throws<InvalidInputException>("an instant out of range", ResultCode.InvalidInput, ledger,
                () => ledger.RecordNotification(task.EventId, "nav", DateTimeOffset.MinValue, CaseWorker));
            Throws<NullArgumentException>("a null actor", ResultCode.NullArgument, ledger,
                () => ledger.RecordNotification(task.EventId, "nav", March2, null));

            long before = ledger.EventCount;
            Guid record = ledger.RecordNotification(task.EventId, "nav", March2, CaseWorker);
            Check(record != Guid.Empty && ledger.EventCount == before + 1, "RecordNotification records one event");
            Check(ledger.NotificationsDue(March3).Count == 0, "a task marked done leaves the worklist");
            Throws<NotFoundException>("a task marked done twice", ResultCode.NotFound, ledger,
                () => ledger.RecordNotification(task.EventId, "nav", March2, CaseWorker));
            Check(task.Before == null, "a recipient is told as soon as possible: no deadline");
        }
    }

    /// <summary>Art. 18(3): a lift takes effect now or later, and the letter telling the
    /// person carries that instant as its deadline; a restriction is never for the future.</summary>
    static void TestLiftDeadline()
    {
        using (Ledger ledger = NewLedger())
        {
            ledger.SetClock(March1);
            Throws<InvalidInputException>("a restriction for the future", ResultCode.InvalidInput, ledger,
                () => ledger.Restrict(Adult, RestrictionGround.Accuracy, March3, CaseWorker));
            ledger.Restrict(Adult, RestrictionGround.Accuracy, March1, CaseWorker);
            Throws<InvalidInputException>("a lift in the past", ResultCode.InvalidInput, ledger,
                () => ledger.LiftRestriction(Adult, March1.AddDays(-1), "verified", Dpo));
            ledger.LiftRestriction(Adult, March3, "verified", Dpo);
            IReadOnlyList<Notification> tasks = ledger.NotificationsDue(March1);
            Check(tasks.Count == 1 && tasks[0].Recipient == null && tasks[0].Reason == "restriction_lifted"
                && tasks[0].Before == March3, "the letter to the person is due before the lift takes effect");
        }
    }

    /// <summary>Prepared requests: the decision of Decide with the same arguments, for every
    /// subject; bad input throws its own exception; a request outlives its Ledger.</summary>
    static void TestPrepared()
    {
        Ledger ledger = NewLedger();
        Guid grantId = Grant(ledger, Adult);
        string[] people = { Adult, OtherAdult };
        string[] nir = { "name", "national_id" };
        var requests = new[]
        {
            new { Recipient = "nir", Purpose = "nir_registration", Categories = nir },
            new { Recipient = "nav", Purpose = "employment_followup", Categories = Finances },
        };
        foreach (var r in requests)
        {
            using (PreparedRequest request = ledger.Prepare(r.Recipient, r.Purpose, r.Categories))
            {
                Check(request.Recipient == r.Recipient && request.Purpose == r.Purpose
                    && request.Categories.Count == r.Categories.Length, "a request keeps its codes");
                foreach (string person in people)
                {
                    using (Decision expected = ledger.Decide(person, r.Recipient, r.Purpose, r.Categories, March1))
                    using (Decision got = request.Decide(person, March1))
                    {
                        Check(got.ToJson() == expected.ToJson(), "a prepared decision is Decide's: " + r.Purpose);
                        Check(request.Permits(person, March1) == expected.Permitted, "Permits agrees: " + r.Purpose);
                    }
                }
            }
        }
        PreparedRequest nav = ledger.Prepare("nav", "employment_followup", Finances);
        Check(nav.Permits(Adult, March1), "the consent permits");
        ledger.Withdraw(grantId, Clock.AddDays(10), CaseWorker);
        Check(!nav.Permits(Adult, March1), "a withdrawal after the preparation is seen");

        var concern = new List<Assertion> { new Assertion("serious_concern", "2026/55") };
        using (PreparedRequest asserted = ledger.Prepare("barnevern", "child_welfare_followup", new[] { "name" }, concern))
        using (PreparedRequest routine = ledger.Prepare("barnevern", "child_welfare_followup", new[] { "name" }))
        {
            Check(asserted.Permits(Adult, March1), "an asserted condition permits");
            using (Decision d = routine.Decide(Adult, March1))
            {
                Check(!d.Permitted && d.Denial == DenialReason.ConditionNotAsserted, "without it, condition_not_asserted");
            }
        }

        Throws<UnknownCodeException>("an unknown recipient", ResultCode.UnknownCode, ledger,
            () => ledger.Prepare("nsa", "settlement", new[] { "name" }));
        Throws<UnknownCodeException>("an unknown category", ResultCode.UnknownCode, ledger,
            () => ledger.Prepare("imdi", "settlement", new[] { "shoe_size" }));
        Throws<InvalidInputException>("no category", ResultCode.InvalidInput, ledger,
            () => ledger.Prepare("imdi", "settlement", new string[0]));
        Throws<InvalidInputException>("a repeated category", ResultCode.InvalidInput, ledger,
            () => ledger.Prepare("imdi", "settlement", new[] { "name", "name" }));
        Throws<NullArgumentException>("a null recipient", ResultCode.NullArgument, ledger,
            () => ledger.Prepare(null, "settlement", new[] { "name" }));
        Throws<InvalidNationalIdException>("a bad subject", ResultCode.InvalidNationalId, ledger,
            () => nav.Decide("15038510191", March1));
        Throws<InvalidNationalIdException>("a bad subject (verdict only)", ResultCode.InvalidNationalId, ledger,
            () => nav.Permits("15038510191", March1));
        Throws<InvalidInputException>("an instant out of range", ResultCode.InvalidInput, ledger,
            () => nav.Decide(Adult, DateTimeOffset.MinValue));

        ledger.Dispose();
        Check(!nav.Permits(Adult, March1), "a request outlives its Ledger");
        nav.Dispose();
        bool threw = false;
        try { nav.Permits(Adult, March1); } catch (ObjectDisposedException) { threw = true; }
        Check(threw, "a disposed request throws ObjectDisposedException");
    }

    /// <summary>Events and ForEachEvent: every event in order, subjects as pseudonyms; an
    /// early stop; an exception in the visitor comes back to the caller.</summary>
    static void TestEvents()
    {
        using (Ledger ledger = NewLedger())
        {
            Grant(ledger, Adult);
            Grant(ledger, OtherAdult);
            IReadOnlyList<string> events = ledger.Events();
            Check(events.Count == 3 && events[0].Contains("\"catalogue_adopted\"")
                && events[1].Contains("\"grant_recorded\"") && events[2].Contains("\"grant_recorded\""),
                "Events lists the adoption and the two grants, in order");
            bool anyId = false;
            foreach (string e in events)
            {
                anyId |= e.Contains(Adult) || e.Contains(OtherAdult);
            }
            Check(!anyId && events[1].Contains(ledger.Pseudonym(Adult)), "events name pseudonyms, never ids");
            int seen = 0;
            ledger.ForEachEvent(json => ++seen < 2);
            Check(seen == 2, "ForEachEvent stops when the visitor returns false");
            bool rethrown = false;
            try
            {
                ledger.ForEachEvent(json => { throw new FormatException("visitor failed"); });
            }
            catch (FormatException e)
            {
                rethrown = e.Message == "visitor failed";
            }
            Check(rethrown, "the visitor's exception reaches the caller");
            bool nullThrew = false;
            try { ledger.ForEachEvent(null); } catch (ArgumentNullException) { nullThrew = true; }
            Check(nullThrew, "a null visitor throws ArgumentNullException");
        }
    }

    /// <summary>Deviations: a disclosure that a withdrawal registered later, dated before it,
    /// makes unlawful.</summary>
    static void TestDeviations()
    {
        using (Ledger ledger = NewLedger())
        {
            Guid grantId = Grant(ledger, Adult);
            ledger.SetClock(March1);
            ledger.RecordDisclosure(Adult, "nav", "employment_followup", Finances, March1, CaseWorker).Dispose();
            Check(ledger.Deviations(Clock).Count == 0, "no deviation before the withdrawal is known");
            ledger.SetClock(March3);
            ledger.Withdraw(grantId, March1.AddDays(-1), CaseWorker);
            IReadOnlyList<Deviation> deviations = ledger.Deviations(Clock);
            Check(deviations.Count == 1 && deviations[0].Recipient == "nav" && deviations[0].At == March1
                && deviations[0].Subject == ledger.Pseudonym(Adult) && deviations[0].Categories.Count == 1
                && deviations[0].Categories[0].Key == "finances"
                && deviations[0].Categories[0].Value == DenialReason.Withdrawn,
                "the disclosure is a deviation: finances, withdrawn");
            Check(ledger.Deviations(March2).Count == 0, "since counts from when it was recorded");
            Throws<InvalidInputException>("an instant out of range", ResultCode.InvalidInput, ledger,
                () => ledger.Deviations(DateTimeOffset.MinValue));
        }
    }

    /// <summary>Issue 17: roles from the catalogue, reads recorded, who looked at me.</summary>
    static void TestAccountability()
    {
        using (Ledger ledger = NewLedger())
        {
            Grant(ledger, Adult);
            var system = new Actor("nir-overforing", "system");
            var janitor = new Actor("vaktmester", "janitor");
            Throws<NotPermittedException>("a case worker's erasure request", ResultCode.NotPermitted, ledger,
                () => ledger.RequestErasure(Adult, CaseWorker));
            Throws<UnknownCodeException>("a role the catalogue lacks", ResultCode.UnknownCode, ledger,
                () => ledger.RequestErasure(Adult, janitor));
            Throws<NotPermittedException>("an auditor's export", ResultCode.NotPermitted, ledger,
                () => ledger.SubjectExport(Adult, Auditor, "revisjon"));
            Throws<NotPermittedException>("an auditor's events", ResultCode.NotPermitted, ledger,
                () => ledger.SubjectEvents(Adult, Auditor, "revisjon"));
            Throws<InvalidInputException>("an empty purpose of lookup", ResultCode.InvalidInput, ledger,
                () => ledger.SubjectExport(Adult, CaseWorker, ""));
            Throws<NullArgumentException>("no actor", ResultCode.NullArgument, ledger,
                () => ledger.SubjectExport(Adult, null, "x"));
            Check(ledger.Verify(Auditor).Ok, "an auditor verifies");
            Throws<NotPermittedException>("a case worker's verification", ResultCode.NotPermitted, ledger,
                () => ledger.Verify(CaseWorker));

            long before = ledger.EventCount;
            ledger.SubjectExport(Adult, CaseWorker, "sak 2026/55: bosetting");
            string export = ledger.SubjectExport(Adult, Dpo, "innsynskrav");
            Check(ledger.EventCount == before + 2, "each export records its access");
            Check(export.Contains("\"purpose\": \"sak 2026/55: bosetting\"")
                && export.Contains("\"role\": \"case_worker\"")
                && export.Contains("\"accessed_at\": \"2026-01-05T10:00:00Z\""),
                "the next export lists the access with date, role and purpose: " + export);
            Check(!export.Contains("saksbehandler-17\", \"operation"), "no staff id in the access list");
            Check(ledger.SubjectEvents(Adult, CaseWorker, "journal").Contains("subject_accessed"),
                "the events end with their own access");

            string[] name = { "name" };
            using (Decision logged = ledger.DecideLogged(Adult, "nir", "nir_registration", name, March1,
                       null, system, "melding til NIR"))
            {
                Check(logged.Permitted, "a logged decision decides");
            }
            using (PreparedRequest request = ledger.Prepare("nir", "nir_registration", name))
            using (Decision logged = request.DecideLogged(Adult, March1, system, "natt"))
            {
                Check(logged.Permitted, "a prepared request's logged decision decides");
                Throws<NotPermittedException>("an auditor's logged decision", ResultCode.NotPermitted, ledger,
                    () => request.DecideLogged(Adult, March1, Auditor, "x"));
            }
            Check(ledger.EventCount == before + 5, "the exports, the events and two decisions are recorded");
            ErasureOutcome outcome = ledger.RequestErasure(Adult, Dpo);
            Check(outcome != null, "a DPO's erasure request is accepted");
        }
    }

    static int Main()
    {
        TestAdoptCatalogue();
        TestSuccession();
        TestMerge();
        TestNotifications();
        TestLiftDeadline();
        TestPrepared();
        TestEvents();
        TestDeviations();
        TestAccountability();
        Console.WriteLine(passed + " passed, " + failed + " failed");
        return failed == 0 ? 0 : 1;
    }
}
