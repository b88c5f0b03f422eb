/* Test-only ABI of a libraft built with the cargo feature `fault-injection`
 * (`make fault-lib`: target/fault/release/libraft.so). Not part of the public
 * header: a release library does not export raft_set_fault_injection.
 * Each bit deliberately breaks one Raft rule, so that a checker can show it
 * detects the violation; the values are src/fault.rs's. */
#ifndef RAFT_FAULT_H_
#define RAFT_FAULT_H_

#include "raft.h"

/* Votes are not handed to persist_vote. */
#define RAFT_FAULT_SKIP_PERSIST_VOTE 1
/* A leader commits entries of earlier terms by counting replicas (paper Figure 8). */
#define RAFT_FAULT_COMMIT_PREVIOUS_TERM 2
/* Votes are granted without the log up-to-date check (paper §5.4.1). */
#define RAFT_FAULT_NO_LOG_CHECK_ON_VOTE 4
/* A follower overwrites a conflicting entry without removing the entries after it. */
#define RAFT_FAULT_NO_TRUNCATE_ON_CONFLICT 8
/* A leader answers reads at once from its commit index, without a heartbeat round (thesis §6.4). */
#define RAFT_FAULT_READ_WITHOUT_ROUND 16
/* With pre-vote on, the election timer starts a real election anyway (thesis §9.6). */
#define RAFT_FAULT_SKIP_PREVOTE 32
/* With check-quorum on, a leader never steps down. */
#define RAFT_FAULT_NO_CHECK_QUORUM_STEPDOWN 64
/* TimeoutNow is ignored by its target (thesis §3.10). */
#define RAFT_FAULT_IGNORE_TIMEOUTNOW 128

#ifdef __cplusplus
extern "C" {
#endif
/* Switches the fault bits on (0: all off, the default). */
void raft_set_fault_injection(raft_server_t *me, int faults);
#ifdef __cplusplus
}
#endif

#endif
