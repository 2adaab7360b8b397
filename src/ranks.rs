//! A run over several processes (MPI ranks): how this process learns its place, and where a
//! rank other than the first writes (nothing of the run directory: rank 0 writes all of it).
//! docs/DISTRIBUTED.md describes the design.

use std::path::{Path, PathBuf};

/// The number of processes a launcher (mpirun, srun) started this one among, from the
/// environment it sets (OpenMPI, then PMI/PMIx as MPICH and SLURM set it); `None` alone.
pub fn launched_among() -> Option<usize> {
    [
        "OMPI_COMM_WORLD_SIZE",
        "PMI_SIZE",
        "PMIX_SIZE",
        "MPI_LOCALNRANKS",
    ]
    .iter()
    .find_map(|var| std::env::var(var).ok()?.trim().parse::<usize>().ok())
    .filter(|&n| n > 1)
}

/// This process's rank (0 when it runs alone).
pub fn rank() -> usize {
    sim_core::engine::ranks::this_rank()
}

/// Whether this process writes the run's output (rank 0, or the only process).
pub fn writes_output() -> bool {
    rank() == 0
}

/// Where this process writes the run directory meant for `out`: `out` on rank 0; on another
/// rank a private scratch directory, since the engine hands recordings to rank 0 only and
/// every rank otherwise runs the same command.
pub fn output_dir(out: &Path) -> PathBuf {
    if writes_output() {
        out.to_path_buf()
    } else {
        std::env::temp_dir().join(format!("engram-rank{}-{}", rank(), std::process::id()))
    }
}

/// Removes a non-first rank's scratch directory (see [`output_dir`]) when dropped.
pub struct Scratch(Option<PathBuf>);

impl Scratch {
    pub fn for_dir(dir: &Path) -> Self {
        Self((!writes_output()).then(|| dir.to_path_buf()))
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if let Some(dir) = &self.0 {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

/// The run directory this process's command writes (rank 0's `out`, known to every rank), for
/// [`mpi::watch_termination`] to mark failed.
static RUN_DIR: std::sync::Mutex<Option<PathBuf>> = std::sync::Mutex::new(None);

/// Names the run directory to mark failed if the run is terminated (see
/// [`mpi::watch_termination`]).
pub fn watch_dir(out: &Path) {
    *RUN_DIR.lock().expect("run dir") = Some(out.to_path_buf());
}

/// Marks the watched run directory failed with `why`, if its `run.json` still says
/// `running`: the spike files are valid as of their last flush, the run did not complete.
#[cfg(feature = "mpi")]
fn mark_terminated(why: &str) {
    let Some(dir) = RUN_DIR.lock().ok().and_then(|d| d.clone()) else {
        return;
    };
    let path = dir.join("run.json");
    let Ok(text) = std::fs::read_to_string(&path) else {
        return;
    };
    let Ok(mut info) = serde_json::from_str::<serde_json::Value>(&text) else {
        return;
    };
    if info["status"] != "running" {
        return;
    }
    info["status"] = "failed".into();
    info["error"] = why.into();
    let Ok(text) = serde_json::to_string_pretty(&info) else {
        return;
    };
    // Several ranks may do this at once: each writes its own file, the renames are atomic.
    let tmp = dir.join(format!("run.json.rank{}.tmp", rank()));
    if std::fs::write(&tmp, text + "\n").is_ok() {
        let _ = std::fs::rename(&tmp, &path);
    }
}

#[cfg(feature = "mpi")]
pub mod mpi {
    //! The engine's [`Ranks`] over `MPI_COMM_WORLD`.

    use std::sync::Arc;

    use mpi::datatype::PartitionMut;
    use mpi::topology::SimpleCommunicator;
    use mpi::traits::*;
    use mpi::Count;
    use sim_core::engine::ranks::{install, Ranks};

    struct World(SimpleCommunicator);

    // SAFETY: the engine calls a `Ranks` from one thread at a time, the one that initialised
    // MPI (the step loop exchanges on the calling thread; the rest is sequential code).
    unsafe impl Send for World {}
    unsafe impl Sync for World {}

    impl Ranks for World {
        fn rank(&self) -> usize {
            self.0.rank() as usize
        }

        fn size(&self) -> usize {
            self.0.size() as usize
        }

        fn all_gather(&self, mine: &[u8]) -> Vec<Vec<u8>> {
            let n = self.size();
            let mut counts = vec![0 as Count; n];
            self.0
                .all_gather_into(&(mine.len() as Count), &mut counts[..]);
            let displs: Vec<Count> = counts
                .iter()
                .scan(0, |at, &c| {
                    let d = *at;
                    *at += c;
                    Some(d)
                })
                .collect();
            let total: usize = counts.iter().map(|&c| c as usize).sum();
            let mut buf = vec![0u8; total];
            {
                let mut parts = PartitionMut::new(&mut buf[..], &counts[..], &displs[..]);
                self.0.all_gather_varcount_into(mine, &mut parts);
            }
            (counts.iter().zip(&displs))
                .map(|(&c, &d)| buf[d as usize..(d + c) as usize].to_vec())
                .collect()
        }
    }

    /// In a process started by an MPI launcher: takes SIGTERM, SIGINT and SIGHUP on a thread of
    /// their own, which marks the run directory failed ([`super::watch_dir`]) and exits.
    /// That is what the launcher sends the other ranks when one dies, and what a scheduler
    /// sends at the end of a job's time. Called first thing in `main`: the signals are blocked
    /// in every thread started afterwards (MPI's own included), so only that thread takes them.
    pub fn watch_termination() {
        // SAFETY: plain libc calls on a local signal set; sigwait is the documented way to
        // take a blocked signal on a thread of one's own.
        unsafe {
            let mut set: libc::sigset_t = std::mem::zeroed();
            libc::sigemptyset(&mut set);
            for sig in [libc::SIGTERM, libc::SIGINT, libc::SIGHUP] {
                libc::sigaddset(&mut set, sig);
            }
            libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
            std::thread::spawn(move || {
                let mut sig: libc::c_int = 0;
                if libc::sigwait(&set, &mut sig) == 0 {
                    super::mark_terminated(&format!(
                        "rank {} terminated by signal {sig} (another rank died, or the job was \
                         ended); the spike files hold every step flushed before; resume from \
                         the last checkpoint with `engram run --resume`",
                        super::rank()
                    ));
                    libc::_exit(128 + sig);
                }
            });
        }
    }

    /// Initialises MPI and, in a run of several processes, makes this one a rank of
    /// `MPI_COMM_WORLD` for the engine. The universe finalises MPI when dropped: keep it until
    /// the command is done.
    pub fn init() -> Option<mpi::environment::Universe> {
        let (universe, _) = mpi::initialize_with_threading(mpi::Threading::Funneled)?;
        let world = universe.world();
        if world.size() > 1 {
            install(Arc::new(World(world)));
        }
        Some(universe)
    }
}
