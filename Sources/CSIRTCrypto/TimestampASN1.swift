import COpenSSL

/// The small conversions between OpenSSL's ASN.1 objects and Swift values that the time-stamp
/// code needs. Every function here borrows its arguments and returns plain Swift values, so no
/// OpenSSL object outlives the call that made it.
enum TimestampASN1 {
    enum Decoded<T> {
        case value(T)
        case malformed
        /// A valid structure followed by this many more bytes.
        case trailing(Int)
    }

    /// Decodes DER with a `d2i_*` function and insists that it used every byte: trailing bytes
    /// after a valid structure mean the file is not what it claims to be (or two were
    /// concatenated), and ignoring them would let a stored token carry hidden data. The caller
    /// owns a returned `.value`; `free` releases one decoded with bytes left over.
    static func decode<T>(_ der: [UInt8], _ d2i: (UnsafeMutablePointer<UnsafePointer<UInt8>?>, Int) -> T?,
                          free: (T) -> Void) -> Decoded<T> {
        der.withUnsafeBufferPointer { buffer in
            guard let base = buffer.baseAddress, buffer.count > 0 else { return .malformed }
            var cursor: UnsafePointer<UInt8>? = base
            // On .malformed OpenSSL's reasons stay queued for the caller to read or clear.
            guard let decoded = d2i(&cursor, buffer.count), let end = cursor else { return .malformed }
            let rest = base + buffer.count - end
            guard rest == 0 else {
                free(decoded)
                return .trailing(rest)
            }
            return .value(decoded)
        }
    }

    /// The bytes of an ASN.1 string (OCTET STRING, UTF8String, GeneralizedTime text, …).
    static func bytes(of string: UnsafePointer<ASN1_STRING>?) -> [UInt8] {
        guard let string, let data = ASN1_STRING_get0_data(string) else { return [] }
        let length = Int(ASN1_STRING_length(string))
        return Array(UnsafeBufferPointer(start: data, count: max(0, length)))
    }

    /// An INTEGER as its big-endian magnitude without leading zero bytes (zero is `[]`), the
    /// form nonces are shown and compared in. (OpenSSL compares the INTEGERs themselves.)
    static func magnitude(of integer: UnsafePointer<ASN1_INTEGER>?) -> [UInt8]? {
        guard let integer, let bn = ASN1_INTEGER_to_BN(integer, nil) else { return nil }
        defer { BN_free(bn) }
        var out = [UInt8](repeating: 0, count: Int((BN_num_bits(bn) + 7) / 8))
        let written = BN_bn2bin(bn, &out)
        return Array(out.prefix(Int(written)))
    }

    /// An INTEGER as OpenSSL's `ts -text` prints it: `0x` and uppercase hex ("0x02"), so that the
    /// value csirt shows can be found in `openssl ts -reply -in FILE -text` output.
    static func hexText(of integer: UnsafePointer<ASN1_INTEGER>?) -> String? {
        guard let integer, let bn = ASN1_INTEGER_to_BN(integer, nil) else { return nil }
        defer { BN_free(bn) }
        guard let hex = BN_bn2hex(bn) else { return nil }
        defer { csirt_OPENSSL_free(hex) }
        let text = String(cString: hex)
        return text.hasPrefix("-") ? "-0x" + text.dropFirst() : "0x" + text
    }

    /// A small non-negative INTEGER (accuracy fields); nil if absent or out of range.
    static func int64(of integer: UnsafePointer<ASN1_INTEGER>?) -> Int64? {
        guard let integer else { return nil }
        var value: Int64 = 0
        guard ASN1_INTEGER_get_int64(&value, integer) == 1 else {
            OpenSSLErrorQueue.clear()
            return nil
        }
        return value
    }

    /// A new positive INTEGER from big-endian magnitude bytes; the caller frees it with
    /// `ASN1_INTEGER_free`.
    static func makeInteger(_ magnitude: [UInt8]) -> UnsafeMutablePointer<ASN1_INTEGER>? {
        guard let bn = BN_bin2bn(magnitude, Int32(magnitude.count), nil) else { return nil }
        defer { BN_free(bn) }
        return BN_to_ASN1_INTEGER(bn, nil)
    }

    /// An OID as text: dotted (`1.2.3.4.1`) when `dotted`, else OpenSSL's long name when it has
    /// one (`sha256`). Dotted is what a policy must be shown as: a name would depend on the
    /// local openssl.cnf (`openssl ts -text` prints `tsa_policy1` for 1.2.3.4.1 on Debian).
    static func text(of object: OpaquePointer?, dotted: Bool) -> String? {
        guard let object else { return nil }
        var buffer = [CChar](repeating: 0, count: 128)
        let length = OBJ_obj2txt(&buffer, Int32(buffer.count), object, dotted ? 1 : 0)
        guard length > 0 else { return nil }
        if Int(length) >= buffer.count {
            buffer = [CChar](repeating: 0, count: Int(length) + 1)
            _ = OBJ_obj2txt(&buffer, Int32(buffer.count), object, dotted ? 1 : 0)
        }
        return string(from: buffer)
    }

    /// A distinguished name on one line, as `openssl x509 -noout -subject` prints it.
    static func oneLine(_ name: OpaquePointer?) -> String? {
        guard let name else { return nil }
        return printed { bio in X509_NAME_print_ex(bio, name, 0, csirt_name_print_flags()) >= 0 }
    }

    /// A GeneralName (the TSTInfo `tsa` field): a directory name in the same one-line form as a
    /// certificate subject, anything else as OpenSSL prints it (`DNS:…`, `URI:…`).
    static func text(of name: UnsafeMutablePointer<GENERAL_NAME>?) -> String? {
        guard let name else { return nil }
        if name.pointee.type == GEN_DIRNAME {
            return oneLine(name.pointee.d.directoryName)
        }
        return printed { bio in GENERAL_NAME_print(bio, name) == 1 }
    }

    /// Whatever `body` writes to a memory BIO, as a string; nil if it reports failure.
    static func printed(_ body: (OpaquePointer) -> Bool) -> String? {
        guard let bio = BIO_new(BIO_s_mem()) else { return nil }
        defer { BIO_free(bio) }
        guard body(bio) else {
            OpenSSLErrorQueue.clear()
            return nil
        }
        return String(decoding: PEMInput.contents(of: bio), as: UTF8.self)
    }

    static func string(from buffer: [CChar]) -> String {
        String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
