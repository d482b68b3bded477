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

#endif
