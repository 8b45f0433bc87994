using System;
using System.Collections.Generic;

namespace Consent
{
    /// <summary>The answer to a disclosure request: may it, on what basis, and if not, why not.
    ///
    /// A decision never changes and may be read from several threads; it stays valid after its
    /// ledger is disposed. Dispose it when done (a finalizer releases it otherwise).</summary>
    public sealed class Decision : IDisposable
    {
        private readonly DecisionHandle handle;
        private JsonObject parsed;

        internal Decision(DecisionHandle handle)
        {
            this.handle = handle;
        }

        /// <summary>Whether the disclosure is permitted: every requested category has a basis.
        /// Act on this, never on the decision's existence: a denial is a decision too.</summary>
        public bool Permitted
        {
            get { return Native.consent_decision_permitted(handle) != 0; }
        }

        /// <summary>The decision as the library's JSON document (schema version 1): the instant,
        /// recipient, purpose, and per category the basis or the reason for denial. It
        /// contains no national id.</summary>
        public string ToJson()
        {
            IntPtr json;
            Native.Check(Native.consent_decision_to_json(handle, out json));
            return Utf8.Take(json);
        }

        private JsonObject Parsed
        {
            get
            {
                if (parsed == null)
                {
                    parsed = JsonObject.Parse(ToJson(), "decision");
                }
                return parsed;
            }
        }

        /// <summary>The instant the decision is for.</summary>
        public DateTimeOffset At
        {
            get { return Parsed.Instant("at"); }
        }

        /// <summary>The recipient code.</summary>
        public string Recipient
        {
            get { return Parsed.String("recipient"); }
        }

        /// <summary>The purpose code.</summary>
        public string Purpose
        {
            get { return Parsed.String("purpose"); }
        }

        /// <summary>One outcome per requested category, in request order.</summary>
        public IReadOnlyList<CategoryOutcome> Bases
        {
            get
            {
                var outcomes = new List<CategoryOutcome>();
                foreach (JsonObject item in Parsed.Objects("categories"))
                {
                    outcomes.Add(new CategoryOutcome(item));
                }
                return outcomes.AsReadOnly();
            }
        }

        /// <summary>The reason the first denied category was denied, or null when permitted.</summary>
        public string Denial
        {
            get
            {
                foreach (CategoryOutcome outcome in Bases)
                {
                    if (!outcome.Permitted)
                    {
                        return outcome.Reason;
                    }
                }
                return null;
            }
        }

        /// <summary>Releases the native decision. Reading it afterwards throws
        /// <see cref="ObjectDisposedException"/>.</summary>
        public void Dispose()
        {
            handle.Dispose();
        }

        /// <summary>For example <c>Decision(permitted, nir for nir_registration)</c>.</summary>
        public override string ToString()
        {
            return "Decision(" + (Permitted ? "permitted" : "denied: " + Denial) + ", " + Recipient
                + " for " + Purpose + " at " + Json.Instant(At) + ")";
        }
    }

    /// <summary>The outcome for one requested category of a <see cref="Decision"/>.</summary>
    public sealed class CategoryOutcome
    {
        internal CategoryOutcome(JsonObject json)
        {
            Category = json.String("category");
            Permitted = json.Bool("permitted");
            if (Permitted)
            {
                Basis = new Basis(json.Object("basis"));
            }
            else
            {
                Reason = json.String("reason");
            }
        }

        /// <summary>The category code.</summary>
        public string Category { get; }

        /// <summary>Whether this category may be disclosed.</summary>
        public bool Permitted { get; }

        /// <summary>What permits it, when permitted; otherwise null.</summary>
        public Basis Basis { get; }

        /// <summary>Why it is denied (<c>no_basis</c>, <c>withdrawn</c>, <c>expired</c>,
        /// <c>not_explicit</c>, <c>reconsent_required</c>, <c>restricted</c>), or null when
        /// permitted.</summary>
        public string Reason { get; }
    }

    /// <summary>The lawful basis of a permitted category: a statutory rule or a consent grant.</summary>
    public sealed class Basis
    {
        internal Basis(JsonObject json)
        {
            Kind = json.String("kind");
            Art6 = json.String("art6");
            Art9 = json.OptionalString("art9");
            ConfidentialityException = json.String("confidentiality_exception");
            if (Kind == "statute")
            {
                Rule = json.String("rule");
                Statute = json.String("statute");
            }
            else if (Kind == "consent")
            {
                GrantId = json.Guid("grant_id");
                Explicit = json.Bool("explicit");
            }
        }

        /// <summary><c>statute</c> or <c>consent</c>.</summary>
        public string Kind { get; }

        /// <summary>The catalogue rule, for a statutory basis.</summary>
        public string Rule { get; }

        /// <summary>The statute, for example <c>integreringsloven § 43</c>, for a statutory basis.</summary>
        public string Statute { get; }

        /// <summary>The grant, for a consent basis.</summary>
        public Guid? GrantId { get; }

        /// <summary>Whether the consent was explicit, for a consent basis.</summary>
        public bool? Explicit { get; }

        /// <summary>The GDPR Art. 6(1) basis, for example <c>A6_1_c</c>.</summary>
        public string Art6 { get; }

        /// <summary>The Art. 9(2) condition for special-category data, or null.</summary>
        public string Art9 { get; }

        /// <summary>The exception from the duty of confidentiality that allows the disclosure.</summary>
        public string ConfidentialityException { get; }
    }
}
