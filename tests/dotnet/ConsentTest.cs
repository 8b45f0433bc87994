// A C# consumer of the consent C ABI through P/Invoke (Mono mcs, C# 7.2 or older).
// Run with scripts/test-dotnet.sh; prints "N passed, M failed" as its last line.
using System;
using System.Runtime.InteropServices;
using System.Text;

static class Native
{
    const string Lib = "consent_ffi";

    [DllImport(Lib)] public static extern uint consent_ledger_open(
        [MarshalAs(UnmanagedType.LPUTF8Str)] string path,
        [MarshalAs(UnmanagedType.LPUTF8Str)] string optionsJson,
        out IntPtr ledger);
    [DllImport(Lib)] public static extern void consent_ledger_free(IntPtr ledger);
    [DllImport(Lib)] public static extern ulong consent_ledger_event_count(IntPtr ledger);
    [DllImport(Lib)] public static extern uint consent_ledger_grant(IntPtr ledger,
        [MarshalAs(UnmanagedType.LPUTF8Str)] string grantJson,
        [MarshalAs(UnmanagedType.LPUTF8Str)] string actorJson,
        out IntPtr grantId);
    [DllImport(Lib)] public static extern uint consent_ledger_withdraw(IntPtr ledger,
        [MarshalAs(UnmanagedType.LPUTF8Str)] string grantId, long atUnixMs,
        [MarshalAs(UnmanagedType.LPUTF8Str)] string actorJson,
        [MarshalAs(UnmanagedType.LPUTF8Str)] string reason);
    [DllImport(Lib)] public static extern uint consent_ledger_decide(IntPtr ledger,
        [MarshalAs(UnmanagedType.LPUTF8Str)] string subject,
        [MarshalAs(UnmanagedType.LPUTF8Str)] string recipient,
        [MarshalAs(UnmanagedType.LPUTF8Str)] string purpose,
        [MarshalAs(UnmanagedType.LPArray, ArraySubType = UnmanagedType.LPUTF8Str)] string[] categories,
        UIntPtr nCategories, long atUnixMs, out IntPtr decision);
    [DllImport(Lib)] [return: MarshalAs(UnmanagedType.I1)]
    public static extern bool consent_decision_permitted(IntPtr decision);
    [DllImport(Lib)] public static extern uint consent_decision_to_json(IntPtr decision, out IntPtr json);
    [DllImport(Lib)] public static extern void consent_decision_free(IntPtr decision);
    [DllImport(Lib)] public static extern void consent_string_free(IntPtr s);
    [DllImport(Lib)] public static extern UIntPtr consent_last_error_message(byte[] buf, UIntPtr len);
    [DllImport(Lib)] public static extern IntPtr consent_version();
}

static class Program
{
    const uint OK = 0, INVALID_INPUT = 1, INVALID_NATIONAL_ID = 2, UNKNOWN_CODE = 3, NOT_FOUND = 4;
    const string Adult = "15038510190";
    const string Actor = "{\"id\": \"saksbehandler-17\", \"role\": \"case_worker\"}";
    const long March2026 = 1772366400000;   // 2026-03-01T12:00:00Z
    const long May2026 = 1777636800000;     // 2026-05-01T12:00:00Z
    const long June2026 = 1780272000000;    // 2026-06-01T00:00:00Z
    const long July2026 = 1782907200000;    // 2026-07-01T12:00:00Z

    static int passed, failed;

    static void Check(bool condition, string what)
    {
        if (condition) { passed++; }
        else { failed++; Console.Error.WriteLine("FAIL: " + what + " (" + LastError() + ")"); }
    }

    static string Utf8(IntPtr p)
    {
        if (p == IntPtr.Zero) return null;
        int len = 0;
        while (Marshal.ReadByte(p, len) != 0) len++;
        byte[] bytes = new byte[len];
        Marshal.Copy(p, bytes, 0, len);
        return Encoding.UTF8.GetString(bytes);
    }

    static string TakeString(IntPtr p)
    {
        string s = Utf8(p);
        Native.consent_string_free(p);
        return s;
    }

    // Reads the last error, retrying with the full length the library reports.
    static string LastError()
    {
        byte[] buf = new byte[8];
        int full = (int)Native.consent_last_error_message(buf, (UIntPtr)buf.Length);
        if (full >= buf.Length)
        {
            buf = new byte[full + 1];
            Native.consent_last_error_message(buf, (UIntPtr)buf.Length);
        }
        return Encoding.UTF8.GetString(buf, 0, full);
    }

    static string Grant(string categories, bool isExplicit)
    {
        return "{\"subject\": \"" + Adult + "\", \"grantor\": {\"role\": \"self\"},"
            + " \"purposes\": [\"health_coordination\"], \"recipients\": [\"laeringssenteret\"],"
            + " \"categories\": [" + categories + "], \"explicit\": " + (isExplicit ? "true" : "false") + ","
            + " \"valid_from\": \"2026-01-05T09:00:00Z\", \"valid_until\": null,"
            + " \"evidence\": {\"method\": \"signed_paper\", \"reference\": \"2026/1234\","
            + " \"language\": \"uk\", \"interpreter\": true},"
            + " \"notice\": {\"id\": \"bosetting-personvern\", \"version\": \"2024-10-16\"}}";
    }

    // Returns 1 permitted, 0 denied, -1 error.
    static int Decide(IntPtr ledger, string recipient, string purpose, string[] categories, long at, out string json)
    {
        IntPtr decision;
        json = null;
        uint rc = Native.consent_ledger_decide(ledger, Adult, recipient, purpose, categories,
            (UIntPtr)categories.Length, at, out decision);
        if (rc != OK) return -1;
        bool permitted = Native.consent_decision_permitted(decision);
        IntPtr text;
        if (Native.consent_decision_to_json(decision, out text) == OK) json = TakeString(text);
        Native.consent_decision_free(decision);
        return permitted ? 1 : 0;
    }

    static int Main()
    {
        string version = Utf8(Native.consent_version());
        Check(version != null && version.StartsWith("consent-ffi "), "consent_version");

        IntPtr ledger;
        Check(Native.consent_ledger_open(":memory:", null, out ledger) == OK, "open :memory:");
        string json;

        // Statutory permit: NIR registration needs no grant.
        Check(Decide(ledger, "nir", "nir_registration", new[] { "name", "national_id" }, March2026, out json) == 1,
            "statutory NIR permit");
        Check(json != null && json.Contains("\"rule\":\"nir_registration\"") && !json.Contains(Adult),
            "decision JSON names the rule and not the subject");

        // Health data needs explicit consent.
        string[] health = { "health" };
        Check(Decide(ledger, "laeringssenteret", "health_coordination", health, March2026, out json) == 0,
            "health denied without consent");
        IntPtr id;
        Check(Native.consent_ledger_grant(ledger, Grant("\"health\"", true), Actor, out id) == OK, "explicit grant");
        string grantId = TakeString(id);
        Check(grantId != null && grantId.Length == 36, "grant id is a UUID");
        Check(Decide(ledger, "laeringssenteret", "health_coordination", health, May2026, out json) == 1,
            "health permitted with explicit consent");

        // Withdrawal at June 2026: May unchanged, July denied.
        Check(Native.consent_ledger_withdraw(ledger, grantId, June2026, Actor, "the subject asked") == OK, "withdraw");
        Check(Decide(ledger, "laeringssenteret", "health_coordination", health, May2026, out json) == 1,
            "decision before the withdrawal unchanged");
        Check(Decide(ledger, "laeringssenteret", "health_coordination", health, July2026, out json) == 0
            && json.Contains("\"reason\":\"withdrawn\""), "denied after the withdrawal");
        Check(Native.consent_ledger_event_count(ledger) == 2, "two events");

        // Errors: specific codes, a readable message without the number, nothing recorded.
        IntPtr unused;
        Check(Native.consent_ledger_decide(ledger, "15038510191", "nir", "nir_registration", health,
            (UIntPtr)1, March2026, out unused) == INVALID_NATIONAL_ID, "bad national id");
        string message = LastError();
        Check(message.Contains("control digit") && !message.Contains("15038510191"), "last error message: " + message);
        Check(Native.consent_ledger_grant(ledger, Grant("\"shoe_size\"", true), Actor, out unused) == UNKNOWN_CODE,
            "unknown category");
        Check(Native.consent_ledger_grant(ledger, "{not json", Actor, out unused) == INVALID_INPUT, "malformed JSON");
        Check(Native.consent_ledger_withdraw(ledger, "0190a5a0-0000-7000-8000-000000000000", June2026, Actor, null)
            == NOT_FOUND, "unknown grant");
        Check(Native.consent_ledger_event_count(ledger) == 2, "errors record nothing");

        Native.consent_ledger_free(ledger);
        Console.WriteLine(passed + " passed, " + failed + " failed");
        return failed == 0 ? 0 : 1;
    }
}
