using System;
using System.Collections.Generic;

namespace Consent
{
    /// <summary>What <see cref="Ledger.Verify"/> found walking the hash chain.</summary>
    public sealed class VerifyReport
    {
        internal VerifyReport(JsonObject json)
        {
            Ok = json.Bool("ok");
            Events = json.Long("events");
            HeadHash = json.String("head_hash");
            FirstBadSeq = json.OptionalLong("first_bad_seq");
            Problem = json.OptionalString("problem");
        }

        /// <summary>Whether every event verified.</summary>
        public bool Ok { get; }

        /// <summary>How many events were checked.</summary>
        public long Events { get; }

        /// <summary>The hash at the head of the chain (hex).</summary>
        public string HeadHash { get; }

        /// <summary>The first event that did not verify, or null.</summary>
        public long? FirstBadSeq { get; }

        /// <summary>What was wrong with it, or null.</summary>
        public string Problem { get; }
    }

    /// <summary>A registered access request (GDPR Art. 15), due one month after receipt.</summary>
    public sealed class AccessRequest
    {
        internal AccessRequest(JsonObject json)
        {
            Id = json.Guid("id");
            ReceivedAt = json.Instant("received_at");
            DueAt = json.Instant("due_at");
        }

        /// <summary>The request's record id.</summary>
        public Guid Id { get; }

        /// <summary>When it was received.</summary>
        public DateTimeOffset ReceivedAt { get; }

        /// <summary>When it must be answered (GDPR Art. 12(3)).</summary>
        public DateTimeOffset DueAt { get; }
    }

    /// <summary>The outcome of an erasure request (GDPR Art. 17): erased, or restricted because
    /// an archival or legal duty keeps the records.</summary>
    public sealed class ErasureOutcome
    {
        internal ErasureOutcome(JsonObject json)
        {
            Outcome = json.String("outcome");
            At = json.Instant("at");
            if (Outcome == "restricted")
            {
                Rules = json.Strings("rules");
                Statutes = json.Strings("statutes");
            }
            else if (Outcome == "erased")
            {
                Rules = new List<string>().AsReadOnly();
                Statutes = Rules;
                EventsErased = json.Long("events_erased");
            }
            else
            {
                throw new InvalidOperationException("the library's erasure outcome is unknown: `" + Outcome + "`");
            }
        }

        /// <summary><c>erased</c> or <c>restricted</c>.</summary>
        public string Outcome { get; }

        /// <summary>Whether the subject's personal payloads were made unrecoverable.</summary>
        public bool Erased
        {
            get { return Outcome == "erased"; }
        }

        /// <summary>When it took effect.</summary>
        public DateTimeOffset At { get; }

        /// <summary>For a restriction: the rules whose duty keeps the records.</summary>
        public IReadOnlyList<string> Rules { get; }

        /// <summary>For a restriction: the statutes behind those rules.</summary>
        public IReadOnlyList<string> Statutes { get; }

        /// <summary>For an erasure: how many events' payloads were made unrecoverable.</summary>
        public long EventsErased { get; }
    }

    /// <summary>Aggregate counts with small cells suppressed (null), from
    /// <see cref="Ledger.Statistics"/>.</summary>
    public sealed class Statistics
    {
        internal Statistics(JsonObject json)
        {
            MinCell = json.Long("min_cell");
            At = json.Instant("at");
            var rows = new List<StatisticsRow>();
            foreach (JsonObject row in json.Objects("rows"))
            {
                rows.Add(new StatisticsRow(row));
            }
            Rows = rows.AsReadOnly();
            var active = new List<ActiveGrantCount>();
            foreach (JsonObject count in json.Objects("active_grants"))
            {
                active.Add(new ActiveGrantCount(count));
            }
            ActiveGrants = active.AsReadOnly();
        }

        /// <summary>The threshold: counts from 1 to <c>MinCell - 1</c> are null.</summary>
        public long MinCell { get; }

        /// <summary>The instant at which active grants were counted.</summary>
        public DateTimeOffset At { get; }

        /// <summary>Events by month, purpose and recipient.</summary>
        public IReadOnlyList<StatisticsRow> Rows { get; }

        /// <summary>Active grants by purpose and recipient.</summary>
        public IReadOnlyList<ActiveGrantCount> ActiveGrants { get; }
    }

    /// <summary>Events of one month, purpose and recipient; a null count is suppressed.</summary>
    public sealed class StatisticsRow
    {
        internal StatisticsRow(JsonObject json)
        {
            Month = json.String("month");
            Purpose = json.String("purpose");
            Recipient = json.String("recipient");
            Grants = json.OptionalLong("grants");
            Withdrawals = json.OptionalLong("withdrawals");
            Refusals = json.OptionalLong("refusals");
            Disclosures = json.OptionalLong("disclosures");
        }

        /// <summary><c>YYYY-MM</c>.</summary>
        public string Month { get; }

        /// <summary>The purpose code.</summary>
        public string Purpose { get; }

        /// <summary>The recipient code.</summary>
        public string Recipient { get; }

        /// <summary>Grants recorded, or null when suppressed.</summary>
        public long? Grants { get; }

        /// <summary>Withdrawals recorded, or null when suppressed.</summary>
        public long? Withdrawals { get; }

        /// <summary>Refusals recorded, or null when suppressed.</summary>
        public long? Refusals { get; }

        /// <summary>Disclosures recorded, or null when suppressed.</summary>
        public long? Disclosures { get; }
    }

    /// <summary>Active grants of one purpose and recipient; a null count is suppressed.</summary>
    public sealed class ActiveGrantCount
    {
        internal ActiveGrantCount(JsonObject json)
        {
            Purpose = json.String("purpose");
            Recipient = json.String("recipient");
            Count = json.OptionalLong("count");
        }

        /// <summary>The purpose code.</summary>
        public string Purpose { get; }

        /// <summary>The recipient code.</summary>
        public string Recipient { get; }

        /// <summary>How many, or null when suppressed.</summary>
        public long? Count { get; }
    }

    /// <summary>A grant that stops covering disclosures soon, from <see cref="Ledger.ReconsentDue"/>.</summary>
    public sealed class ReconsentItem
    {
        internal ReconsentItem(JsonObject json)
        {
            GrantId = json.Guid("grant_id");
            Subject = json.String("subject");
            Reason = json.String("reason");
            DueAt = json.Instant("due_at");
            Purposes = json.Strings("purposes");
            Recipients = json.Strings("recipients");
            Categories = json.Strings("categories");
        }

        /// <summary>The grant.</summary>
        public Guid GrantId { get; }

        /// <summary>The subject's pseudonym (never the national id): compare it with
        /// <see cref="Ledger.Pseudonym"/> of your clients.</summary>
        public string Subject { get; }

        /// <summary><c>comes_of_age</c>, <c>expires</c> or <c>notice_superseded</c>.</summary>
        public string Reason { get; }

        /// <summary>When the grant stops covering disclosures.</summary>
        public DateTimeOffset DueAt { get; }

        /// <summary>The grant's purposes.</summary>
        public IReadOnlyList<string> Purposes { get; }

        /// <summary>The grant's recipients.</summary>
        public IReadOnlyList<string> Recipients { get; }

        /// <summary>The grant's categories.</summary>
        public IReadOnlyList<string> Categories { get; }
    }
}
