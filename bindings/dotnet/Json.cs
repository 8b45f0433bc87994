using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace Consent
{
    /// <summary>The little JSON the binding needs, without a dependency: writing the small
    /// documents it sends (actors, options, queries) and reading the library's results into
    /// dictionaries, lists, strings, longs, doubles, booleans and nulls. The library's output
    /// is well-formed; anything else is a bug, reported as <see cref="InvalidOperationException"/>.</summary>
    internal static class Json
    {
        // ---- writing ----

        internal static string Quote(string value)
        {
            var text = new StringBuilder(value.Length + 2);
            text.Append('"');
            foreach (char c in value)
            {
                switch (c)
                {
                    case '"': text.Append("\\\""); break;
                    case '\\': text.Append("\\\\"); break;
                    case '\n': text.Append("\\n"); break;
                    case '\r': text.Append("\\r"); break;
                    case '\t': text.Append("\\t"); break;
                    default:
                        if (c < 0x20)
                        {
                            text.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                        }
                        else
                        {
                            text.Append(c);
                        }
                        break;
                }
            }
            return text.Append('"').ToString();
        }

        /// <summary>An instant as RFC 3339 text in UTC, to the tick.</summary>
        internal static string Instant(DateTimeOffset at)
        {
            return at.UtcDateTime.ToString("yyyy'-'MM'-'dd'T'HH':'mm':'ss.FFFFFFF'Z'", CultureInfo.InvariantCulture);
        }

        /// <summary>Builds <c>{"key": value, ...}</c> from members already in JSON form; null
        /// values are left out.</summary>
        internal static string Object(params KeyValuePair<string, string>[] members)
        {
            var text = new StringBuilder("{");
            foreach (var member in members)
            {
                if (member.Value == null)
                {
                    continue;
                }
                if (text.Length > 1)
                {
                    text.Append(", ");
                }
                text.Append(Quote(member.Key)).Append(": ").Append(member.Value);
            }
            return text.Append('}').ToString();
        }

        internal static KeyValuePair<string, string> Member(string key, string json)
        {
            return new KeyValuePair<string, string>(key, json);
        }

        // ---- reading ----

        internal static object Parse(string text)
        {
            int at = 0;
            object value = ReadValue(text, ref at);
            SkipSpace(text, ref at);
            if (at != text.Length)
            {
                throw Malformed(text, at);
            }
            return value;
        }

        private static Exception Malformed(string text, int at)
        {
            return new InvalidOperationException(
                "the library returned malformed JSON (at offset " + at + " of " + text.Length + ")");
        }

        private static void SkipSpace(string text, ref int at)
        {
            while (at < text.Length && (text[at] == ' ' || text[at] == '\n' || text[at] == '\r' || text[at] == '\t'))
            {
                at++;
            }
        }

        private static object ReadValue(string text, ref int at)
        {
            SkipSpace(text, ref at);
            if (at >= text.Length)
            {
                throw Malformed(text, at);
            }
            char c = text[at];
            if (c == '{')
            {
                var map = new Dictionary<string, object>();
                at++;
                SkipSpace(text, ref at);
                if (at < text.Length && text[at] == '}')
                {
                    at++;
                    return map;
                }
                while (true)
                {
                    SkipSpace(text, ref at);
                    string key = ReadString(text, ref at);
                    SkipSpace(text, ref at);
                    Expect(text, ref at, ':');
                    map[key] = ReadValue(text, ref at);
                    SkipSpace(text, ref at);
                    if (at < text.Length && text[at] == ',')
                    {
                        at++;
                        continue;
                    }
                    Expect(text, ref at, '}');
                    return map;
                }
            }
            if (c == '[')
            {
                var list = new List<object>();
                at++;
                SkipSpace(text, ref at);
                if (at < text.Length && text[at] == ']')
                {
                    at++;
                    return list;
                }
                while (true)
                {
                    list.Add(ReadValue(text, ref at));
                    SkipSpace(text, ref at);
                    if (at < text.Length && text[at] == ',')
                    {
                        at++;
                        continue;
                    }
                    Expect(text, ref at, ']');
                    return list;
                }
            }
            if (c == '"')
            {
                return ReadString(text, ref at);
            }
            if (Word(text, ref at, "true")) return true;
            if (Word(text, ref at, "false")) return false;
            if (Word(text, ref at, "null")) return null;
            return ReadNumber(text, ref at);
        }

        private static void Expect(string text, ref int at, char c)
        {
            if (at >= text.Length || text[at] != c)
            {
                throw Malformed(text, at);
            }
            at++;
        }

        private static bool Word(string text, ref int at, string word)
        {
            if (string.CompareOrdinal(text, at, word, 0, word.Length) != 0)
            {
                return false;
            }
            at += word.Length;
            return true;
        }

        private static object ReadNumber(string text, ref int at)
        {
            int start = at;
            while (at < text.Length && "+-0123456789.eE".IndexOf(text[at]) >= 0)
            {
                at++;
            }
            string number = text.Substring(start, at - start);
            long whole;
            if (long.TryParse(number, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out whole))
            {
                return whole;
            }
            double real;
            if (double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out real))
            {
                return real;
            }
            throw Malformed(text, start);
        }

        private static string ReadString(string text, ref int at)
        {
            Expect(text, ref at, '"');
            var value = new StringBuilder();
            while (true)
            {
                if (at >= text.Length)
                {
                    throw Malformed(text, at);
                }
                char c = text[at++];
                if (c == '"')
                {
                    return value.ToString();
                }
                if (c != '\\')
                {
                    value.Append(c);
                    continue;
                }
                if (at >= text.Length)
                {
                    throw Malformed(text, at);
                }
                char escape = text[at++];
                switch (escape)
                {
                    case '"': value.Append('"'); break;
                    case '\\': value.Append('\\'); break;
                    case '/': value.Append('/'); break;
                    case 'b': value.Append('\b'); break;
                    case 'f': value.Append('\f'); break;
                    case 'n': value.Append('\n'); break;
                    case 'r': value.Append('\r'); break;
                    case 't': value.Append('\t'); break;
                    case 'u':
                        int code;
                        if (at + 4 > text.Length || !int.TryParse(text.Substring(at, 4), NumberStyles.AllowHexSpecifier,
                                CultureInfo.InvariantCulture, out code))
                        {
                            throw Malformed(text, at);
                        }
                        value.Append((char)code);
                        at += 4;
                        break;
                    default:
                        throw Malformed(text, at - 1);
                }
            }
        }
    }

    /// <summary>Typed reads of a parsed JSON object, failing loudly on an unexpected shape.</summary>
    internal sealed class JsonObject
    {
        private readonly Dictionary<string, object> members;
        private readonly string what;

        internal JsonObject(object value, string what)
        {
            members = value as Dictionary<string, object>;
            this.what = what;
            if (members == null)
            {
                throw Unexpected("is not an object");
            }
        }

        internal static JsonObject Parse(string json, string what)
        {
            return new JsonObject(Json.Parse(json), what);
        }

        private InvalidOperationException Unexpected(string problem)
        {
            return new InvalidOperationException("the library's " + what + " " + problem);
        }

        internal bool Has(string key)
        {
            return members.ContainsKey(key) && members[key] != null;
        }

        private object Get(string key)
        {
            object value;
            if (!members.TryGetValue(key, out value))
            {
                throw Unexpected("lacks `" + key + "`");
            }
            return value;
        }

        private T As<T>(string key, object value)
        {
            if (!(value is T))
            {
                throw Unexpected("has an unexpected `" + key + "`");
            }
            return (T)value;
        }

        internal string String(string key) { return As<string>(key, Get(key)); }

        internal string OptionalString(string key)
        {
            object value = Get(key);
            return value == null ? null : As<string>(key, value);
        }

        internal bool Bool(string key) { return As<bool>(key, Get(key)); }

        internal long Long(string key) { return As<long>(key, Get(key)); }

        internal long? OptionalLong(string key)
        {
            object value = Get(key);
            return value == null ? (long?)null : As<long>(key, value);
        }

        internal DateTimeOffset Instant(string key)
        {
            string text = String(key);
            DateTimeOffset at;
            if (!DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture,
                    DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out at))
            {
                throw Unexpected("has an instant that does not parse: `" + key + "`");
            }
            return at;
        }

        internal Guid Guid(string key)
        {
            Guid id;
            if (!System.Guid.TryParseExact(String(key), "D", out id))
            {
                throw Unexpected("has an id that is not a UUID: `" + key + "`");
            }
            return id;
        }

        internal JsonObject Object(string key)
        {
            return new JsonObject(Get(key), what + "." + key);
        }

        internal IReadOnlyList<JsonObject> Objects(string key)
        {
            var items = new List<JsonObject>();
            foreach (object item in As<List<object>>(key, Get(key)))
            {
                items.Add(new JsonObject(item, what + "." + key + "[]"));
            }
            return items.AsReadOnly();
        }

        internal IReadOnlyList<string> Strings(string key)
        {
            var items = new List<string>();
            foreach (object item in As<List<object>>(key, Get(key)))
            {
                items.Add(As<string>(key, item));
            }
            return items.AsReadOnly();
        }
    }
}
