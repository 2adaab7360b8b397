//! Spike statistics of a run directory, as the field validates network models with
//! (Dasbach et al. 2021; the INM-6 microcircuit `reference_data`): per population, the
//! distributions of time-averaged firing rates (every neuron, silent ones included), of the
//! coefficient of variation of inter-spike intervals (neurons with at least three spikes) and of
//! the pairwise spike-count correlation coefficients (spike counts in bins of `bin_ms`, all pairs
//! of a fixed subset: the first `subsample` neurons of the population); and the two-sample
//! Kolmogorov–Smirnov distance between two runs' distributions.
//!
//! A run directory holds `run.json` (`populations` with `name` and `size`, `duration_ms`) and
//! `POP.senders.npy` (uint32, index in the population) and `POP.times.npy` (float64, ms) for each
//! population that recorded spikes; `bench/peers/nest_microcircuit.py` writes NEST's spikes the
//! same way.

use std::io;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// What to analyse: the window [from_ms, to_ms) and the correlation parameters.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Window {
    pub from_ms: f64,
    pub to_ms: f64,
    pub bin_ms: f64,
    pub subsample: usize,
}

/// One population's spikes.
pub struct PopulationSpikes {
    pub name: String,
    pub size: u32,
    pub senders: Vec<u32>,
    pub times: Vec<f64>,
}

/// The spikes of a run directory and its duration.
pub struct RunSpikes {
    pub dir: PathBuf,
    pub duration_ms: f64,
    pub populations: Vec<PopulationSpikes>,
}

#[derive(Deserialize)]
struct RunJson {
    duration_ms: f64,
    populations: Vec<PopulationJson>,
}

#[derive(Deserialize)]
struct PopulationJson {
    name: String,
    size: u32,
}

/// An error reading a run directory: the file and what is wrong.
#[derive(Debug)]
pub struct ReadError {
    pub path: String,
    pub source: io::Error,
}

fn bad(path: &Path, msg: String) -> ReadError {
    ReadError {
        path: path.display().to_string(),
        source: io::Error::new(io::ErrorKind::InvalidData, msg),
    }
}

/// Reads the spikes of every population of `dir` that recorded them.
pub fn read_run(dir: &Path) -> Result<RunSpikes, ReadError> {
    let json_path = dir.join("run.json");
    let text = std::fs::read_to_string(&json_path).map_err(|source| ReadError {
        path: json_path.display().to_string(),
        source,
    })?;
    let run: RunJson = serde_json::from_str(&text)
        .map_err(|e| bad(&json_path, format!("not a run description: {e}")))?;
    if !(run.duration_ms.is_finite() && run.duration_ms > 0.0) {
        return Err(bad(
            &json_path,
            format!("duration_ms = {}: must be > 0", run.duration_ms),
        ));
    }
    let mut populations = Vec::new();
    for p in run.populations {
        let senders_path = dir.join(format!("{}.senders.npy", p.name));
        let times_path = dir.join(format!("{}.times.npy", p.name));
        if !senders_path.exists() {
            continue; // this population recorded no spikes
        }
        let io_err = |path: &Path| {
            let path = path.to_path_buf();
            move |source| ReadError {
                path: path.display().to_string(),
                source,
            }
        };
        let senders = sim_core::npy::read_npy_u32(&senders_path).map_err(io_err(&senders_path))?;
        let times = sim_core::npy::read_npy_f64(&times_path).map_err(io_err(&times_path))?;
        if senders.len() != times.len() {
            return Err(bad(
                &times_path,
                format!(
                    "{} times for {} senders: the two files must have one entry per spike",
                    times.len(),
                    senders.len()
                ),
            ));
        }
        if let Some(s) = senders.iter().find(|&&s| s >= p.size) {
            return Err(bad(
                &senders_path,
                format!("sender {s}: must be < the population size {}", p.size),
            ));
        }
        if let Some(t) = times.iter().find(|t| !t.is_finite()) {
            return Err(bad(&times_path, format!("spike time {t}: must be finite")));
        }
        populations.push(PopulationSpikes {
            name: p.name,
            size: p.size,
            senders,
            times,
        });
    }
    if populations.is_empty() {
        return Err(bad(
            dir,
            "no population recorded spikes (POP.senders.npy and POP.times.npy)".into(),
        ));
    }
    Ok(RunSpikes {
        dir: dir.to_path_buf(),
        duration_ms: run.duration_ms,
        populations,
    })
}

/// One population's distributions.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PopulationStats {
    pub name: String,
    pub size: u32,
    /// Rate of every neuron (Hz).
    pub rates: Vec<f64>,
    /// ISI CV of every neuron with at least three spikes.
    pub cvs: Vec<f64>,
    /// Correlation coefficient of every pair of the subset whose two neurons spiked.
    pub ccs: Vec<f64>,
}

/// Mean and standard deviation (population SD), `None` for no values.
pub fn mean_sd(v: &[f64]) -> Option<(f64, f64)> {
    if v.is_empty() {
        return None;
    }
    let n = v.len() as f64;
    let mean = v.iter().sum::<f64>() / n;
    let var = v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n;
    Some((mean, var.sqrt()))
}

/// Spike times of each neuron within the window, ascending.
fn trains(p: &PopulationSpikes, w: &Window) -> Vec<Vec<f64>> {
    let mut trains = vec![Vec::new(); p.size as usize];
    for (&s, &t) in p.senders.iter().zip(&p.times) {
        if t >= w.from_ms && t < w.to_ms {
            trains[s as usize].push(t);
        }
    }
    for t in &mut trains {
        t.sort_by(f64::total_cmp);
    }
    trains
}

/// ISI coefficient of variation (SD over mean of the intervals), for three spikes or more.
pub fn isi_cv(train: &[f64]) -> Option<f64> {
    if train.len() < 3 {
        return None;
    }
    let isi: Vec<f64> = train.windows(2).map(|w| w[1] - w[0]).collect();
    let (mean, sd) = mean_sd(&isi)?;
    (mean > 0.0).then(|| sd / mean)
}

/// Pearson correlation coefficients of the spike counts in bins of `w.bin_ms` of every pair
/// of `trains` (upper triangle, row by row); pairs with a neuron of constant count are left out.
pub fn count_correlations(trains: &[Vec<f64>], w: &Window) -> Vec<f64> {
    let bins = ((w.to_ms - w.from_ms) / w.bin_ms).ceil().max(0.0) as usize;
    // Centred counts and their norms.
    let signals: Vec<Option<Vec<f64>>> = trains
        .iter()
        .map(|train| {
            let mut c = vec![0.0; bins];
            for &t in train {
                let b = ((t - w.from_ms) / w.bin_ms) as usize;
                c[b.min(bins - 1)] += 1.0;
            }
            let mean = c.iter().sum::<f64>() / bins as f64;
            c.iter_mut().for_each(|x| *x -= mean);
            let norm = c.iter().map(|x| x * x).sum::<f64>().sqrt();
            (norm > 0.0).then(|| c.into_iter().map(|x| x / norm).collect())
        })
        .collect();
    let mut ccs = Vec::new();
    for (a, sa) in signals.iter().enumerate() {
        for sb in &signals[a + 1..] {
            if let (Some(x), Some(y)) = (sa, sb) {
                ccs.push(x.iter().zip(y).map(|(p, q)| p * q).sum());
            }
        }
    }
    ccs
}

/// The three distributions of each population.
pub fn analyse(run: &RunSpikes, w: &Window) -> Vec<PopulationStats> {
    let seconds = (w.to_ms - w.from_ms) / 1000.0;
    run.populations
        .iter()
        .map(|p| {
            let trains = trains(p, w);
            let subset = &trains[..w.subsample.min(trains.len())];
            PopulationStats {
                name: p.name.clone(),
                size: p.size,
                rates: trains.iter().map(|t| t.len() as f64 / seconds).collect(),
                cvs: trains.iter().filter_map(|t| isi_cv(t)).collect(),
                ccs: count_correlations(subset, w),
            }
        })
        .collect()
}

/// The two-sample Kolmogorov–Smirnov distance: the largest difference between the empirical
/// distribution functions of `a` and `b` (`None` when either is empty or holds a NaN).
pub fn ks_distance(a: &[f64], b: &[f64]) -> Option<f64> {
    if a.is_empty() || b.is_empty() || a.iter().chain(b).any(|x| x.is_nan()) {
        return None;
    }
    let mut a = a.to_vec();
    let mut b = b.to_vec();
    a.sort_by(f64::total_cmp);
    b.sort_by(f64::total_cmp);
    let (na, nb) = (a.len() as f64, b.len() as f64);
    let (mut i, mut j, mut d) = (0usize, 0usize, 0.0f64);
    while i < a.len() && j < b.len() {
        // Step past every value equal to the smaller head in both samples, then compare.
        let x = a[i].min(b[j]);
        while i < a.len() && a[i] == x {
            i += 1;
        }
        while j < b.len() && b[j] == x {
            j += 1;
        }
        d = d.max((i as f64 / na - j as f64 / nb).abs());
    }
    Some(d)
}

/// The KS distances of rate, CV and correlation between the same-named populations of two
/// analyses: (population, [rate, cv, cc]).
pub fn ks_table(a: &[PopulationStats], b: &[PopulationStats]) -> Vec<(String, [Option<f64>; 3])> {
    a.iter()
        .filter_map(|pa| {
            let pb = b.iter().find(|pb| pb.name == pa.name)?;
            Some((
                pa.name.clone(),
                [
                    ks_distance(&pa.rates, &pb.rates),
                    ks_distance(&pa.cvs, &pb.cvs),
                    ks_distance(&pa.ccs, &pb.ccs),
                ],
            ))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ks_distance_is_the_largest_cdf_gap() {
        assert_eq!(ks_distance(&[1.0, 2.0, 3.0], &[1.0, 2.0, 3.0]), Some(0.0));
        assert_eq!(ks_distance(&[1.0, 2.0], &[3.0, 4.0]), Some(1.0));
        // Ties step both CDFs together: at 2, F_a = 3/4 and F_b = 1/3, the largest gap (5/12).
        let d = ks_distance(&[1.0, 2.0, 2.0, 5.0], &[2.0, 3.0, 4.0]).unwrap();
        assert!((d - 5.0 / 12.0).abs() < 1e-15, "{d}");
        assert_eq!(ks_distance(&[], &[1.0]), None);
        assert_eq!(ks_distance(&[f64::NAN], &[1.0]), None);
    }

    #[test]
    fn cv_and_correlation_follow_their_definitions() {
        // Regular train: CV 0; intervals 1, 3: mean 2, SD 1, CV 0.5.
        assert_eq!(isi_cv(&[0.0, 1.0, 2.0, 3.0]), Some(0.0));
        assert_eq!(isi_cv(&[0.0, 1.0, 4.0]), Some(0.5));
        assert_eq!(isi_cv(&[0.0, 1.0]), None);
        let w = Window {
            from_ms: 0.0,
            to_ms: 8.0,
            bin_ms: 2.0,
            subsample: 3,
        };
        // Counts per 2 ms bin: [1,0,1,0], [1,0,1,0] (same: 1), [0,1,0,1] (opposite: -1), and a
        // silent train (left out).
        let trains = vec![vec![0.5, 4.5], vec![1.0, 5.9], vec![2.0, 7.0], vec![]];
        let cc = count_correlations(&trains, &w);
        assert_eq!(cc.len(), 3);
        for (got, want) in cc.iter().zip([1.0, -1.0, -1.0]) {
            assert!((got - want).abs() < 1e-12, "{cc:?}");
        }
    }
}
