#ifndef CSIRT_COPENSSL_SHIM_H
#define CSIRT_COPENSSL_SHIM_H

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/err.h>
#include <openssl/bio.h>
#include <openssl/rsa.h>
#include <openssl/ec.h>
#include <openssl/x509.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <openssl/bn.h>
#include <openssl/asn1.h>
#include <openssl/objects.h>
#include <openssl/pkcs7.h>
#include <openssl/x509v3.h>
#include <openssl/x509_vfy.h>
#include <openssl/ts.h>
#include <openssl/ssl.h>

// Function-like macros are not imported into Swift; these wrappers stand in for them.

static inline long csirt_BIO_get_mem_data(BIO *bio, char **data) {
    return BIO_get_mem_data(bio, data);
}

static inline void csirt_OPENSSL_free(void *p) {
    OPENSSL_free(p);
}

// A passphrase callback that refuses: csirt never prompts (cron jobs have no terminal).
static inline int csirt_no_passphrase(char *buf, int size, int rwflag, void *u) {
    (void)buf; (void)size; (void)rwflag; (void)u;
    return -1;
}

static inline pem_password_cb *csirt_no_passphrase_cb(void) {
    return csirt_no_passphrase;
}

// ---- RFC 3161 time-stamping (CSIRTCrypto/Timestamp*.swift) ----

// STACK_OF(X509) accessors are macros over OPENSSL_sk_*; these give them types Swift can call.
static inline STACK_OF(X509) *csirt_sk_X509_new_null(void) {
    return sk_X509_new_null();
}

static inline int csirt_sk_X509_push(STACK_OF(X509) *stack, X509 *cert) {
    return sk_X509_push(stack, cert);
}

static inline int csirt_sk_X509_num(const STACK_OF(X509) *stack) {
    return sk_X509_num(stack);
}

static inline X509 *csirt_sk_X509_value(const STACK_OF(X509) *stack, int index) {
    return sk_X509_value(stack, index);
}

// Frees the stack only (for the get0 results of PKCS7_get0_signers).
static inline void csirt_sk_X509_free(STACK_OF(X509) *stack) {
    sk_X509_free(stack);
}

// Frees the stack and drops one reference of every certificate in it.
static inline void csirt_sk_X509_pop_free(STACK_OF(X509) *stack) {
    sk_X509_pop_free(stack, X509_free);
}

// The TSA's free-text status strings (PKIFreeText).
static inline int csirt_sk_ASN1_UTF8STRING_num(const STACK_OF(ASN1_UTF8STRING) *stack) {
    return sk_ASN1_UTF8STRING_num(stack);
}

static inline ASN1_UTF8STRING *csirt_sk_ASN1_UTF8STRING_value(const STACK_OF(ASN1_UTF8STRING) *stack, int index) {
    return sk_ASN1_UTF8STRING_value(stack, index);
}

// The certificates embedded in a SignedData token (NULL if none or not SignedData);
// PKCS7_type_is_signed is a macro. Borrowed: owned by the PKCS7.
static inline const STACK_OF(X509) *csirt_PKCS7_get0_signed_certs(const PKCS7 *p7) {
    if (p7 == NULL || !PKCS7_type_is_signed(p7) || p7->d.sign == NULL) return NULL;
    return p7->d.sign->cert;
}

// The TS_VFY_* flags are unsigned shifts; one int with exactly the checks csirt wants.
static inline int csirt_TS_VFY_flags(int check_nonce) {
    unsigned flags = TS_VFY_VERSION | TS_VFY_SIGNATURE | TS_VFY_SIGNER | TS_VFY_IMPRINT;
    if (check_nonce) flags |= TS_VFY_NONCE;
    return (int)flags;
}

// OpenSSL 3.4 deprecated TS_VERIFY_CTX_set_store / _set_certs in favour of the set0_ forms; both
// take ownership of the argument (freed by TS_VERIFY_CTX_free). Choosing here keeps the Swift code
// free of deprecation warnings on either side of 3.4.
static inline int csirt_TS_VERIFY_CTX_set0_store(TS_VERIFY_CTX *ctx, X509_STORE *store) {
#if OPENSSL_VERSION_NUMBER >= 0x30400000L
    return TS_VERIFY_CTX_set0_store(ctx, store);
#else
    TS_VERIFY_CTX_set_store(ctx, store);
    return 1;
#endif
}

static inline int csirt_TS_VERIFY_CTX_set0_certs(TS_VERIFY_CTX *ctx, STACK_OF(X509) *certs) {
#if OPENSSL_VERSION_NUMBER >= 0x30400000L
    return TS_VERIFY_CTX_set0_certs(ctx, certs);
#else
    TS_VERIFY_CTX_set_certs(ctx, certs);
    return 1;
#endif
}

// Distinguished names on one line as `openssl x509 -noout -subject` prints them in OpenSSL 3
// ("O = csirt tests, CN = csirt test TSA"), UTF-8 kept as is.
static inline unsigned long csirt_name_print_flags(void) {
    return (XN_FLAG_ONELINE & ~ASN1_STRFLGS_ESC_MSB) | ASN1_STRFLGS_UTF8_CONVERT;
}

// ---- TLS for the TSA client ----

static inline long csirt_SSL_CTX_set_min_proto_version(SSL_CTX *ctx, int version) {
    return SSL_CTX_set_min_proto_version(ctx, version);
}

static inline long csirt_SSL_set_tlsext_host_name(SSL *ssl, const char *name) {
    return SSL_set_tlsext_host_name(ssl, name);
}

#endif
