//! Reading and writing the program's message structs field by field. The
//! fields appended to willemt's structs (issue 12) exist in the program's
//! memory only if it was built with this header, so they are touched only
//! when the feature that needs them is on (pre-vote for the pre-vote
//! fields; a registered extension table for `msg_id` and
//! `leadership_transfer`; the reject hint for `reject_hint_term`), and no reference to a whole struct is ever made:
//! a program built against willemt's smaller structs is never read or
//! written beyond them.

use super::host::{AE_MSG_ID, AE_REJECT_HINT};
use super::types::*;
use crate::types::*;
use libc::c_int;

/// Writes an appendentries response: willemt's fields, and the appended
/// ones `fields` names (`CHost::ae_fields`): `msg_id` (the request's,
/// echoed) and, in a rejection, `reject_hint_term`. One test of `fields`
/// when none is in use.
///
/// # Safety
/// `p` is non-NULL and points to a program's `msg_appendentries_response_t`
/// (with the fields `fields` names); `ae`, read only for `msg_id`, points to
/// the request.
#[inline(always)]
pub(crate) unsafe fn write_ae_response(
    p: *mut msg_appendentries_response_t,
    resp: &AppendEntriesResponse,
    fields: u8,
    ae: *const msg_appendentries_t,
) {
    (*p).term = resp.term;
    (*p).success = resp.success as c_int;
    (*p).current_idx = resp.current_idx;
    (*p).first_idx = resp.first_idx;
    if fields != 0 {
        if fields & AE_MSG_ID != 0 {
            (*p).msg_id = (*ae).msg_id;
        }
        if fields & AE_REJECT_HINT != 0 && !resp.success {
            (*p).reject_hint_term = resp.reject_hint_term;
        }
    }
}

/// An appendentries response as the core sees it: the appended fields read
/// only when `fields` (`CHost::ae_fields`) names them (`reject_hint_term`
/// only in a rejection), 0 otherwise.
///
/// # Safety
/// As for [`write_ae_response`].
#[inline(always)]
pub(crate) unsafe fn read_ae_response(p: *const msg_appendentries_response_t, fields: u8) -> AppendEntriesResponse {
    let mut r = AppendEntriesResponse {
        term: (*p).term,
        success: (*p).success != 0,
        current_idx: (*p).current_idx,
        first_idx: (*p).first_idx,
        msg_id: 0,
        reject_hint_term: 0,
    };
    if fields != 0 {
        if fields & AE_MSG_ID != 0 {
            r.msg_id = (*p).msg_id;
        }
        if fields & AE_REJECT_HINT != 0 && !r.success {
            r.reject_hint_term = (*p).reject_hint_term;
        }
    }
    r
}

/// A requestvote as the core sees it: the pre-vote flag read only when
/// `prevote_on`, the transfer flag only when `transfer_on`.
///
/// # Safety
/// `p` is non-NULL and points to a program's `msg_requestvote_t`.
pub(crate) unsafe fn read_rv(p: *const msg_requestvote_t, prevote_on: bool, transfer_on: bool) -> RequestVote {
    RequestVote {
        term: (*p).term,
        candidate_id: (*p).candidate_id,
        last_log_idx: (*p).last_log_idx,
        last_log_term: (*p).last_log_term,
        prevote: prevote_on && (*p).prevote != 0,
        transfer: transfer_on && (*p).leadership_transfer != 0,
    }
}

/// Writes a requestvote response: willemt's fields, and the pre-vote fields
/// when `prevote_on`.
///
/// # Safety
/// `p` is non-NULL and points to a program's `msg_requestvote_response_t`.
pub(crate) unsafe fn write_rv_response(p: *mut msg_requestvote_response_t, resp: &RequestVoteResponse, prevote_on: bool) {
    (*p).term = resp.term;
    (*p).vote_granted = resp.vote_granted;
    if prevote_on {
        (*p).prevote = resp.prevote as c_int;
        (*p).request_term = resp.request_term;
    }
}

/// A requestvote response as the core sees it (pre-vote fields read only
/// when `prevote_on`).
///
/// # Safety
/// As for [`write_rv_response`].
pub(crate) unsafe fn read_rv_response(p: *const msg_requestvote_response_t, prevote_on: bool) -> RequestVoteResponse {
    RequestVoteResponse {
        term: (*p).term,
        vote_granted: (*p).vote_granted,
        prevote: prevote_on && (*p).prevote != 0,
        request_term: if prevote_on { (*p).request_term } else { 0 },
    }
}
