// A C++ program built against an installed libraft (see app.c): the header
// is used from C++ as is, with RAII around the server handle.
#include <raft.h>

#include <cstdio>
#include <memory>
#include <string>

namespace {

struct ServerFree {
    void operator()(raft_server_t *r) const { raft_free(r); }
};
using Server = std::unique_ptr<raft_server_t, ServerFree>;

}  // namespace

int main()
{
    int failures = 0;

    if (raft_version() != RAFT_VERSION_NUMBER || std::string(raft_version_string()) != RAFT_VERSION_STRING) {
        std::fprintf(stderr, "header %s, library %s\n", RAFT_VERSION_STRING, raft_version_string());
        failures++;
    }

    Server r(raft_new());
    if (!r || raft_add_node(r.get(), nullptr, 1, 1) == nullptr || raft_periodic(r.get(), 0) != 0) {
        std::fprintf(stderr, "could not start a one-node server\n");
        failures++;
    } else if (std::string(raft_get_state_str(raft_get_state(r.get()))) != "leader") {
        std::fprintf(stderr, "one-node server is %s, expected leader\n", raft_get_state_str(raft_get_state(r.get())));
        failures++;
    }

    std::printf("installed library %s (C++): %s\n", raft_version_string(), failures ? "BROKEN" : "ok");
    return failures != 0;
}
