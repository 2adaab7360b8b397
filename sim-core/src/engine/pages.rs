//! Large pages for the synapse rows. Pulled delivery touches a few bytes of hundreds of rows
//! per step, spread over gigabytes: with 4 KiB pages nearly every touch also misses the TLB and
//! walks the page tables; 2 MiB pages let the TLB cover the rows.

/// Asks the kernel to back `v`'s allocation with transparent huge pages. Call it before the
/// memory is first written (a zeroed `vec!` of this size is mapped but not yet touched), so the
/// pages are huge from their first fault. A hint: where the kernel or the platform declines,
/// nothing changes but speed.
pub(super) fn advise_huge_pages<T>(v: &mut Vec<T>) {
    #[cfg(target_os = "linux")]
    {
        const HUGE: usize = 2 << 20;
        let bytes = v.capacity() * std::mem::size_of::<T>();
        let start = v.as_mut_ptr() as usize;
        let first = start.next_multiple_of(HUGE);
        let end = (start + bytes) / HUGE * HUGE;
        if end > first {
            // SAFETY: [first, end) lies inside `v`'s allocation, which this process owns;
            // MADV_HUGEPAGE changes how it is backed, never its contents.
            unsafe { libc::madvise(first as *mut libc::c_void, end - first, libc::MADV_HUGEPAGE) };
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = v;
}
