#include <curl/curl.h>
#include <dlfcn.h>
#include <stddef.h>

/* libcurl is loaded when hcconnect makes its first request (dlopen), not when it starts: a
 * command that never talks to Heroku does not pay for loading libcurl and the dozen
 * libraries it brings (OpenSSL, nghttp2, libssh2, LDAP, ...), about 1 ms of every start-up
 * (docs/benchmarks.md). The headers come from libcurl4-openssl-dev; the library itself is
 * libcurl.so.4 (libcurl4), which that package depends on.
 *
 * Every curl function the HTTP module calls goes through a wrapper below, which looks the
 * function up once. curl_easy_setopt and curl_easy_getinfo are variadic, which Swift cannot
 * call: one typed wrapper per argument type the HTTP module passes. */

/* The library, loaded on first use; NULL when it cannot be (see hc_curl_load_error). */
static inline void *hc_curl_library(void) {
    static void *library;
    if (library == NULL) library = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
    return library;
}

/* Why libcurl.so.4 could not be loaded (dlerror), or NULL. */
static inline const char *hc_curl_load_error(void) {
    return hc_curl_library() == NULL ? dlerror() : NULL;
}

#define HC_CURL_FUNCTION(result, name, parameters, arguments, failure)        \
    static inline result hc_##name parameters {                              \
        typedef result (*function_t) parameters;                             \
        static function_t function;                                          \
        if (function == NULL) {                                              \
            void *library = hc_curl_library();                               \
            if (library == NULL) return failure;                             \
            function = (function_t)dlsym(library, #name);                    \
            if (function == NULL) return failure;                            \
        }                                                                    \
        return function arguments;                                           \
    }

HC_CURL_FUNCTION(CURLcode, curl_global_init, (long flags), (flags), CURLE_FAILED_INIT)
HC_CURL_FUNCTION(CURL *, curl_easy_init, (void), (), NULL)
HC_CURL_FUNCTION(CURLcode, curl_easy_perform, (CURL *handle), (handle), CURLE_FAILED_INIT)
HC_CURL_FUNCTION(const char *, curl_easy_strerror, (CURLcode code), (code), "libcurl is not loaded")
HC_CURL_FUNCTION(struct curl_slist *, curl_slist_append, (struct curl_slist *list, const char *text), (list, text), NULL)

static inline void hc_curl_easy_cleanup(CURL *handle) {
    typedef void (*function_t)(CURL *);
    static function_t function;
    if (function == NULL && hc_curl_library() != NULL) function = (function_t)dlsym(hc_curl_library(), "curl_easy_cleanup");
    if (function != NULL) function(handle);
}

static inline void hc_curl_easy_reset(CURL *handle) {
    typedef void (*function_t)(CURL *);
    static function_t function;
    if (function == NULL && hc_curl_library() != NULL) function = (function_t)dlsym(hc_curl_library(), "curl_easy_reset");
    if (function != NULL) function(handle);
}

static inline void hc_curl_slist_free_all(struct curl_slist *list) {
    typedef void (*function_t)(struct curl_slist *);
    static function_t function;
    if (function == NULL && hc_curl_library() != NULL) function = (function_t)dlsym(hc_curl_library(), "curl_slist_free_all");
    if (function != NULL) function(list);
}

typedef CURLcode (*hc_curl_setopt_t)(CURL *, CURLoption, ...);
typedef CURLcode (*hc_curl_getinfo_t)(CURL *, CURLINFO, ...);

static inline hc_curl_setopt_t hc_curl_setopt_function(void) {
    static hc_curl_setopt_t function;
    if (function == NULL && hc_curl_library() != NULL) function = (hc_curl_setopt_t)dlsym(hc_curl_library(), "curl_easy_setopt");
    return function;
}

static inline CURLcode hc_curl_setopt_long(CURL *handle, CURLoption option, long value) {
    hc_curl_setopt_t f = hc_curl_setopt_function();
    return f ? f(handle, option, value) : CURLE_FAILED_INIT;
}

static inline CURLcode hc_curl_setopt_off_t(CURL *handle, CURLoption option, curl_off_t value) {
    hc_curl_setopt_t f = hc_curl_setopt_function();
    return f ? f(handle, option, value) : CURLE_FAILED_INIT;
}

static inline CURLcode hc_curl_setopt_string(CURL *handle, CURLoption option, const char *value) {
    hc_curl_setopt_t f = hc_curl_setopt_function();
    return f ? f(handle, option, value) : CURLE_FAILED_INIT;
}

static inline CURLcode hc_curl_setopt_pointer(CURL *handle, CURLoption option, void *value) {
    hc_curl_setopt_t f = hc_curl_setopt_function();
    return f ? f(handle, option, value) : CURLE_FAILED_INIT;
}

static inline CURLcode hc_curl_setopt_slist(CURL *handle, CURLoption option, struct curl_slist *value) {
    hc_curl_setopt_t f = hc_curl_setopt_function();
    return f ? f(handle, option, value) : CURLE_FAILED_INIT;
}

static inline CURLcode hc_curl_setopt_writefunction(CURL *handle, CURLoption option,
                                                    size_t (*value)(char *, size_t, size_t, void *)) {
    hc_curl_setopt_t f = hc_curl_setopt_function();
    return f ? f(handle, option, value) : CURLE_FAILED_INIT;
}

static inline CURLcode hc_curl_getinfo_long(CURL *handle, CURLINFO info, long *value) {
    static hc_curl_getinfo_t function;
    if (function == NULL && hc_curl_library() != NULL) function = (hc_curl_getinfo_t)dlsym(hc_curl_library(), "curl_easy_getinfo");
    return function ? function(handle, info, value) : CURLE_FAILED_INIT;
}

/* CURL_GLOBAL_DEFAULT is a macro of other macros. */
static const long HC_CURL_GLOBAL_DEFAULT = CURL_GLOBAL_DEFAULT;
