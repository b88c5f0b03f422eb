/* A C program built against an installed libraft, the way a user builds one
 * (mk/install.mk, `make test-install`: with pkg-config and with CMake, shared
 * and static). It checks that the header it was compiled with and the
 * library it runs with agree, and that a one-node server elects itself.
 * Exit status 0 and the line "installed library: ok" mean it works. */
#include <raft.h>

#include <stdio.h>
#include <string.h>

int main(void)
{
    int failures = 0;
    raft_server_t *r;

    if (raft_version() != RAFT_VERSION_NUMBER || strcmp(raft_version_string(), RAFT_VERSION_STRING) != 0) {
        fprintf(stderr, "header %s (%d), library %s (%d)\n", RAFT_VERSION_STRING, RAFT_VERSION_NUMBER,
                raft_version_string(), raft_version());
        failures++;
    }

    r = raft_new();
    if (r == NULL || raft_add_node(r, NULL, 1, 1) == NULL || raft_periodic(r, 0) != 0) {
        fprintf(stderr, "could not start a one-node server\n");
        failures++;
    } else if (!raft_is_leader(r) || raft_get_current_term(r) != 1) {
        fprintf(stderr, "one-node server is %s in term %ld, expected leader in term 1\n",
                raft_get_state_str(raft_get_state(r)), (long)raft_get_current_term(r));
        failures++;
    }
    if (strcmp(raft_get_error_str(RAFT_ERR_NOT_LEADER), raft_get_error_str(12345)) == 0) {
        fprintf(stderr, "RAFT_ERR_NOT_LEADER has no text of its own\n");
        failures++;
    }
    raft_free(r);

    printf("installed library %s (C): %s\n", raft_version_string(), failures ? "BROKEN" : "ok");
    return failures != 0;
}
