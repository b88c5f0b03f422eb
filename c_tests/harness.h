/* Tiny test harness for the libraft C test suite (no external framework).
 *
 *   TEST(test_name) { ... ASSERT(...); ASSERT_EQ(a, b); ... }
 *
 * Every TEST in a c_tests/t_*.c file is collected into a registry at build
 * time (mk/c_tests.mk greps for `^TEST(`).  A failing assertion prints
 * file:line, stops the current test (longjmp back to the runner) and the
 * runner continues with the next test.  By default each test runs in its
 * own forked child so that a crash or a hang in the library is reported as
 * that test's failure instead of killing the suite.
 *
 * Assertions must only be used in test bodies and helpers called from them,
 * never inside callbacks invoked by the library (they would longjmp across
 * library frames): callbacks record what happened, the test checks later.
 */
#ifndef C_TESTS_HARNESS_H
#define C_TESTS_HARNESS_H

#include <stddef.h>

#define TEST(name) void name(void)

typedef void (*th_test_fn)(void);
typedef struct { const char *name; th_test_fn fn; const char *file; } th_test_t;

/* Provided by the generated registry. */
extern const th_test_t th_tests[];
extern const int th_num_tests;

/* Records the failure (file:line + message) and aborts the current test. */
void th_fail(const char *file, int line, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4), noreturn))
#endif
    ;

/* Run fn(arg) when the current test ends (pass or fail), last registered first. */
void th_defer(void (*fn)(void *), void *arg);
/* malloc that is freed automatically at the end of the test. */
void *th_alloc(size_t size);

#define ASSERT(c) do { if (!(c)) th_fail(__FILE__, __LINE__, "ASSERT(%s)", #c); } while (0)
#define ASSERT_MSG(c, ...) do { if (!(c)) th_fail(__FILE__, __LINE__, __VA_ARGS__); } while (0)
#define ASSERT_EQ(a, b) do { long long th_a_ = (long long)(a), th_b_ = (long long)(b); \
    if (th_a_ != th_b_) th_fail(__FILE__, __LINE__, "ASSERT_EQ(%s, %s): %lld != %lld", #a, #b, th_a_, th_b_); } while (0)
#define ASSERT_NE(a, b) do { long long th_a_ = (long long)(a), th_b_ = (long long)(b); \
    if (th_a_ == th_b_) th_fail(__FILE__, __LINE__, "ASSERT_NE(%s, %s): both %lld", #a, #b, th_a_); } while (0)
#define ASSERT_LT(a, b) do { long long th_a_ = (long long)(a), th_b_ = (long long)(b); \
    if (!(th_a_ < th_b_)) th_fail(__FILE__, __LINE__, "ASSERT_LT(%s, %s): %lld >= %lld", #a, #b, th_a_, th_b_); } while (0)
#define ASSERT_LE(a, b) do { long long th_a_ = (long long)(a), th_b_ = (long long)(b); \
    if (!(th_a_ <= th_b_)) th_fail(__FILE__, __LINE__, "ASSERT_LE(%s, %s): %lld > %lld", #a, #b, th_a_, th_b_); } while (0)
#define ASSERT_GE(a, b) ASSERT_LE(b, a)
#define ASSERT_GT(a, b) ASSERT_LT(b, a)
#define ASSERT_PTR_EQ(a, b) do { const void *th_a_ = (const void *)(a), *th_b_ = (const void *)(b); \
    if (th_a_ != th_b_) th_fail(__FILE__, __LINE__, "ASSERT_PTR_EQ(%s, %s): %p != %p", #a, #b, th_a_, th_b_); } while (0)
#define ASSERT_NULL(a) ASSERT_PTR_EQ(a, NULL)
#define ASSERT_NOT_NULL(a) do { if ((const void *)(a) == NULL) th_fail(__FILE__, __LINE__, "ASSERT_NOT_NULL(%s)", #a); } while (0)

#endif
