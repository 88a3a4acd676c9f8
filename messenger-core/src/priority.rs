//! Idle CPU priority for the password hashing threads.
//!
//! A hash keeps a core busy for about ten milliseconds. Where threads
//! outnumber cores, an ordinary-priority hash runs out its time slice
//! before a woken async worker or the SQLite writer gets the core back, and
//! chat frames wait behind it. Under Linux's `SCHED_IDLE` policy any
//! ordinary thread preempts the hash at once, and the hash still runs at
//! full speed whenever the core is free.
//!
//! The policy is set once, for the life of a dedicated thread. Switching
//! policy around each hash was measured to be worse than it looks
//! (`perf sched`): the thread woke at ordinary priority and took the core
//! from the writer, and the kernel does not reschedule a thread that lowers
//! its own policy, so a woken worker then waited for the next tick (4 ms).

/// Moves the calling thread to idle priority for the rest of its life.
/// Answers whether the system allowed it.
pub(crate) fn lower_current_thread() -> bool {
    imp::lower_current_thread()
}

#[cfg(target_os = "linux")]
mod imp {
    pub(super) fn lower_current_thread() -> bool {
        let param = libc::sched_param { sched_priority: 0 };
        // SAFETY: plain syscalls on the calling thread (pid 0) with a valid
        // sched_param. Lowering one's own policy is always permitted.
        let lowered = unsafe { libc::sched_setscheduler(0, libc::SCHED_IDLE, &param) == 0 };
        // Give the core to whatever ordinary thread is waiting for it now:
        // the kernel does not reschedule on a self-lowered policy.
        std::thread::yield_now();
        lowered
    }
}

#[cfg(not(target_os = "linux"))]
mod imp {
    pub(super) fn lower_current_thread() -> bool {
        false
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    #[test]
    fn the_thread_runs_at_idle_priority_afterwards() {
        std::thread::spawn(|| {
            assert!(super::lower_current_thread());
            // SAFETY: reads the calling thread's policy.
            assert_eq!(unsafe { libc::sched_getscheduler(0) }, libc::SCHED_IDLE);
        })
        .join()
        .unwrap();
        // Only the thread that asked is lowered.
        // SAFETY: as above.
        assert_ne!(unsafe { libc::sched_getscheduler(0) }, libc::SCHED_IDLE);
    }
}
