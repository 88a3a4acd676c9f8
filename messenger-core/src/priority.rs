//! Background CPU priority for password hashing.
//!
//! A hash keeps a core busy for tens of milliseconds. Where threads
//! outnumber cores, the scheduler lets it run out its time slice before a
//! woken async worker or the SQLite writer gets the core back, and chat
//! frames wait behind it (measured with `perf sched`: up to 9 ms). Under
//! Linux's `SCHED_IDLE` policy any ordinary thread preempts the hash at
//! once, and the hash still runs at full speed whenever the core is free.

/// Runs `work` under `SCHED_IDLE`, then returns the thread to its former
/// policy. Where the system does not let an unprivileged thread return
/// (`RLIMIT_NICE`), the blocking-pool thread stays at idle priority, which
/// only ever delays other blocking work on it.
pub(crate) fn background<T>(work: impl FnOnce() -> T) -> T {
    let _guard = imp::Idle::enter();
    work()
}

#[cfg(target_os = "linux")]
mod imp {
    pub(super) struct Idle(Option<libc::c_int>);

    impl Idle {
        pub(super) fn enter() -> Self {
            let param = libc::sched_param { sched_priority: 0 };
            // SAFETY: plain syscalls on the calling thread (pid 0) with a
            // valid sched_param.
            unsafe {
                let before = libc::sched_getscheduler(0);
                if before < 0 || libc::sched_setscheduler(0, libc::SCHED_IDLE, &param) != 0 {
                    return Self(None);
                }
                Self(Some(before))
            }
        }
    }

    impl Drop for Idle {
        fn drop(&mut self) {
            if let Some(before) = self.0 {
                let param = libc::sched_param { sched_priority: 0 };
                // SAFETY: as above; a failure leaves the thread idle-priority.
                unsafe {
                    libc::sched_setscheduler(0, before, &param);
                }
            }
        }
    }
}

#[cfg(not(target_os = "linux"))]
mod imp {
    pub(super) struct Idle;

    impl Idle {
        pub(super) fn enter() -> Self {
            Self
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn background_work_runs_and_returns_its_value() {
        assert_eq!(super::background(|| 6 * 7), 42);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn the_work_runs_at_idle_priority_and_the_thread_returns() {
        std::thread::spawn(|| {
            // SAFETY: reads the calling thread's policy.
            let policy = || unsafe { libc::sched_getscheduler(0) };
            let before = policy();
            assert_eq!(super::background(policy), libc::SCHED_IDLE);
            // Root (CI) may always return; others only within RLIMIT_NICE.
            if unsafe { libc::geteuid() } == 0 {
                assert_eq!(policy(), before);
            }
        })
        .join()
        .unwrap();
    }
}
