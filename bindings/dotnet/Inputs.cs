using System;
using System.Collections.Generic;
using System.Text;

namespace Consent
{
    /// <summary>Who performs a write: a case worker, a system. Recorded with every event.</summary>
    public sealed class Actor
    {
        /// <summary>An actor, for example <c>new Actor("saksbehandler-17", "case_worker")</c>.
        /// The library validates both (no national id, bounded length).</summary>
        public Actor(string id, string role)
        {
            Id = id;
            Role = role;
        }

        /// <summary>The actor's id in the case system (never a national id).</summary>
        public string Id { get; }

        /// <summary>The actor's role, for example <c>case_worker</c> or <c>system</c>.</summary>
        public string Role { get; }

        /// <summary>The actor document, <c>{"id": ..., "role": ...}</c>. A null id or role
        /// is left out, and the library names it as missing.</summary>
        internal string ToJson()
        {
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
                    : null));
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
