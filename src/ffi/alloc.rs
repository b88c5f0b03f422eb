//! `raft_set_heap_functions`: every allocation the library makes goes
//! through this global allocator, which calls the application's functions
//! once they are set (and the C library's until then).

use libc::{c_void, size_t};
use std::alloc::{GlobalAlloc, Layout};
use std::sync::atomic::{AtomicUsize, Ordering};

type MallocFn = unsafe extern "C" fn(size_t) -> *mut c_void;
type CallocFn = unsafe extern "C" fn(size_t, size_t) -> *mut c_void;
type ReallocFn = unsafe extern "C" fn(*mut c_void, size_t) -> *mut c_void;
type FreeFn = unsafe extern "C" fn(*mut c_void);

static USER_MALLOC: AtomicUsize = AtomicUsize::new(0);
static USER_CALLOC: AtomicUsize = AtomicUsize::new(0);
static USER_REALLOC: AtomicUsize = AtomicUsize::new(0);
static USER_FREE: AtomicUsize = AtomicUsize::new(0);

/// malloc's guaranteed alignment on the platforms we build for.
const MALLOC_ALIGN: usize = 16;

/// Routes the library's allocations to the application's allocator (in a
/// library built with the cargo feature `c-heap`, as `make` builds it; a Rust
/// program linking the crate keeps its own allocator). Call it
/// before `raft_new` and never again while a server exists: memory is freed
/// with the functions in force when it is freed. Each pointer may be NULL
/// (that function stays the C library's). Functions must return memory
/// aligned like malloc's.
#[no_mangle]
pub extern "C" fn raft_set_heap_functions(
    _malloc: Option<unsafe extern "C" fn(size_t) -> *mut c_void>,
    _calloc: Option<unsafe extern "C" fn(size_t, size_t) -> *mut c_void>,
    _realloc: Option<unsafe extern "C" fn(*mut c_void, size_t) -> *mut c_void>,
    _free: Option<unsafe extern "C" fn(*mut c_void)>,
) {
    USER_MALLOC.store(_malloc.map_or(0, |f| f as usize), Ordering::SeqCst);
    USER_CALLOC.store(_calloc.map_or(0, |f| f as usize), Ordering::SeqCst);
    USER_REALLOC.store(_realloc.map_or(0, |f| f as usize), Ordering::SeqCst);
    USER_FREE.store(_free.map_or(0, |f| f as usize), Ordering::SeqCst);
}

pub struct RaftAllocator;

fn small(layout: &Layout) -> bool {
    layout.align() <= MALLOC_ALIGN
}

unsafe impl GlobalAlloc for RaftAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if small(&layout) {
            let f = USER_MALLOC.load(Ordering::Relaxed);
            if f != 0 {
                let f: MallocFn = std::mem::transmute(f);
                return f(layout.size()) as *mut u8;
            }
            return libc::malloc(layout.size()) as *mut u8;
        }
        let mut p: *mut c_void = std::ptr::null_mut();
        if libc::posix_memalign(&mut p, layout.align(), layout.size()) != 0 {
            return std::ptr::null_mut();
        }
        p as *mut u8
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if small(&layout) {
            let f = USER_CALLOC.load(Ordering::Relaxed);
            if f != 0 {
                let f: CallocFn = std::mem::transmute(f);
                return f(1, layout.size()) as *mut u8;
            }
            if USER_MALLOC.load(Ordering::Relaxed) == 0 {
                return libc::calloc(1, layout.size()) as *mut u8;
            }
        }
        let p = self.alloc(layout);
        if !p.is_null() {
            std::ptr::write_bytes(p, 0, layout.size());
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if small(&layout) {
            let f = USER_FREE.load(Ordering::Relaxed);
            if f != 0 {
                let f: FreeFn = std::mem::transmute(f);
                return f(ptr as *mut c_void);
            }
        }
        libc::free(ptr as *mut c_void)
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if small(&layout) {
            let f = USER_REALLOC.load(Ordering::Relaxed);
            if f != 0 {
                let f: ReallocFn = std::mem::transmute(f);
                return f(ptr as *mut c_void, new_size) as *mut u8;
            }
            if USER_MALLOC.load(Ordering::Relaxed) == 0 && USER_FREE.load(Ordering::Relaxed) == 0 {
                return libc::realloc(ptr as *mut c_void, new_size) as *mut u8;
            }
        }
        let new_layout = Layout::from_size_align_unchecked(new_size, layout.align());
        let p = self.alloc(new_layout);
        if !p.is_null() {
            std::ptr::copy_nonoverlapping(ptr, p, layout.size().min(new_size));
            self.dealloc(ptr, layout);
        }
        p
    }
}
