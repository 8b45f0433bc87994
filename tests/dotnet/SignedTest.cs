// Tests of signed actors through the C# library (issue 17 item 3) on Mono: a ledger opened with
// LedgerOptions.ActorTrust takes Actor.Signed(token) wherever it takes an actor and stores the
// token's actor with its issuer; an expired token, another issuer's, another key's and an
// unknown role throw with nothing recorded and no part of the token in the message; a token
// without a trust is refused; require_signed_actors refuses plain actors. The keys and tokens
// are this run's (tests/shared/signed_actors.py, in the directory CONSENT_SIGNED_ACTORS names;
// scripts/test-dotnet.sh makes them). Prints "N passed, N failed" as its last line and exits
// non-zero on a failure.
using System;
using System.IO;
using Consent;

static class SignedTest
{
    const string Adult = "15038510190";          // born 1985-03-15 (the project's example number)
    const string Issuer = "https://login.melhus.kommune.no";
    const string Lookup = "sak 2026/55: test";
    static readonly Actor CaseWorker = new Actor("saksbehandler-17", "case_worker");
    static readonly Actor Auditor = new Actor("revisor-1", "auditor");
    // The tokens' clock (tests/shared/signed_actors.py NOW).
    static readonly DateTimeOffset Now = new DateTimeOffset(2026, 3, 1, 10, 0, 0, TimeSpan.Zero);

    static int passed, failed;
    static string dir;

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

    static string Token(string name)
    {
        return File.ReadAllText(Path.Combine(dir, name + ".jwt")).Trim();
    }

    static ActorTrust Trust()
    {
        return new ActorTrust(Issuer, Path.Combine(dir, "jwks.json"));
    }

    static Ledger Open(ActorTrust trust, string catalogueFile = null)
    {
        return Ledger.InMemory(new LedgerOptions
        {
            TestMode = true,
            Clock = Now,
            ActorTrust = trust,
            CatalogueFile = catalogueFile,
        });
    }

    static Guid Grant(Ledger ledger, Actor actor)
    {
        return ledger.Grant("{\"subject\": \"" + Adult + "\", \"grantor\": {\"role\": \"self\"},"
            + " \"purposes\": [\"employment_followup\"], \"recipients\": [\"nav\"],"
            + " \"categories\": [\"finances\"], \"explicit\": false,"
            + " \"valid_from\": \"2026-03-01T09:00:00Z\", \"valid_until\": null,"
            + " \"evidence\": {\"method\": \"signed_paper\", \"reference\": \"2026/1234\","
            + " \"language\": \"uk\", \"interpreter\": true},"
            + " \"notice\": {\"id\": \"bosetting-personvern\", \"version\": \"2024-10-16\"}}", actor);
    }

    /// <summary>Runs an action that must throw T with the given code, a message that holds no
    /// part of <paramref name="token"/> and no id, and no event recorded.</summary>
    static void Throws<T>(string what, ResultCode code, Ledger ledger, string token, Action action)
        where T : ConsentException
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
            bool quotesToken = false;
            if (token != null)
            {
                foreach (string part in token.Split('.'))
                {
                    quotesToken |= part.Length > 0 && e.Message.Contains(part);
                }
            }
            Check(!quotesToken && !e.Message.Contains(Adult), what + ": the message quotes no token and no id: " + e.Message);
            Check(ledger.EventCount == before, what + ": nothing recorded");
        }
    }

    static void TestValidToken()
    {
        string token = Token("case_worker");
        Actor signed = Actor.Signed(token);
        Check(signed.IsSigned && signed.Id == null && signed.Role == null, "a signed actor names no id or role of its own");
        Check(!signed.ToString().Contains(token.Split('.')[2]), "ToString never shows the token");
        using (Ledger ledger = Open(Trust()))
        {
            long before = ledger.EventCount;
            Grant(ledger, signed);
            Check(ledger.EventCount == before + 1, "a valid token's grant is recorded");
            string events = ledger.SubjectEvents(Adult, signed, Lookup);
            Check(events.Contains("\"id\":\"saksbehandler-17\"") || events.Contains("\"id\": \"saksbehandler-17\""),
                "the event's actor is the token's subject: " + events);
            Check(events.Contains(Issuer), "the event's actor names the issuer");
            Check(!events.Contains(token.Split('.')[2]), "no event holds the token's signature");
            Check(ledger.Statistics(Actor.Signed(Token("auditor"))).MinCell == 5,
                "an auditor's token reads statistics");
        }
    }

    static void TestBadTokens()
    {
        using (Ledger ledger = Open(Trust()))
        {
            foreach (string name in new[] { "expired", "wrong_issuer", "wrong_key" })
            {
                string token = Token(name);
                Throws<NotPermittedException>("a token " + name, ResultCode.NotPermitted, ledger, token,
                    () => Grant(ledger, Actor.Signed(token)));
            }
            string janitor = Token("unknown_role");
            Throws<UnknownCodeException>("a token of a role the catalogue lacks", ResultCode.UnknownCode,
                ledger, janitor, () => Grant(ledger, Actor.Signed(janitor)));
            Throws<InvalidInputException>("a token that is no JWS", ResultCode.InvalidInput, ledger, null,
                () => Grant(ledger, Actor.Signed("not a token")));
            Throws<NotPermittedException>("a case worker's token asking for statistics", ResultCode.NotPermitted,
                ledger, Token("case_worker"), () => ledger.Statistics(Actor.Signed(Token("case_worker"))));
        }
        try
        {
            Actor.Signed(null);
            Check(false, "a null token: no exception");
        }
        catch (NullArgumentException e)
        {
            Check(e.Message.Contains("token"), "a null token names the token: " + e.Message);
        }
    }

    static void TestTrust()
    {
        using (Ledger ledger = Open(null))
        {
            string token = Token("case_worker");
            Throws<NotPermittedException>("a token on a ledger without a trust", ResultCode.NotPermitted,
                ledger, token, () => Grant(ledger, Actor.Signed(token)));
        }
        try
        {
            Open(new ActorTrust(Issuer, Path.Combine(dir, "missing.json"))).Dispose();
            Check(false, "a trust whose JWKS file is missing: no exception");
        }
        catch (StorageException)
        {
            passed++;
        }
        try
        {
            Open(new ActorTrust(Issuer, null)).Dispose();
            Check(false, "a trust without a JWKS file: no exception");
        }
        catch (InvalidInputException e)
        {
            Check(e.Message.Contains("jwks_file"), "a trust without a JWKS file names it: " + e.Message);
        }
    }

    static void TestRequireSigned()
    {
        using (Ledger ledger = Open(Trust(), Path.Combine(dir, "require_signed.toml")))
        {
            Throws<NotPermittedException>("a plain actor under require_signed_actors", ResultCode.NotPermitted,
                ledger, null, () => Grant(ledger, CaseWorker));
            Throws<NotPermittedException>("a plain auditor's statistics under require_signed_actors",
                ResultCode.NotPermitted, ledger, null, () => ledger.Statistics(Auditor));
            long before = ledger.EventCount;
            Grant(ledger, Actor.Signed(Token("case_worker")));
            Check(ledger.EventCount == before + 1, "a signed actor's grant is recorded under require_signed_actors");
        }
    }

    static int Main()
    {
        dir = Environment.GetEnvironmentVariable("CONSENT_SIGNED_ACTORS");
        if (string.IsNullOrEmpty(dir) || !File.Exists(Path.Combine(dir, "jwks.json")))
        {
            Console.Error.WriteLine("CONSENT_SIGNED_ACTORS names no directory of tests/shared/signed_actors.py");
            Console.WriteLine("0 passed, 1 failed");
            return 1;
        }
        TestValidToken();
        TestBadTokens();
        TestTrust();
        TestRequireSigned();
        Console.WriteLine(passed + " passed, " + failed + " failed");
        return failed == 0 ? 0 : 1;
    }
}
