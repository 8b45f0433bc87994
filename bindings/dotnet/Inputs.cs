using System;
using System.Collections.Generic;
using System.Text;

namespace Consent
{
    /// <summary>Who performs a call: a case worker, a system. Recorded with every event. Either
    /// named by the host (<c>new Actor(id, role)</c>) or a token the municipality's identity
    /// provider signed (<see cref="Signed"/>), which a ledger opened with
    /// <see cref="LedgerOptions.ActorTrust"/> verifies.</summary>
    public sealed class Actor
    {
        private readonly string token;

        /// <summary>An actor, for example <c>new Actor("saksbehandler-17", "case_worker")</c>.
        /// The library validates both (no national id, bounded length).</summary>
        public Actor(string id, string role)
        {
            Id = id;
            Role = role;
        }

        private Actor(string token)
        {
            this.token = token;
        }

        /// <summary>An actor given as a signed token (a JWT, RS256 or ES256, in compact form),
        /// for example one the host received from the municipality's identity provider. The
        /// ledger verifies it at the call's instant against the trust it was opened with
        /// (<see cref="LedgerOptions.ActorTrust"/>) and acts as the id and role of its claims;
        /// the event stores that actor with the issuer, never the token. A token that does not
        /// verify, or one given to a ledger without a trust, throws
        /// <see cref="NotPermittedException"/>; a role claim the catalogue lacks
        /// <see cref="UnknownCodeException"/>. No message, and not <see cref="ToString"/>,
        /// contains the token.</summary>
        /// <exception cref="NullArgumentException">A null token.</exception>
        public static Actor Signed(string token)
        {
            if (token == null)
            {
                throw new NullArgumentException("token: a signed actor needs its token");
            }
            return new Actor(token);
        }

        /// <summary>The actor's id in the case system (never a national id); null for a signed
        /// actor, whose id is the token's claim.</summary>
        public string Id { get; }

        /// <summary>The actor's role, for example <c>case_worker</c> or <c>system</c>; null
        /// for a signed actor, whose role is the token's claim.</summary>
        public string Role { get; }

        /// <summary>Whether this actor is a signed token (<see cref="Signed"/>).</summary>
        public bool IsSigned
        {
            get { return token != null; }
        }

        /// <summary>The id and role, or <c>signed actor</c>: never the token.</summary>
        public override string ToString()
        {
            return IsSigned ? "signed actor" : Id + " (" + Role + ")";
        }

        /// <summary>The actor document, <c>{"id": ..., "role": ...}</c> or
        /// <c>{"token": ...}</c>. A null id or role is left out, and the library names it as
        /// missing.</summary>
        internal string ToJson()
        {
            if (token != null)
            {
                return Json.Object(Json.Member("token", Json.Quote(token)));
            }
            return Json.Object(
                Json.Member("id", Id == null ? null : Json.Quote(Id)),
                Json.Member("role", Role == null ? null : Json.Quote(Role)));
        }

        /// <summary>The actor document, or null for a null actor (which the library reports as
        /// <see cref="ResultCode.NullArgument"/>).</summary>
        internal static byte[] ToNative(Actor actor)
        {
            return actor == null ? null : Utf8.ToNative(actor.ToJson(), "actor_json");
        }
    }

    /// <summary>Whose signed actors a ledger believes (<see cref="LedgerOptions.ActorTrust"/>):
    /// the identity provider's issuer and a JWKS file of its public keys.</summary>
    public sealed class ActorTrust
    {
        /// <summary>A trust in <paramref name="issuer"/> (the tokens' <c>iss</c>, for example
        /// <c>https://login.kommune.no</c>) whose keys are in the JWKS file
        /// <paramref name="jwksFile"/>. The library reads and checks both when the ledger is
        /// opened: a missing file throws <see cref="StorageException"/>, a file that is no JWKS
        /// <see cref="InvalidInputException"/>.</summary>
        public ActorTrust(string issuer, string jwksFile)
        {
            Issuer = issuer;
            JwksFile = jwksFile;
        }

        /// <summary>The issuer the tokens must name.</summary>
        public string Issuer { get; }

        /// <summary>The JWKS file holding the issuer's public keys (RSA or P-256).</summary>
        public string JwksFile { get; }

        /// <summary>The claim that holds the actor's id (the library's default, <c>sub</c>,
        /// when null).</summary>
        public string IdClaim { get; set; }

        /// <summary>The claim that holds the actor's role (the library's default,
        /// <c>role</c>, when null).</summary>
        public string RoleClaim { get; set; }

        /// <summary>The audience the tokens must name in <c>aud</c> (none checked when
        /// null).</summary>
        public string Audience { get; set; }

        /// <summary>The options document's <c>actor_trust</c> object. A null issuer or JWKS
        /// file is left out, and the library names it as missing.</summary>
        internal string ToJson()
        {
            return Json.Object(
                Json.Member("issuer", Issuer == null ? null : Json.Quote(Issuer)),
                Json.Member("jwks_file", JwksFile == null ? null : Json.Quote(JwksFile)),
                Json.Member("id_claim", IdClaim == null ? null : Json.Quote(IdClaim)),
                Json.Member("role_claim", RoleClaim == null ? null : Json.Quote(RoleClaim)),
                Json.Member("audience", Audience == null ? null : Json.Quote(Audience)));
        }
    }

    /// <summary>How <see cref="Ledger.Open"/> opens a ledger. Every property is optional.</summary>
    public sealed class LedgerOptions
    {
        /// <summary>Accept synthetic test national ids. Never in production.</summary>
        public bool TestMode { get; set; }

        /// <summary>Accept the 2032 individual-number rule (the library's default when null).</summary>
        public bool? AcceptPid2032 { get; set; }

        /// <summary>The key file of a file ledger (default: the ledger's path with <c>.key</c>).</summary>
        public string KeyFile { get; set; }

        /// <summary>The pseudonym key itself, 64 hex digits, for hosts that keep it in a secret
        /// store. Never logged.</summary>
        public string KeyHex { get; set; }

        /// <summary>A catalogue TOML file to use instead of the embedded default.</summary>
        public string CatalogueFile { get; set; }

        /// <summary>A test clock starting at this instant, instead of the system clock: what the
        /// ledger stamps events with and judges a grant's backdating by (a consent may start at
        /// most the catalogue's <c>max_backdating_days</c> before it is recorded). Move it with
        /// <see cref="Ledger.SetClock"/>. Only with <see cref="TestMode"/>: opening throws
        /// <see cref="InvalidInputException"/> otherwise. For tests and training ledgers that
        /// keep fixed dates; a production ledger runs on the system clock.</summary>
        public DateTimeOffset? Clock { get; set; }

        /// <summary>How long a write waits for another process's write lock on a shared ledger
        /// file before it throws <see cref="LockedException"/> naming the process that holds
        /// it (nothing written); at least a millisecond. Null, the default: as long as it
        /// takes, since a writer holds the lock for one write only.</summary>
        public TimeSpan? WriteWait { get; set; }

        /// <summary>For a ledger other hosts write (PostgreSQL): how old, in milliseconds, the
        /// last check of the database's head may be before a decision asks again. Null or 0,
        /// the default: every decision asks, so it reflects every write acknowledged anywhere
        /// before it started (<see cref="Decision.AsOfSeq"/> says where it was made).</summary>
        public long? MaxStalenessMs { get; set; }

        /// <summary>Whose signed actors the ledger believes (<see cref="Actor.Signed"/>). Null,
        /// the default: none, and a signed actor throws <see cref="NotPermittedException"/>.
        /// A catalogue with <c>require_signed_actors = true</c> takes only signed
        /// actors.</summary>
        public ActorTrust ActorTrust { get; set; }

        internal string ToJson()
        {
            // A clock without test mode is passed on as it is: the library refuses it, so the
            // rule lives in one place for every binding.
            return Json.Object(
                Json.Member("clock", Clock.HasValue ? Json.Quote(Json.Instant(Clock.Value)) : null),
                Json.Member("test_mode", TestMode ? "true" : null),
                Json.Member("accept_pid2032", AcceptPid2032.HasValue ? (AcceptPid2032.Value ? "true" : "false") : null),
                Json.Member("key_file", KeyFile == null ? null : Json.Quote(KeyFile)),
                Json.Member("key_hex", KeyHex == null ? null : Json.Quote(KeyHex)),
                Json.Member("catalogue_file", CatalogueFile == null ? null : Json.Quote(CatalogueFile)),
                // Whole milliseconds, as the library counts them; a wait under 1 ms (or
                // negative) is passed on as it is, and the library refuses it.
                Json.Member("write_wait_ms", WriteWait.HasValue
                    ? ((long)Math.Ceiling(WriteWait.Value.TotalMilliseconds)).ToString(System.Globalization.CultureInfo.InvariantCulture)
                    : null),
                Json.Member("max_staleness_ms", MaxStalenessMs.HasValue
                    ? MaxStalenessMs.Value.ToString(System.Globalization.CultureInfo.InvariantCulture)
                    : null),
                Json.Member("actor_trust", ActorTrust == null ? null : ActorTrust.ToJson()));
        }
    }

    /// <summary>A condition the requester asserts for a disclosure, with the reference (a case
    /// or journal number) where its grounds are documented: what a statutory rule that requires
    /// a condition needs before it permits. In the default catalogue the duty to inform the
    /// child welfare service (<c>barnevern_duty</c>) requires <c>serious_concern</c> or
    /// <c>order</c>. A recorded disclosure keeps the assertions.</summary>
    public sealed class Assertion
    {
        /// <summary>An assertion, for example <c>new Assertion("serious_concern", "2026/55")</c>.
        /// The library validates both: a condition the catalogue does not declare is an
        /// <see cref="UnknownCodeException"/>, a reference that is empty, longer than 128
        /// characters or holds a national id an <see cref="InvalidInputException"/>.</summary>
        public Assertion(string condition, string reference)
        {
            Condition = condition;
            Reference = reference;
        }

        /// <summary>The condition's code, as the catalogue declares it.</summary>
        public string Condition { get; }

        /// <summary>Where the grounds are documented (never a national id).</summary>
        public string Reference { get; }

        /// <summary>The assertion document, <c>{"condition": ..., "reference": ...}</c>. A null
        /// condition or reference is left out, and the library names it as missing.</summary>
        internal string ToJson()
        {
            return Json.Object(
                Json.Member("condition", Condition == null ? null : Json.Quote(Condition)),
                Json.Member("reference", Reference == null ? null : Json.Quote(Reference)));
        }

        /// <summary>The assertions as the library's JSON array, or null for a null list (which
        /// asserts nothing). A null entry is a <see cref="NullArgumentException"/> naming it, as
        /// the library names a null entry of a list of strings.</summary>
        internal static byte[] ToNative(IReadOnlyList<Assertion> assertions)
        {
            if (assertions == null)
            {
                return null;
            }
            var text = new StringBuilder("[");
            for (int i = 0; i < assertions.Count; i++)
            {
                if (i > 0)
                {
                    text.Append(", ");
                }
                if (assertions[i] == null)
                {
                    throw new NullArgumentException("`assertions[" + i + "]` is NULL");
                }
                text.Append(assertions[i].ToJson());
            }
            return Utf8.ToNative(text.Append(']').ToString(), "assertions_json");
        }
    }

    /// <summary>Grant documents joined into the JSON array of
    /// <c>consent_ledger_grant_historical</c>.</summary>
    internal static class GrantDocuments
    {
        /// <summary>The documents as one JSON array, or null for a null list (which the library
        /// names as NULL). Each entry must be one JSON object and nothing after it: joined with
        /// commas, <c>{...}, {...}</c> in one entry would otherwise become two grants, and the
        /// ids returned would no longer match the entries. A null entry is a
        /// <see cref="NullArgumentException"/>, an entry that is not one object an
        /// <see cref="InvalidInputException"/>, both naming the entry and neither its text.</summary>
        internal static byte[] ToNative(IReadOnlyList<string> grants)
        {
            if (grants == null)
            {
                return null;
            }
            var text = new StringBuilder("[");
            for (int i = 0; i < grants.Count; i++)
            {
                if (grants[i] == null)
                {
                    throw new NullArgumentException("`grants_json[" + i + "]` is NULL");
                }
                if (!IsOneObject(grants[i]))
                {
                    throw new InvalidInputException("grant " + i + ": expected one JSON object (a grant document)");
                }
                if (i > 0)
                {
                    text.Append(", ");
                }
                text.Append(grants[i]);
            }
            return Utf8.ToNative(text.Append(']').ToString(), "grants_json");
        }

        /// <summary>Whether <paramref name="text"/> is one JSON object with nothing but white
        /// space around it, judged by its brackets outside strings (strings and escapes read as
        /// JSON reads them). The library checks the rest of the JSON.</summary>
        private static bool IsOneObject(string text)
        {
            int at = SkipSpace(text, 0);
            if (at >= text.Length || text[at] != '{')
            {
                return false;
            }
            int depth = 0;
            bool inString = false;
            for (; at < text.Length; at++)
            {
                char c = text[at];
                if (inString)
                {
                    if (c == '\\')
                    {
                        at++;
                    }
                    else if (c == '"')
                    {
                        inString = false;
                    }
                }
                else if (c == '"')
                {
                    inString = true;
                }
                else if (c == '{' || c == '[')
                {
                    depth++;
                }
                else if (c == '}' || c == ']')
                {
                    depth--;
                    if (depth == 0)
                    {
                        return SkipSpace(text, at + 1) == text.Length;
                    }
                }
            }
            return false;
        }

        private static int SkipSpace(string text, int at)
        {
            while (at < text.Length && (text[at] == ' ' || text[at] == '\t' || text[at] == '\n' || text[at] == '\r'))
            {
                at++;
            }
            return at;
        }
    }

    /// <summary>A correction of one field of a grant (GDPR Art. 16), for
    /// <see cref="Ledger.Rectify"/>.</summary>
    public sealed class Correction
    {
        private readonly string json;

        private Correction(string field, string value)
        {
            json = Json.Object(Json.Member("field", Json.Quote(field)), Json.Member("value", value));
        }

        /// <summary>Corrects the reference of the consent's evidence (a case or journal number).</summary>
        public static Correction EvidenceReference(string reference)
        {
            return new Correction("evidence_reference", reference == null ? "null" : Json.Quote(reference));
        }

        /// <summary>Corrects when the grant takes effect.</summary>
        public static Correction ValidFrom(DateTimeOffset validFrom)
        {
            return new Correction("valid_from", Json.Quote(Json.Instant(validFrom)));
        }

        /// <summary>Corrects when the grant ends; null for no end.</summary>
        public static Correction ValidUntil(DateTimeOffset? validUntil)
        {
            return new Correction("valid_until",
                validUntil.HasValue ? Json.Quote(Json.Instant(validUntil.Value)) : "null");
        }

        /// <summary>The correction document.</summary>
        public override string ToString()
        {
            return json;
        }

        internal byte[] ToNative()
        {
            return Utf8.ToNative(json, "correction_json");
        }
    }

    /// <summary>Conversions of instants and durations to the C library's milliseconds.</summary>
    internal static class Time
    {
        /// <summary>Unix milliseconds (UTC), rounded down: the C library counts whole
        /// milliseconds.</summary>
        internal static long UnixMs(DateTimeOffset at)
        {
            return at.ToUnixTimeMilliseconds();
        }

        /// <summary>Whole milliseconds, rounded toward zero.</summary>
        internal static long Ms(TimeSpan span)
        {
            return span.Ticks / TimeSpan.TicksPerMillisecond;
        }
    }
}
