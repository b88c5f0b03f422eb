/* raft_get_error_str, raft_get_state_str and the version: the header's
 * macros against the library's answers. Every raft_error_e and raft_state_e
 * enumerator is taken from include/raft.h itself (header_codes.h, generated
 * by mk/c_tests.mk), so a code added to the header without a text fails here. */
#include "fixture.h"
#include "header_codes.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

typedef struct { const char *name; int value; } info_code_t;

#define INFO_CODE(name) { #name, (int)(name) },
static const info_code_t info_errors[] = { HEADER_RAFT_ERROR_E(INFO_CODE) };
static const info_code_t info_states[] = { HEADER_RAFT_STATE_E(INFO_CODE) };
#define INFO_COUNT(a) ((int)(sizeof(a) / sizeof((a)[0])))

#if RAFT_VERSION_NUMBER != RAFT_VERSION_MAJOR * 10000 + RAFT_VERSION_MINOR * 100 + RAFT_VERSION_PATCH
#error "RAFT_VERSION_NUMBER does not pack RAFT_VERSION_MAJOR/MINOR/PATCH"
#endif

TEST(test_every_error_code_in_the_header_has_its_own_text)
{
    int i, j;
    ASSERT_GE(INFO_COUNT(info_errors), 9); /* the header parse found the enum */
    for (i = 0; i < INFO_COUNT(info_errors); i++) {
        const char *text = raft_get_error_str(info_errors[i].value);
        ASSERT_NOT_NULL(text);
        ASSERT_MSG(strcmp(text, "unknown error") != 0, "%s has no text", info_errors[i].name);
        ASSERT_MSG(strlen(text) > 0, "%s has an empty text", info_errors[i].name);
        for (j = 0; j < i; j++)
            ASSERT_MSG(strcmp(text, raft_get_error_str(info_errors[j].value)) != 0, "%s and %s share the text \"%s\"",
                       info_errors[i].name, info_errors[j].name, text);
    }
}

TEST(test_success_and_generic_failure_have_texts)
{
    ASSERT(strcmp(raft_get_error_str(0), "success") == 0);
    ASSERT(strcmp(raft_get_error_str(-1), "unknown error") != 0);
    ASSERT(strcmp(raft_get_error_str(-1), raft_get_error_str(0)) != 0);
}

TEST(test_codes_outside_the_enum_are_unknown_error)
{
    const int others[] = { 1, 2, -50, -99, -101, 12345, INT_MIN, INT_MAX };
    int i;
    for (i = 0; i < (int)(sizeof(others) / sizeof(others[0])); i++) {
        ASSERT_NOT_NULL(raft_get_error_str(others[i]));
        ASSERT_MSG(strcmp(raft_get_error_str(others[i]), "unknown error") == 0, "%d: \"%s\"", others[i],
                   raft_get_error_str(others[i]));
    }
}

TEST(test_error_texts_are_static)
{
    /* The same pointer every time: nothing to free, safe to keep. */
    ASSERT_PTR_EQ(raft_get_error_str(RAFT_ERR_SHUTDOWN), raft_get_error_str(RAFT_ERR_SHUTDOWN));
    ASSERT_PTR_EQ(raft_get_error_str(777), raft_get_error_str(-777));
    ASSERT_PTR_EQ(raft_get_state_str(RAFT_STATE_LEADER), raft_get_state_str(RAFT_STATE_LEADER));
}

TEST(test_every_state_in_the_header_has_its_own_name)
{
    int i, j;
    ASSERT_EQ(INFO_COUNT(info_states), 5);
    for (i = 0; i < INFO_COUNT(info_states); i++) {
        const char *name = raft_get_state_str(info_states[i].value);
        ASSERT_NOT_NULL(name);
        ASSERT_MSG(strcmp(name, "unknown") != 0, "%s has no name", info_states[i].name);
        for (j = 0; j < i; j++)
            ASSERT_MSG(strcmp(name, raft_get_state_str(info_states[j].value)) != 0, "%s and %s share \"%s\"",
                       info_states[i].name, info_states[j].name, name);
    }
    ASSERT(strcmp(raft_get_state_str(RAFT_STATE_FOLLOWER), "follower") == 0);
    ASSERT(strcmp(raft_get_state_str(RAFT_STATE_CANDIDATE), "candidate") == 0);
    ASSERT(strcmp(raft_get_state_str(RAFT_STATE_LEADER), "leader") == 0);
    ASSERT(strcmp(raft_get_state_str(-1), "unknown") == 0);
    ASSERT(strcmp(raft_get_state_str(5), "unknown") == 0);
    ASSERT(strcmp(raft_get_state_str(INT_MIN), "unknown") == 0);
}

TEST(test_state_names_follow_the_server)
{
    fx_t *f = fx_new_empty();
    ASSERT(strcmp(raft_get_state_str(raft_get_state(f->r)), "follower") == 0);
    raft_add_node(f->r, NULL, 1, 1);
    ASSERT_EQ(raft_periodic(f->r, 0), 0); /* a lone voter elects itself */
    ASSERT(strcmp(raft_get_state_str(raft_get_state(f->r)), "leader") == 0);
    ASSERT(strcmp(raft_get_state_str(raft_get_state(NULL)), "none") == 0);
}

TEST(test_header_version_macros_equal_the_library_version)
{
    char expected[64];
    ASSERT_EQ(raft_version(), RAFT_VERSION_NUMBER);
    ASSERT_NOT_NULL(raft_version_string());
    ASSERT_MSG(strcmp(raft_version_string(), RAFT_VERSION_STRING) == 0, "library %s, header %s", raft_version_string(),
               RAFT_VERSION_STRING);
    snprintf(expected, sizeof expected, "%d.%d.%d", RAFT_VERSION_MAJOR, RAFT_VERSION_MINOR, RAFT_VERSION_PATCH);
    ASSERT_MSG(strcmp(expected, RAFT_VERSION_STRING) == 0, "%s != %s", expected, RAFT_VERSION_STRING);
    ASSERT_EQ(raft_version() / 10000, RAFT_VERSION_MAJOR);
    ASSERT_EQ(raft_version() / 100 % 100, RAFT_VERSION_MINOR);
    ASSERT_EQ(raft_version() % 100, RAFT_VERSION_PATCH);
}
