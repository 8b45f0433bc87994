using System;
using System.Collections.Generic;

namespace Consent
{
    public sealed partial class Ledger
    {
        /// <summary>The deviations (avvik): disclosures recorded at or after
        /// <paramref name="since"/> that the ledger would now deny at their instant, because it
        /// learnt later of a withdrawal, a restriction or an objection dated before them. In
        /// the order they were recorded. Nothing is recorded.</summary>
        /// <exception cref="InvalidInputException">An instant out of range.</exception>
        public IReadOnlyList<Deviation> Deviations(DateTimeOffset since)
        {
            IntPtr json;
            Native.Check(Native.consent_ledger_deviations(handle, Time.UnixMs(since), out json));
            List<object> list = Json.Parse(Utf8.Take(json)) as List<object>;
            if (list == null)
            {
                throw new InvalidOperationException("the library's deviations are not a list");
            }
            var items = new List<Deviation>();
            foreach (object item in list)
            {
                items.Add(new Deviation(new JsonObject(item, "deviation")));
            }
            return items.AsReadOnly();
        }
    }

    /// <summary>A recorded disclosure the ledger would now deny at its instant, from
    /// <see cref="Ledger.Deviations"/>.</summary>
    public sealed class Deviation
    {
        internal Deviation(JsonObject json)
        {
            EventId = json.Guid("event_id");
            Subject = json.String("subject");
            Recipient = json.String("recipient");
            Purpose = json.String("purpose");
            At = json.Instant("at");
            RecordedAt = json.Instant("recorded_at");
            var categories = new List<KeyValuePair<string, DenialReason>>();
            foreach (JsonObject category in json.Objects("categories"))
            {
                categories.Add(new KeyValuePair<string, DenialReason>(category.String("category"),
                    DenialReasons.Parse(category.String("reason"))));
            }
            Categories = categories.AsReadOnly();
        }

        /// <summary>The disclosure event's id.</summary>
        public Guid EventId { get; }

        /// <summary>The subject's pseudonym (never the national id).</summary>
        public string Subject { get; }

        /// <summary>Who received the data.</summary>
        public string Recipient { get; }

        /// <summary>What for.</summary>
        public string Purpose { get; }

        /// <summary>When the data was disclosed.</summary>
        public DateTimeOffset At { get; }

        /// <summary>When the disclosure was recorded.</summary>
        public DateTimeOffset RecordedAt { get; }

        /// <summary>Each category that would now be denied, with the reason.</summary>
        public IReadOnlyList<KeyValuePair<string, DenialReason>> Categories { get; }
    }
}
