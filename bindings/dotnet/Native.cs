// Every entry point of the C library, declared once. The rest of the assembly calls only
// these; a new export gets its [DllImport] here and a method on Ledger or Decision that
// follows the same pattern (strings in through Utf8.ToNative, results through Utf8.Take,
// the result code through Native.Check).
//
// Marshalling is done by hand so that every runtime (Mono, .NET Framework, .NET) behaves the
// same: strings go in as NUL-terminated UTF-8 byte arrays, strings come out as IntPtr and
// are decoded and freed with consent_string_free, booleans come out as bytes, and handles
// are SafeHandles (so a handle cannot be freed while a call on another thread still uses it).
using System;
using System.Runtime.InteropServices;

namespace Consent
{
    internal static partial class Native
    {
        /// <summary>libconsent.so (Linux), libconsent.dylib, consent.dll.</summary>
        internal const string Library = "consent";

        [DllImport(Library)] internal static extern IntPtr consent_version();
        [DllImport(Library)] internal static extern IntPtr consent_result_str(uint result);
        [DllImport(Library)] internal static extern UIntPtr consent_last_error_message(byte[] buf, UIntPtr len);
        [DllImport(Library)] internal static extern void consent_string_free(IntPtr s);

        [DllImport(Library)] internal static extern ResultCode consent_ledger_open(
            byte[] path, byte[] optionsJson, out LedgerHandle ledger);
        [DllImport(Library)] internal static extern void consent_ledger_free(IntPtr ledger);
        [DllImport(Library)] internal static extern ulong consent_ledger_event_count(LedgerHandle ledger);
        [DllImport(Library)] internal static extern ResultCode consent_ledger_pseudonym(
            LedgerHandle ledger, byte[] subject, out IntPtr pseudonym);
        [DllImport(Library)] internal static extern ResultCode consent_ledger_grant(
            LedgerHandle ledger, byte[] grantJson, byte[] actorJson, out IntPtr grantId);
        [DllImport(Library)] internal static extern ResultCode consent_ledger_withdraw(
            LedgerHandle ledger, byte[] grantId, long atUnixMs, byte[] actorJson, byte[] reason);
        [DllImport(Library)] internal static extern ResultCode consent_ledger_withdraw_idempotent(
            LedgerHandle ledger, byte[] grantId, long atUnixMs, byte[] actorJson, byte[] reason,
            byte[] idempotencyKey);
        [DllImport(Library)] internal static extern ResultCode consent_ledger_refuse(
            LedgerHandle ledger, byte[] refusalJson, byte[] actorJson, out IntPtr recordId);
        [DllImport(Library)] internal static extern ResultCode consent_ledger_decide(
            LedgerHandle ledger, byte[] subject, byte[] recipient, byte[] purpose,
            IntPtr[] categories, UIntPtr nCategories, long atUnixMs, out DecisionHandle decision);
        [DllImport(Library)] internal static extern ResultCode consent_ledger_permits(
            LedgerHandle ledger, byte[] subject, byte[] recipient, byte[] purpose,
            IntPtr[] categories, UIntPtr nCategories, long atUnixMs, out byte permitted);
        [DllImport(Library)] internal static extern ResultCode consent_ledger_record_disclosure(
            LedgerHandle ledger, byte[] subject, byte[] recipient, byte[] purpose,
            IntPtr[] categories, UIntPtr nCategories, long atUnixMs, byte[] actorJson,
            out DecisionHandle decision);
        [DllImport(Library)] internal static extern ResultCode consent_ledger_decide_asserted(
            LedgerHandle ledger, byte[] subject, byte[] recipient, byte[] purpose,
            IntPtr[] categories, UIntPtr nCategories, byte[] assertionsJson, long atUnixMs,
            out DecisionHandle decision);
        [DllImport(Library)] internal static extern ResultCode consent_ledger_record_disclosure_asserted(
            LedgerHandle ledger, byte[] subject, byte[] recipient, byte[] purpose,
            IntPtr[] categories, UIntPtr nCategories, byte[] assertionsJson, long atUnixMs,
            byte[] actorJson, out DecisionHandle decision);
        [DllImport(Library)] internal static extern ResultCode consent_ledger_grant_historical(
            LedgerHandle ledger, byte[] grantsJson, byte[] actorJson, out IntPtr grantIds);
        [DllImport(Library)] internal static extern ResultCode consent_ledger_set_clock(
            LedgerHandle ledger, long atUnixMs);
        [DllImport(Library)] internal static extern ResultCode consent_ledger_verify(
            LedgerHandle ledger, out IntPtr json);
        [DllImport(Library)] internal static extern ResultCode consent_ledger_subject_export_as(
            LedgerHandle ledger, byte[] subject, byte[] actorJson, byte[] lookupPurpose, out IntPtr json);
        [DllImport(Library)] internal static extern ResultCode consent_ledger_subject_events(
            LedgerHandle ledger, byte[] subject, byte[] actorJson, byte[] lookupPurpose, out IntPtr json);
        [DllImport(Library)] internal static extern ResultCode consent_ledger_verify_as(
            LedgerHandle ledger, byte[] actorJson, out IntPtr json);
        [DllImport(Library)] internal static extern ResultCode consent_ledger_decide_logged(
            LedgerHandle ledger, byte[] subject, byte[] recipient, byte[] purpose,
            IntPtr[] categories, UIntPtr nCategories, byte[] assertionsJson, long atUnixMs,
            byte[] actorJson, byte[] lookupPurpose, out DecisionHandle decision);
        [DllImport(Library)] internal static extern ResultCode consent_request_decide_logged(
            RequestHandle request, byte[] subject, long atUnixMs, byte[] actorJson,
            byte[] lookupPurpose, out DecisionHandle decision);
        [DllImport(Library)] internal static extern ResultCode consent_ledger_register_access_request(
            LedgerHandle ledger, byte[] subject, long receivedAtUnixMs, byte[] actorJson, out IntPtr json);
        [DllImport(Library)] internal static extern ResultCode consent_ledger_rectify(
            LedgerHandle ledger, byte[] subject, byte[] grantId, byte[] correctionJson, byte[] reason,
            byte[] actorJson, out IntPtr recordId);
        [DllImport(Library)] internal static extern ResultCode consent_ledger_request_erasure(
            LedgerHandle ledger, byte[] subject, byte[] actorJson, out IntPtr json);
        [DllImport(Library)] internal static extern ResultCode consent_ledger_restrict(
            LedgerHandle ledger, byte[] subject, byte[] ground, long atUnixMs, byte[] actorJson,
            out IntPtr recordId);
        [DllImport(Library)] internal static extern ResultCode consent_ledger_lift_restriction(
            LedgerHandle ledger, byte[] subject, long atUnixMs, byte[] reason, byte[] actorJson,
            out IntPtr recordId);
        [DllImport(Library)] internal static extern ResultCode consent_ledger_object(
            LedgerHandle ledger, byte[] subject, byte[] purpose, long atUnixMs, byte[] actorJson,
            out IntPtr objectionId);
        [DllImport(Library)] internal static extern ResultCode consent_ledger_resolve_objection(
            LedgerHandle ledger, byte[] objectionId, byte[] outcome, long atUnixMs, byte[] reason,
            byte[] actorJson, out IntPtr recordId);
        [DllImport(Library)] internal static extern ResultCode consent_ledger_erasure_due(
            LedgerHandle ledger, long atUnixMs, out IntPtr json);
        [DllImport(Library)] internal static extern ResultCode consent_ledger_execute_kassasjon(
            LedgerHandle ledger, byte[] subject, byte[] actorJson, out IntPtr json);
        [DllImport(Library)] internal static extern ResultCode consent_ledger_statistics_as(
            LedgerHandle ledger, byte[] queryJson, byte[] actorJson, out IntPtr json);
        [DllImport(Library)] internal static extern ResultCode consent_ledger_reconsent_due(
            LedgerHandle ledger, long atUnixMs, long windowMs, out IntPtr json);

        [DllImport(Library)] internal static extern byte consent_decision_permitted(DecisionHandle decision);
        [DllImport(Library)] internal static extern ulong consent_decision_as_of_seq(DecisionHandle decision);
        [DllImport(Library)] internal static extern ResultCode consent_decision_to_json(
            DecisionHandle decision, out IntPtr json);
        [DllImport(Library)] internal static extern void consent_decision_free(IntPtr decision);
        [DllImport(Library)] internal static extern ResultCode consent_request_prepare_asserted(
            LedgerHandle ledger, byte[] recipient, byte[] purpose, IntPtr[] categories,
            UIntPtr nCategories, byte[] assertionsJson, out RequestHandle request);
        [DllImport(Library)] internal static extern ResultCode consent_request_decide(
            RequestHandle request, byte[] subject, long atUnixMs, out DecisionHandle decision);
        [DllImport(Library)] internal static extern ResultCode consent_request_permits(
            RequestHandle request, byte[] subject, long atUnixMs, out byte permitted);
        [DllImport(Library)] internal static extern void consent_request_free(IntPtr request);

        /// <summary><c>consent_event_callback</c>: the event's JSON (borrowed for the call) and
        /// the caller's data; true to go on.</summary>
        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        [return: MarshalAs(UnmanagedType.I1)]
        internal delegate bool EventCallback(IntPtr eventJson, IntPtr userData);

        [DllImport(Library)] internal static extern ResultCode consent_ledger_deviations(
            LedgerHandle ledger, long sinceUnixMs, out IntPtr json);
        [DllImport(Library)] internal static extern ResultCode consent_ledger_events(
            LedgerHandle ledger, EventCallback callback, IntPtr userData);

        /// <summary>Throws the exception for a result other than OK, with this thread's last
        /// error message (read at once, before any other call can replace it).</summary>
        internal static void Check(ResultCode result)
        {
            if (result != ResultCode.Ok)
            {
                throw ConsentException.Create(result, LastErrorMessage());
            }
        }

        /// <summary>The calling thread's last error message, read with a buffer grown to the
        /// length the library reports.</summary>
        internal static string LastErrorMessage()
        {
            byte[] buffer = new byte[256];
            int length = checked((int)(ulong)consent_last_error_message(buffer, (UIntPtr)buffer.Length));
            if (length >= buffer.Length)
            {
                buffer = new byte[length + 1];
                length = checked((int)(ulong)consent_last_error_message(buffer, (UIntPtr)buffer.Length));
                length = Math.Min(length, buffer.Length - 1);
            }
            return Utf8.Strict.GetString(buffer, 0, length);
        }
    }
}
