using System;
using System.Runtime.InteropServices;

namespace Consent
{
    /// <summary>A <c>consent_ledger *</c>. The native ledger is frozen and may be shared across
    /// threads; the SafeHandle's reference count keeps it alive until every call in flight has
    /// returned, then <c>consent_ledger_free</c> releases it once.</summary>
    internal sealed class LedgerHandle : SafeHandle
    {
        /// <summary>Created by the marshaller for an out-parameter.</summary>
        public LedgerHandle() : base(IntPtr.Zero, true) { }

        public override bool IsInvalid
        {
            get { return handle == IntPtr.Zero; }
        }

        protected override bool ReleaseHandle()
        {
            Native.consent_ledger_free(handle);
            return true;
        }
    }

    /// <summary>A <c>consent_decision *</c>, released once with <c>consent_decision_free</c>.</summary>
    internal sealed class DecisionHandle : SafeHandle
    {
        /// <summary>Created by the marshaller for an out-parameter.</summary>
        public DecisionHandle() : base(IntPtr.Zero, true) { }

        public override bool IsInvalid
        {
            get { return handle == IntPtr.Zero; }
        }

        protected override bool ReleaseHandle()
        {
            Native.consent_decision_free(handle);
            return true;
        }
    }

    /// <summary>A <c>consent_request *</c>, released once with <c>consent_request_free</c>. It
    /// keeps its native ledger alive.</summary>
    internal sealed class RequestHandle : SafeHandle
    {
        /// <summary>Created by the marshaller for an out-parameter.</summary>
        public RequestHandle() : base(IntPtr.Zero, true) { }

        public override bool IsInvalid
        {
            get { return handle == IntPtr.Zero; }
        }

        protected override bool ReleaseHandle()
        {
            Native.consent_request_free(handle);
            return true;
        }
    }
}
