using System;

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

        internal string ToJson()
        {
            return Json.Object(
                Json.Member("test_mode", TestMode ? "true" : null),
                Json.Member("accept_pid2032", AcceptPid2032.HasValue ? (AcceptPid2032.Value ? "true" : "false") : null),
                Json.Member("key_file", KeyFile == null ? null : Json.Quote(KeyFile)),
                Json.Member("key_hex", KeyHex == null ? null : Json.Quote(KeyHex)),
                Json.Member("catalogue_file", CatalogueFile == null ? null : Json.Quote(CatalogueFile)));
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
