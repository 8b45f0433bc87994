using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;
using System.Text;

namespace Consent
{
    /// <summary>Strings across the C boundary, marshalled by hand.</summary>
    internal static class Utf8
    {
        /// <summary>A UTF-8 decoder that throws on invalid bytes instead of substituting.</summary>
        internal static readonly UTF8Encoding Strict = new UTF8Encoding(false, true);

        /// <summary>A string as NUL-terminated UTF-8, or null for null (the library reports a
        /// null it needs as <see cref="ResultCode.NullArgument"/>, naming the parameter).
        ///
        /// A string with a NUL character is refused: C would see only the text before it.
        /// A lone surrogate, which has no UTF-8 form, is written as the three bytes of its code
        /// unit (as WTF-8 does): never valid UTF-8, so the library rejects the argument with
        /// <see cref="ResultCode.InvalidUtf8"/>, naming it, instead of the text being silently
        /// replaced by U+FFFD here.</summary>
        internal static byte[] ToNative(string value, string name)
        {
            if (value == null)
            {
                return null;
            }
            int length = 0;
            for (int i = 0; i < value.Length; i++)
            {
                char c = value[i];
                if (c == '\0')
                {
                    throw new InvalidInputException("`" + name + "` contains a NUL character");
                }
                if (c < 0x80) length += 1;
                else if (c < 0x800) length += 2;
                else if (char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
                {
                    length += 4;
                    i++;
                }
                else length += 3;
            }
            byte[] bytes = new byte[length + 1];
            int at = 0;
            for (int i = 0; i < value.Length; i++)
            {
                int c = value[i];
                if (char.IsHighSurrogate(value[i]) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
                {
                    c = char.ConvertToUtf32(value[i], value[i + 1]);
                    i++;
                }
                if (c < 0x80)
                {
                    bytes[at++] = (byte)c;
                }
                else if (c < 0x800)
                {
                    bytes[at++] = (byte)(0xC0 | (c >> 6));
                    bytes[at++] = (byte)(0x80 | (c & 0x3F));
                }
                else if (c < 0x10000)
                {
                    bytes[at++] = (byte)(0xE0 | (c >> 12));
                    bytes[at++] = (byte)(0x80 | ((c >> 6) & 0x3F));
                    bytes[at++] = (byte)(0x80 | (c & 0x3F));
                }
                else
                {
                    bytes[at++] = (byte)(0xF0 | (c >> 18));
                    bytes[at++] = (byte)(0x80 | ((c >> 12) & 0x3F));
                    bytes[at++] = (byte)(0x80 | ((c >> 6) & 0x3F));
                    bytes[at++] = (byte)(0x80 | (c & 0x3F));
                }
            }
            bytes[at] = 0;
            return bytes;
        }

        /// <summary>A static string of the library (not to be freed), or null for NULL.</summary>
        internal static string FromStatic(IntPtr text)
        {
            return text == IntPtr.Zero ? null : Decode(text);
        }

        /// <summary>Decodes a library-allocated string and frees it, whatever happens.</summary>
        internal static string Take(IntPtr text)
        {
            if (text == IntPtr.Zero)
            {
                throw new InvalidOperationException("the library reported success without a result");
            }
            try
            {
                return Decode(text);
            }
            finally
            {
                Native.consent_string_free(text);
            }
        }

        private static string Decode(IntPtr text)
        {
            int length = 0;
            while (Marshal.ReadByte(text, length) != 0)
            {
                length++;
            }
            byte[] bytes = new byte[length];
            Marshal.Copy(text, bytes, 0, length);
            return Strict.GetString(bytes);
        }
    }

    /// <summary>A list of strings as a C array of NUL-terminated UTF-8 strings, pinned until
    /// disposed.</summary>
    internal sealed class NativeStrings : IDisposable
    {
        private readonly GCHandle[] pins;

        /// <summary>The pointers, one per string (NULL for a null entry).</summary>
        internal readonly IntPtr[] Pointers;

        /// <summary>How many there are, as <c>size_t</c>.</summary>
        internal readonly UIntPtr Count;

        internal NativeStrings(IReadOnlyList<string> values, string name)
        {
            if (values == null)
            {
                // NULL with a count of 0: the library decides what an absent list means.
                pins = new GCHandle[0];
                Pointers = null;
                Count = UIntPtr.Zero;
                return;
            }
            pins = new GCHandle[values.Count];
            Pointers = new IntPtr[values.Count];
            Count = (UIntPtr)values.Count;
            try
            {
                for (int i = 0; i < values.Count; i++)
                {
                    byte[] bytes = Utf8.ToNative(values[i], name + "[" + i + "]");
                    if (bytes != null)
                    {
                        pins[i] = GCHandle.Alloc(bytes, GCHandleType.Pinned);
                        Pointers[i] = pins[i].AddrOfPinnedObject();
                    }
                }
            }
            catch
            {
                Dispose();
                throw;
            }
        }

        public void Dispose()
        {
            for (int i = 0; i < pins.Length; i++)
            {
                if (pins[i].IsAllocated)
                {
                    pins[i].Free();
                }
            }
        }
    }
}
