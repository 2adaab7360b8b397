//! MPI ranks give the run directory of one process, byte for byte: CUBA-4k, an STDP network and
//! the CA3 memory's E1 experiment, each run in one process and under `mpirun` as 2 ranks × 1
//! thread, 2 ranks × 2 threads and 3 ranks (more ranks than cores: `--oversubscribe`). A
//! checkpoint written by 2 ranks resumes in 1 process and in 3 ranks to the same output. Needs
//! the `mpi` feature and OpenMPI's `mpirun` (scripts/setup-mpi.sh); without the feature, the
//! one test here checks that a build without MPI refuses to run under a launcher.

use std::path::PathBuf;
use std::process::Command;

fn engram() -> &'static str {
    env!("CARGO_BIN_EXE_engram")
}

fn scratch(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("target/test-runs")
        .join(format!("distributed-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn example(path: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("examples")
        .join(path)
        .display()
        .to_string()
}

#[cfg(not(feature = "mpi"))]
#[test]
fn a_build_without_mpi_refuses_to_run_under_a_launcher() {
    let out = scratch("nompi");
    for var in ["OMPI_COMM_WORLD_SIZE", "PMI_SIZE"] {
        let res = Command::new(engram())
            .args(["run", &example("cuba.toml"), "--quiet", "--out"])
            .arg(out.join("never"))
            .env(var, "2")
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&res.stderr);
        assert_eq!(res.status.code(), Some(2), "{var}: {err}");
        assert!(
            err.contains("error[E0013]")
                && err.contains("built without MPI")
                && err.contains("--features mpi"),
            "{var}: {err}"
        );
        assert!(!out.join("never").exists(), "it must not start the run");
    }
    // One process started by a launcher runs as usual.
    let res = Command::new(engram())
        .args([
            "run",
            &example("cuba.toml"),
            "--quiet",
            "--set",
            "duration=10",
            "--out",
        ])
        .arg(out.join("alone"))
        .env("OMPI_COMM_WORLD_SIZE", "1")
        .output()
        .unwrap();
    assert!(
        res.status.success(),
        "{}",
        String::from_utf8_lossy(&res.stderr)
    );
}

#[cfg(feature = "mpi")]
mod under_mpirun {
    use super::*;
    use sim_core::npy::{read_npy_f64, read_npy_u32};
    use std::path::Path;
    use std::time::{Duration, Instant};

    /// Runs `args` as `ranks` processes under mpirun (or directly for 0), failing after
    /// `limit` instead of hanging.
    fn launch(ranks: usize, args: &[String], limit: Duration) -> std::process::Output {
        let mut cmd = if ranks == 0 {
            Command::new(engram())
        } else {
            let mut c = Command::new("mpirun");
            c.args([
                "--allow-run-as-root",
                "--oversubscribe",
                "--bind-to",
                "none",
                "-n",
            ])
            .arg(ranks.to_string())
            .arg(engram());
            c
        };
        let child = cmd
            .args(args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("mpirun (scripts/setup-mpi.sh installs it)");
        let id = child.id();
        let started = Instant::now();
        let watchdog = std::thread::spawn(move || {
            while started.elapsed() < limit {
                std::thread::sleep(Duration::from_millis(100));
                if std::fs::metadata(format!("/proc/{id}")).is_err() {
                    return false;
                }
            }
            let _ = Command::new("kill").arg("-9").arg(id.to_string()).status();
            true
        });
        let out = child.wait_with_output().unwrap();
        let _ = watchdog.join();
        assert!(started.elapsed() < limit, "{args:?} on {ranks} ranks hung");
        out
    }

    fn ok(ranks: usize, args: &[String]) {
        let out = launch(ranks, args, Duration::from_secs(240));
        assert!(
            out.status.success(),
            "{args:?} on {ranks} ranks: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    fn strings(args: &[&str]) -> Vec<String> {
        args.iter().map(|s| s.to_string()).collect()
    }

    /// `run.json` without what differs between runs of the same network: wall-clock times and
    /// rates, and the layout (threads per process, ranks).
    fn run_json_without_timing(dir: &Path) -> serde_json::Value {
        let text = std::fs::read_to_string(dir.join("run.json")).unwrap();
        let mut v: serde_json::Value = serde_json::from_str(&text).unwrap();
        let o = v.as_object_mut().unwrap();
        for key in [
            "build_s",
            "simulate_s",
            "spikes_per_s",
            "synaptic_events_per_s",
            "threads",
        ] {
            assert!(o.remove(key).is_some(), "run.json has no {key}");
        }
        if let Some(extra) = o.get_mut("extra").and_then(|e| e.as_object_mut()) {
            extra.remove("ranks");
            extra.remove("resumed_at_step");
            if extra.is_empty() {
                o.remove("extra");
            }
        }
        v
    }

    /// Every file of `b` is the file of `a` byte for byte (run.json: but for timing and layout),
    /// and neither has a file the other lacks.
    fn assert_same_run_dir(a: &Path, b: &Path) {
        let names = |d: &Path| {
            let mut n: Vec<String> = std::fs::read_dir(d)
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .filter(|n| n != "checkpoint.bin")
                .collect();
            n.sort();
            n
        };
        let files = names(a);
        assert!(
            files.iter().any(|n| n.ends_with(".npy")),
            "{a:?} has no spikes"
        );
        assert_eq!(files, names(b), "{a:?} vs {b:?}");
        for name in &files {
            if name == "run.json" {
                assert_eq!(
                    run_json_without_timing(a),
                    run_json_without_timing(b),
                    "{b:?}/run.json"
                );
                continue;
            }
            let (x, y) = (
                std::fs::read(a.join(name)).unwrap(),
                std::fs::read(b.join(name)).unwrap(),
            );
            assert!(
                x == y,
                "{b:?}/{name} differs from one process's ({} vs {} bytes)",
                x.len(),
                y.len()
            );
        }
    }

    /// (ranks, threads per rank) of each distributed layout checked; 0 ranks: one process.
    const LAYOUTS: [(usize, usize); 3] = [(2, 1), (2, 2), (3, 1)];

    fn every_layout_writes_the_same_directory(name: &str, args: &[&str]) {
        let base = scratch(name);
        let with = |dir: &Path, threads: usize| {
            let mut a = strings(args);
            a.extend(strings(&[
                "--quiet",
                "--threads",
                &threads.to_string(),
                "--out",
            ]));
            a.push(dir.display().to_string());
            a
        };
        let one = base.join("one");
        ok(0, &with(&one, 1));
        for (ranks, threads) in LAYOUTS {
            let dir = base.join(format!("r{ranks}t{threads}"));
            ok(ranks, &with(&dir, threads));
            assert_same_run_dir(&one, &dir);
            let info = run_json(&dir);
            assert_eq!(info["extra"]["ranks"], ranks, "{dir:?}");
            assert_eq!(info["threads"], threads, "{dir:?}");
            assert_eq!(info["status"], "complete", "{dir:?}");
        }
    }

    /// `engram run MODEL` for `duration_ms` on one thread per process, quiet, into `dir`.
    fn one_thread_run(model: &str, duration_ms: &str, extra: &[&str], dir: &Path) -> Vec<String> {
        let duration = format!("duration={duration_ms}");
        let mut a = strings(&[
            "run",
            model,
            "--set",
            &duration,
            "--quiet",
            "--threads",
            "1",
        ]);
        a.extend(strings(extra));
        a.push("--out".into());
        a.push(dir.display().to_string());
        a
    }

    fn run_json(dir: &Path) -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(dir.join("run.json")).unwrap()).unwrap()
    }

    #[test]
    fn cuba_4k_is_the_same_on_every_layout() {
        let model = example("cuba.toml");
        every_layout_writes_the_same_directory("cuba", &["run", &model, "--set", "duration=300"]);
    }

    /// Delays of 1.5 ms at dt = 0.1 ms: the ranks exchange once per 15 steps (the run's chunks
    /// of 1000 steps end mid-interval, so shorter last intervals are covered too), and the
    /// directory is still the single process's.
    #[test]
    fn cuba_with_15_step_delays_exchanges_once_per_interval_and_is_the_same_on_every_layout() {
        let model = example("cuba.toml");
        let mut args = strings(&["run", &model, "--set", "duration=300"]);
        for proj in ["exc_exc", "exc_inh", "inh_exc", "inh_inh"] {
            args.push("--set".into());
            args.push(format!("projections.{proj}.delay=1.5"));
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        every_layout_writes_the_same_directory("cuba-delay15", &args);
    }

    /// `engram bench` over ranks reports one exchange per minimum delay (15 steps with 1.5 ms
    /// delays at dt = 0.1 ms, every step with 0.1 ms), and that each rank built only its own
    /// part of the network: the ranks' synapses add up to the network's, and together they drew
    /// every column of the generated projections exactly twice (the build's count and fill
    /// passes) — a rank that drew a column it does not own, or read a projection whole, adds
    /// to that.
    #[test]
    fn ranks_exchange_once_per_minimum_delay_and_build_only_their_own_synapses() {
        // CUBA on 2000 neurons: 1600 excitatory, 400 inhibitory; four projections whose post
        // populations have 1600 + 400 + 1600 + 400 columns.
        let columns = 4000u64;
        for (ranks, delay, interval) in [(2, "1.5", 15u64), (2, "0.1", 1), (3, "1.5", 15)] {
            let out = launch(
                ranks,
                &strings(&[
                    "bench",
                    "cuba",
                    "--neurons",
                    "2000",
                    "--seconds",
                    "0.3",
                    "--threads",
                    "1",
                    "--delay",
                    delay,
                    "--json",
                ]),
                Duration::from_secs(240),
            );
            let stdout = String::from_utf8_lossy(&out.stdout);
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            let line: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
            let per_rank = line["per_rank"].as_array().unwrap();
            assert_eq!(per_rank.len(), ranks, "{line}");
            let (mut synapses, mut drawn) = (0, 0);
            for rank in per_rank {
                let steps = rank["steps"].as_u64().unwrap();
                assert_eq!(steps, 3000, "{rank}");
                assert_eq!(rank["interval_steps"], interval, "{rank}");
                // Chunks of 10 000 steps: 3000 steps are one chunk.
                assert_eq!(rank["exchanges"], steps.div_ceil(interval), "{rank}");
                let held = rank["synapses"].as_u64().unwrap();
                assert!(held > 0, "{rank}");
                synapses += held;
                drawn += rank["columns_drawn"].as_u64().unwrap();
            }
            assert_eq!(synapses, line["synapses"].as_u64().unwrap(), "{line}");
            assert_eq!(drawn, 2 * columns, "{line}");
            let per_step = line["exchange_bytes_per_step"].as_f64().unwrap();
            assert!(per_step > 0.0 && per_step.is_finite(), "{line}");
        }
    }

    #[test]
    fn stdp_is_the_same_on_every_layout() {
        let model = example("stdp.toml");
        every_layout_writes_the_same_directory("stdp", &["run", &model, "--set", "duration=2000"]);
    }

    #[test]
    fn ca3_e1_is_the_same_on_every_layout() {
        let experiment = example("cam/e1_functional.toml");
        every_layout_writes_the_same_directory("cam", &["cam", &experiment]);
    }

    /// A plastic network checkpointed by 2 ranks, resumed from that checkpoint in one process
    /// and in 3 ranks: both finish with the uninterrupted run's files.
    #[test]
    fn a_checkpoint_of_two_ranks_resumes_on_one_and_on_three() {
        let base = scratch("checkpoint");
        let model = example("stdp.toml");
        let run = |dir: &Path, extra: &[&str]| one_thread_run(&model, "2000", extra, dir);
        let one = base.join("one");
        ok(0, &run(&one, &[]));
        let two = base.join("two");
        ok(2, &run(&two, &["--checkpoint-every", "700"]));
        assert!(two.join("checkpoint.bin").exists());
        for ranks in [0, 3] {
            // The run finished, but resuming from its last checkpoint (1400 ms) rewinds the
            // files to that point and simulates the rest again.
            let dir = base.join(format!("resumed{ranks}"));
            copy_dir(&two, &dir);
            ok(
                ranks,
                &strings(&["run", "--resume", &dir.display().to_string(), "--quiet"]),
            );
            assert_eq!(run_json(&dir)["extra"]["resumed_at_step"], 14_000);
            assert_same_run_dir(&one, &dir);
        }
    }

    fn copy_dir(from: &Path, to: &Path) {
        std::fs::create_dir_all(to).unwrap();
        for e in std::fs::read_dir(from).unwrap() {
            let e = e.unwrap();
            std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
        }
    }

    /// The pid of rank `rank` among the children of the mpirun `launcher`.
    fn rank_pid(launcher: u32, rank: usize) -> Option<u32> {
        let children =
            std::fs::read_to_string(format!("/proc/{launcher}/task/{launcher}/children")).ok()?;
        children.split_whitespace().find_map(|pid| {
            let env = std::fs::read(format!("/proc/{pid}/environ")).ok()?;
            let wanted = format!("OMPI_COMM_WORLD_RANK={rank}");
            env.split(|&b| b == 0)
                .any(|var| var == wanted.as_bytes())
                .then(|| pid.parse().ok())?
        })
    }

    /// Killing one rank (SIGKILL: no chance to clean up) ends the run within a bounded time,
    /// with the run directory marked failed and the spikes flushed so far those of the
    /// uninterrupted run. Rank 1 and rank 0 (the one that writes) in turn.
    #[test]
    fn a_killed_rank_fails_the_run_cleanly() {
        let base = scratch("killed");
        let model = example("cuba.toml");
        let reference = base.join("reference");
        ok(0, &one_thread_run(&model, "2000", &[], &reference));
        let ref_times = read_npy_f64(reference.join("exc.times.npy")).unwrap();
        let ref_senders = read_npy_u32(reference.join("exc.senders.npy")).unwrap();
        let first_second = ref_times.iter().filter(|&&t| t < 1000.0).count();
        for victim in [1, 0] {
            let dir = base.join(format!("victim{victim}"));
            let mut child = Command::new("mpirun")
                .args([
                    "--allow-run-as-root",
                    "--oversubscribe",
                    "--bind-to",
                    "none",
                    "-n",
                    "2",
                ])
                .arg(engram())
                .args([
                    "run",
                    &model,
                    "--set",
                    "duration=1000000",
                    "--quiet",
                    "--threads",
                    "1",
                ])
                .args(["--checkpoint-every", "1000", "--out"])
                .arg(&dir)
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .spawn()
                .unwrap();
            let started = Instant::now();
            while !dir.join("checkpoint.bin").exists() {
                assert!(
                    started.elapsed() < Duration::from_secs(120),
                    "no checkpoint written"
                );
                std::thread::sleep(Duration::from_millis(20));
            }
            let pid = rank_pid(child.id(), victim).expect("the rank's process");
            Command::new("kill")
                .args(["-9", &pid.to_string()])
                .status()
                .unwrap();
            let killed_at = Instant::now();
            let status = loop {
                if let Some(status) = child.try_wait().unwrap() {
                    break status;
                }
                if killed_at.elapsed() > Duration::from_secs(60) {
                    child.kill().unwrap();
                    panic!("the run did not end within 60 s of rank {victim}'s death");
                }
                std::thread::sleep(Duration::from_millis(50));
            };
            assert!(!status.success());
            let info = run_json(&dir);
            assert_eq!(info["status"], "failed", "victim {victim}: {info}");
            let error = info["error"].as_str().unwrap_or_default();
            assert!(
                error.contains("terminated by signal") && error.contains("--resume"),
                "{error}"
            );
            // The flushed spikes are valid files, and they are the run's spikes.
            let times = read_npy_f64(dir.join("exc.times.npy")).unwrap();
            let senders = read_npy_u32(dir.join("exc.senders.npy")).unwrap();
            assert_eq!(times.len(), senders.len());
            assert!(
                times.len() >= first_second,
                "the first checkpointed second is flushed"
            );
            let n = times.len().min(ref_times.len());
            assert_eq!(times[..n], ref_times[..n], "victim {victim}: times");
            assert_eq!(senders[..n], ref_senders[..n], "victim {victim}: senders");
        }
    }

    /// A network the ranks cannot share (graded projections) is refused before anything is
    /// written, on every rank, with its code.
    #[test]
    fn a_network_with_graded_projections_is_refused() {
        let dir = scratch("graded").join("run");
        let mut args = strings(&["run", &example("astro/retention.toml"), "--quiet", "--out"]);
        args.push(dir.display().to_string());
        let out = launch(2, &args, Duration::from_secs(120));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success());
        assert!(
            err.contains("error[E0014]") && err.contains("graded"),
            "{err}"
        );
        assert!(!dir.exists(), "nothing is written");
    }
}
