//! The C handles and their conversions. A `raft_server_t*` points to a
//! [`ServerBox`], a `raft_node_t*` to a [`NodeHandle`]; each starts with a
//! tag, so a handle of the wrong kind (or a freed one, while its memory is
//! not reused) is refused instead of being misread.

use super::types::*;
use crate::server::Server;
use crate::tracker::node::{NodeSlot, NodeState};
use crate::types::{Entry, NodeId, NO_NODE};
use libc::c_void;

use super::host::CHost;

pub(crate) type CServer = Server<CHost>;
/// The core entry type the C interface stores: layout-identical to `raft_entry_t`.
pub(crate) type CEntry = Entry<raft_entry_data_t>;

const SERVER_TAG: u32 = 0x5246_5453; // "RFTS"
const NODE_TAG: u32 = 0x5246_544e; // "RFTN"
const DEAD_TAG: u32 = 0;

/// What a `raft_server_t*` points to.
#[repr(C)]
pub(crate) struct ServerBox {
    tag: u32,
    pub server: CServer,
}

/// What a `raft_node_t*` points to: a member's handle (owned by its
/// server's tracker, as the host data of that member) or a standalone node
/// from `raft_node_new` (owned by the caller), which keeps its own state.
#[repr(C)]
#[derive(Debug)]
pub struct NodeHandle {
    tag: u32,
    /// The server of which it is a member (set whenever the handle is handed
    /// out), or NULL for a standalone node.
    server: *mut CServer,
    id: NodeId,
    /// Where the member was in its server's member list when last handed
    /// out: checked first when the handle comes back.
    pos_hint: usize,
    /// The application's data for this node.
    pub udata: *mut c_void,
    standalone: Option<NodeState>,
}

/// A member's host data: its C handle, boxed so that the pointer C holds
/// stays valid while the member exists.
#[derive(Debug)]
pub struct NodeData(pub Box<NodeHandle>);

impl Default for NodeData {
    fn default() -> Self {
        NodeData(Box::new(NodeHandle {
            tag: NODE_TAG,
            server: std::ptr::null_mut(),
            id: NO_NODE,
            pos_hint: 0,
            udata: std::ptr::null_mut(),
            standalone: None,
        }))
    }
}

impl NodeHandle {
    /// The node's id.
    pub(crate) fn id(&self) -> NodeId {
        self.id
    }
}

impl Drop for NodeHandle {
    fn drop(&mut self) {
        self.tag = DEAD_TAG;
    }
}

impl Drop for ServerBox {
    fn drop(&mut self) {
        self.tag = DEAD_TAG;
    }
}

/// A new server handle, owned by the caller.
pub(crate) fn new_server(server: CServer) -> *mut raft_server_t {
    Box::into_raw(Box::new(ServerBox { tag: SERVER_TAG, server })) as *mut raft_server_t
}

/// Frees a server handle from [`new_server`].
///
/// # Safety
/// `me` must be a live server handle.
pub(crate) unsafe fn free_server(me: *mut raft_server_t) {
    if server(me).is_some() {
        drop(Box::from_raw(me as *mut ServerBox));
    }
}

/// The server behind a C handle: None for NULL or a handle of another kind.
///
/// # Safety
/// `me` must be NULL or point to at least 4 readable bytes (a live handle).
#[inline(always)]
pub(crate) unsafe fn server<'a>(me: *mut raft_server_t) -> Option<&'a mut CServer> {
    let b = (me as *mut ServerBox).as_mut()?;
    if b.tag == SERVER_TAG {
        Some(&mut b.server)
    } else {
        None
    }
}

/// [`server`] for a handle the function only reads.
///
/// # Safety
/// As for [`server`].
#[inline(always)]
pub(crate) unsafe fn server_ref<'a>(me: *const raft_server_t) -> Option<&'a CServer> {
    let b = (me as *const ServerBox).as_ref()?;
    if b.tag == SERVER_TAG {
        Some(&b.server)
    } else {
        None
    }
}

/// The C handle of a server we hold by reference (inside a callback).
#[inline(always)]
pub(crate) fn server_handle(s: &mut CServer) -> *mut raft_server_t {
    let offset = std::mem::offset_of!(ServerBox, server);
    // A `CServer` handed to C code always lives in a `ServerBox`.
    (s as *mut CServer as *mut u8).wrapping_sub(offset) as *mut raft_server_t
}

/// The C handle of the member at `pos`, or NULL.
#[inline]
pub(crate) fn member_handle_at(s: &mut CServer, pos: usize) -> *mut raft_node_t {
    let server = s as *mut CServer;
    let Some(id) = s.node_id_at(pos) else { return std::ptr::null_mut() };
    match s.node_data_mut(pos) {
        Some(d) => {
            d.0.server = server;
            d.0.id = id;
            d.0.pos_hint = pos;
            &mut *d.0 as *mut NodeHandle as *mut raft_node_t
        }
        None => std::ptr::null_mut(),
    }
}

/// The C handle of member `id`, or NULL.
#[inline]
pub(crate) fn node_handle(s: &mut CServer, id: NodeId) -> *mut raft_node_t {
    match s.node_pos(id) {
        Some(pos) => member_handle_at(s, pos),
        None => std::ptr::null_mut(),
    }
}

/// The handle behind a C pointer: None for NULL or a handle of another kind.
///
/// # Safety
/// `node` must be NULL or point to at least 4 readable bytes (a live handle).
#[inline(always)]
pub(crate) unsafe fn node_handle_ref<'a>(node: *const raft_node_t) -> Option<&'a mut NodeHandle> {
    let h = (node as *mut NodeHandle).as_mut()?;
    if h.tag == NODE_TAG {
        Some(h)
    } else {
        None
    }
}

/// The position in `s` of the member whose handle is `node`: NULL, handles
/// of other servers and non-members are rejected.
///
/// # Safety
/// As for [`node_handle_ref`].
#[inline]
pub(crate) unsafe fn member_pos(s: &CServer, node: *mut raft_node_t) -> Option<usize> {
    let h = node_handle_ref(node)?;
    if !std::ptr::eq(h.server, s) {
        return None;
    }
    let is_at = |pos: usize| s.node_data(pos).is_some_and(|d| std::ptr::eq(&*d.0, h));
    if is_at(h.pos_hint) {
        return Some(h.pos_hint);
    }
    let pos = s.node_pos(h.id)?;
    is_at(pos).then_some(pos)
}

/// The id of the member whose handle is `node` (see [`member_pos`]).
///
/// # Safety
/// As for [`node_handle_ref`].
#[inline]
pub(crate) unsafe fn member_id(s: &CServer, node: *mut raft_node_t) -> Option<NodeId> {
    member_pos(s, node).and_then(|p| s.node_id_at(p))
}

/// A new standalone node (`raft_node_new`), owned by the caller.
pub(crate) fn new_standalone(udata: *mut c_void, id: NodeId) -> *mut raft_node_t {
    let h = NodeHandle {
        tag: NODE_TAG,
        server: std::ptr::null_mut(),
        id,
        pos_hint: 0,
        udata,
        standalone: Some(NodeState::default()),
    };
    Box::into_raw(Box::new(h)) as *mut raft_node_t
}

/// Frees a standalone node; member handles are refused (their server owns them).
///
/// # Safety
/// As for [`node_handle_ref`].
pub(crate) unsafe fn free_standalone(node: *mut raft_node_t) {
    if let Some(h) = node_handle_ref(node) {
        if h.standalone.is_some() {
            drop(Box::from_raw(h as *mut NodeHandle));
        }
    }
}

/// Runs `f` on a node's id and state, wherever its state is kept: in its
/// server's tracker (members) or in the handle (standalone nodes). None for
/// NULL, a handle of another kind, or a member handle whose node has left.
///
/// # Safety
/// `node` must be NULL or a live handle; a member handle's server must be live.
pub(crate) unsafe fn with_node_slot<T>(node: *const raft_node_t, f: impl FnOnce(NodeId, NodeSlot<'_>) -> T) -> Option<T> {
    let h = node_handle_ref(node)?;
    let id = h.id;
    if let Some(state) = h.standalone.as_mut() {
        return Some(f(id, state.slot()));
    }
    let s = h.server.as_mut()?;
    let pos = member_pos(s, node as *mut raft_node_t)?;
    Some(f(id, s.node_slot(pos)?))
}
