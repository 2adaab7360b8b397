//! PyNN connectors. Each turns (pre size, post size) into a synapse list with weights and delays.
//!
//! Randomness is drawn from streams keyed by (seed, projection, column): connectivity of post
//! neuron `j` (or of pre neuron `i` for `FixedNumberPost`) comes from its own stream, so the
//! network is the same whatever builds it, and columns can be built in parallel.

use std::sync::Arc;

use rand::seq::index::sample;
use rand::RngExt;
use rand_distr::{Binomial, Distribution as _, Hypergeometric};
use serde::{Deserialize, Serialize};
use sim_core::network::{bits_for, SynapseGenerator, SynapseList, ValueGrid, MAX_DELAY_STEPS};
use sim_core::rng::{self, Domain};
use sim_core::TimeGrid;

use crate::dist::Value;
use crate::params::ParamError;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", deny_unknown_fields)]
pub enum Connector {
    #[serde(rename = "AllToAllConnector", alias = "AllToAll")]
    AllToAll {
        #[serde(default = "yes")]
        allow_self_connections: bool,
    },
    #[serde(rename = "OneToOneConnector", alias = "OneToOne")]
    OneToOne,
    #[serde(rename = "FixedProbabilityConnector", alias = "FixedProbability")]
    FixedProbability {
        p_connect: f64,
        #[serde(default = "yes")]
        allow_self_connections: bool,
    },
    #[serde(rename = "FixedNumberPreConnector", alias = "FixedNumberPre")]
    FixedNumberPre {
        n: u32,
        #[serde(default = "yes")]
        allow_self_connections: bool,
        #[serde(default)]
        with_replacement: bool,
    },
    #[serde(rename = "FixedNumberPostConnector", alias = "FixedNumberPost")]
    FixedNumberPost {
        n: u32,
        #[serde(default = "yes")]
        allow_self_connections: bool,
        #[serde(default)]
        with_replacement: bool,
    },
    /// `n` synapses in total, spread over all (pre, post) pairs: each post neuron's in-degree is
    /// multinomial (with replacement: multapses allowed, NEST's `fixed_total_number` with
    /// `allow_multapses`) or multivariate hypergeometric (without: each pair at most once).
    #[serde(rename = "FixedTotalNumberConnector", alias = "FixedTotalNumber")]
    FixedTotalNumber {
        n: u64,
        #[serde(default = "yes")]
        allow_self_connections: bool,
        #[serde(default = "yes")]
        with_replacement: bool,
    },
    /// Rows `[pre, post]`, `[pre, post, weight]` or `[pre, post, weight, delay]`.
    #[serde(rename = "FromListConnector", alias = "FromList")]
    FromList { conn_list: Vec<Vec<f64>> },
    /// engram's extension (not in PyNN): pre and post are each split into `blocks` equal,
    /// contiguous blocks, and block b of pre connects to block b of post with probability
    /// `p_connect` per pair. With a post of `blocks` neurons it maps each group of pre neurons to
    /// one target (e.g. units to their astrocyte), and the other way round.
    #[serde(rename = "BlockConnector", alias = "Block")]
    Block {
        blocks: u32,
        #[serde(default = "one")]
        p_connect: f64,
        #[serde(default = "yes")]
        allow_self_connections: bool,
    },
}

fn one() -> f64 {
    1.0
}

fn yes() -> bool {
    true
}

/// Everything a connector needs besides its own parameters.
pub struct ConnectContext<'a> {
    pub n_pre: u32,
    pub n_post: u32,
    /// Pre and post are the same population (self-connections are then meaningful).
    pub same_population: bool,
    pub weight: &'a Value,
    /// Delay in ms.
    pub delay: &'a Value,
    pub grid: &'a TimeGrid,
    pub seed: u64,
    /// Index of the projection: keys its random streams.
    pub projection: u64,
    /// Store |w| (current-based inhibitory receptors take magnitudes).
    pub magnitude: bool,
}

/// Converts a delay in ms to steps: a constant must lie on the grid; a drawn delay is rounded to
/// the nearest step (the user asked for a continuous distribution), at least one step.
pub fn delay_steps(
    ms: f64,
    constant: bool,
    grid: &TimeGrid,
    what: &str,
) -> Result<u16, ParamError> {
    if !(ms.is_finite() && ms > 0.0) {
        return Err(ParamError::new(
            what,
            ms,
            format!("must be >= dt = {} ms", grid.dt_ms()),
        ));
    }
    let steps = if constant {
        grid.steps_bounded(ms, MAX_DELAY_STEPS)
            .map_err(|e| ParamError::new(what, ms, e.to_string()))?
    } else {
        ((ms / grid.dt_ms()).round().max(1.0)).min(MAX_DELAY_STEPS as f64) as u64
    };
    if steps == 0 {
        return Err(ParamError::new(
            what,
            ms,
            format!("must be >= dt = {} ms", grid.dt_ms()),
        ));
    }
    Ok(steps as u16)
}

/// Appends each index of `range` with probability `p` (ascending), by geometric skipping: work
/// proportional to the number chosen, not to the range.
fn bernoulli_run(r: &mut rng::StreamRng, p: f64, range: std::ops::Range<u32>, out: &mut Vec<u32>) {
    if p >= 1.0 {
        out.extend(range);
    } else if p > 0.0 {
        let log_q = (-p).ln_1p();
        let mut i: i64 = range.start as i64 - 1;
        loop {
            let u: f64 = 1.0 - r.random::<f64>();
            i += (u.ln() / log_q).floor() as i64 + 1;
            if i >= range.end as i64 {
                break;
            }
            out.push(i as u32);
        }
    }
}

/// Appends `k` of the `size` candidates of column `c` (with or without replacement), in the
/// order drawn; with `skip_self` candidate `c` itself is left out, by shifting the indices at or
/// above it.
fn draw_k(
    r: &mut rng::StreamRng,
    size: u32,
    c: u32,
    skip_self: bool,
    k: u32,
    with_replacement: bool,
    out: &mut Vec<u32>,
) {
    let pool = size - u32::from(skip_self);
    let map = |i: u32| if skip_self && i >= c { i + 1 } else { i };
    if with_replacement {
        for _ in 0..k {
            out.push(map(r.random_range(0..pool)));
        }
    } else {
        out.extend(
            sample(r, pool as usize, k as usize)
                .into_iter()
                .map(|i| map(i as u32)),
        );
    }
}

/// Sorts neuron indices below `bound` ascending: a least-significant-digit radix sort of
/// 11-bit digits (two passes for up to 2^22 neurons), several times faster than a comparison
/// sort on the thousands of indices of a column, which the build sorts once per synapse.
fn sort_indices(v: &mut [u32], bound: u32) {
    const DIGIT: u32 = 11;
    if v.len() < 256 {
        v.sort_unstable();
        return;
    }
    let bits = 32 - bound.leading_zeros();
    let passes = bits.div_ceil(DIGIT).max(1);
    let mut scratch = vec![0u32; v.len()];
    let (mut from, mut to) = (&mut *v, &mut scratch[..]);
    let mut count = [0usize; 1 << DIGIT];
    for pass in 0..passes {
        let shift = pass * DIGIT;
        let digit = |x: u32| ((x >> shift) & ((1 << DIGIT) - 1)) as usize;
        count.fill(0);
        for &x in from.iter() {
            count[digit(x)] += 1;
        }
        let mut at = 0;
        for c in count.iter_mut() {
            (*c, at) = (at, at + *c);
        }
        for &x in from.iter() {
            let d = digit(x);
            to[count[d]] = x;
            count[d] += 1;
        }
        std::mem::swap(&mut from, &mut to);
    }
    // After an odd number of passes the sorted indices are in the scratch.
    if passes % 2 == 1 {
        v.copy_from_slice(&scratch);
    }
}

impl Connector {
    /// Checks parameters that do not depend on population sizes.
    pub fn validate(&self) -> Result<(), ParamError> {
        match self {
            Connector::FixedProbability { p_connect, .. } | Connector::Block { p_connect, .. }
                if !(0.0..=1.0).contains(p_connect) =>
            {
                return Err(ParamError::new("p_connect", p_connect, "must be in [0, 1]"));
            }
            Connector::Block { blocks: 0, .. } => {
                return Err(ParamError::new("blocks", 0, "must be >= 1"));
            }
            Connector::FromList { conn_list } => {
                for (r, row) in conn_list.iter().enumerate() {
                    if !(2..=4).contains(&row.len()) {
                        return Err(ParamError::new(
                            &format!("conn_list[{r}]"),
                            format!("{row:?}"),
                            "rows are [pre, post], [pre, post, weight] or [pre, post, weight, delay]",
                        ));
                    }
                    for (c, &v) in row.iter().take(2).enumerate() {
                        if !(v >= 0.0 && v.fract() == 0.0 && v < u32::MAX as f64) {
                            return Err(ParamError::new(
                                &format!("conn_list[{r}][{c}]"),
                                v,
                                "must be a neuron index (integer >= 0)",
                            ));
                        }
                    }
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// The number of synapses this connector is expected to create (for checks before building).
    pub fn expected_synapses(&self, n_pre: u32, n_post: u32) -> f64 {
        let (a, b) = (n_pre as f64, n_post as f64);
        match self {
            Connector::AllToAll { .. } => a * b,
            Connector::OneToOne => a,
            Connector::FixedProbability { p_connect, .. } => a * b * p_connect,
            Connector::FixedNumberPre { n, .. } => *n as f64 * b,
            Connector::FixedNumberPost { n, .. } => *n as f64 * a,
            Connector::FixedTotalNumber { n, .. } => *n as f64,
            Connector::FromList { conn_list } => conn_list.len() as f64,
            Connector::Block {
                blocks, p_connect, ..
            } => a * b * p_connect / (*blocks).max(1) as f64,
        }
    }

    /// Builds the synapses.
    pub fn connect(&self, cx: &ConnectContext) -> Result<SynapseList, ParamError> {
        self.validate()?;
        cx.weight.validate("weight")?;
        cx.delay.validate("delay")?;
        let (dmin, _) = cx.delay.bounds();
        if cx.delay.is_constant() || dmin > 0.0 {
            // Catch a bad constant (or a bad lower bound) before drawing anything.
            delay_steps(dmin.max(1e-300), cx.delay.is_constant(), cx.grid, "delay")?;
        }
        let (n_pre, n_post) = (cx.n_pre, cx.n_post);
        let mut out = SynapseList::default();

        match self {
            Connector::FromList { conn_list } => {
                for (r, row) in conn_list.iter().enumerate() {
                    let (i, j) = (row[0] as u32, row[1] as u32);
                    if i >= n_pre || j >= n_post {
                        return Err(ParamError::new(
                            &format!("conn_list[{r}]"),
                            format!("[{i}, {j}]"),
                            format!("indices must be < pre size {n_pre} and post size {n_post}"),
                        ));
                    }
                    let mut vr =
                        rng::stream(cx.seed, Domain::Connect, 2 * cx.projection + 1, r as u64);
                    let w = match row.get(2) {
                        Some(&w) if w.is_finite() => w,
                        Some(&w) => {
                            return Err(ParamError::new(
                                &format!("conn_list[{r}][2]"),
                                w,
                                "weight must be finite",
                            ))
                        }
                        None => cx.weight.sample(&mut vr),
                    };
                    let d = match row.get(3) {
                        Some(&d) => delay_steps(d, true, cx.grid, &format!("conn_list[{r}][3]"))?,
                        None => delay_steps(
                            cx.delay.sample(&mut vr),
                            cx.delay.is_constant(),
                            cx.grid,
                            "delay",
                        )?,
                    };
                    out.push(i, j, if cx.magnitude { w.abs() } else { w }, d);
                }
                return Ok(out);
            }
            _ => self.check_sizes(n_pre, n_post, cx.same_population)?,
        }

        // Column-wise (or row-wise for FixedNumberPost) generation.
        let columns = if matches!(self, Connector::FixedNumberPost { .. }) {
            n_pre
        } else {
            n_post
        };
        let in_degrees = self.in_degrees(&cx.columns());
        let mut others: Vec<u32> = Vec::new();
        for c in 0..columns {
            others.clear();
            self.draw_column(&cx.columns(), in_degrees.as_deref(), c, true, &mut others);
            let mut vr = rng::stream(cx.seed, Domain::Connect, 2 * cx.projection + 1, c as u64);
            for &o in &others {
                let (i, j) = if matches!(self, Connector::FixedNumberPost { .. }) {
                    (c, o)
                } else {
                    (o, c)
                };
                let w = cx.weight.sample(&mut vr);
                let d = delay_steps(
                    cx.delay.sample(&mut vr),
                    cx.delay.is_constant(),
                    cx.grid,
                    "delay",
                )?;
                out.push(i, j, if cx.magnitude { w.abs() } else { w }, d);
            }
        }
        Ok(out)
    }

    /// Checks the connector against the population sizes.
    fn check_sizes(
        &self,
        n_pre: u32,
        n_post: u32,
        same_population: bool,
    ) -> Result<(), ParamError> {
        match self {
            Connector::Block { blocks, .. }
                if !n_pre.is_multiple_of(*blocks) || !n_post.is_multiple_of(*blocks) =>
            {
                Err(ParamError::new(
                    "BlockConnector",
                    format!("{n_pre} -> {n_post} in {blocks} blocks"),
                    "needs pre and post sizes that are multiples of blocks",
                ))
            }
            Connector::OneToOne if n_pre != n_post => Err(ParamError::new(
                "OneToOneConnector",
                format!("{n_pre} -> {n_post}"),
                "needs pre and post of equal size",
            )),
            Connector::FixedNumberPre {
                n,
                allow_self_connections,
                with_replacement,
            } => {
                let avail = n_pre - u32::from(!allow_self_connections && same_population);
                if !with_replacement && *n > avail {
                    return Err(ParamError::new(
                        "n",
                        n,
                        format!("must be <= {avail} (pre candidates) without replacement"),
                    ));
                }
                Ok(())
            }
            Connector::FixedNumberPost {
                n,
                allow_self_connections,
                with_replacement,
            } => {
                let avail = n_post - u32::from(!allow_self_connections && same_population);
                if !with_replacement && *n > avail {
                    return Err(ParamError::new(
                        "n",
                        n,
                        format!("must be <= {avail} (post candidates) without replacement"),
                    ));
                }
                Ok(())
            }
            Connector::FixedTotalNumber {
                n,
                allow_self_connections,
                with_replacement,
            } => {
                let pool = n_pre - u32::from(!allow_self_connections && same_population);
                let pairs = pool as u64 * n_post as u64;
                if *n > 0 && pairs == 0 {
                    return Err(ParamError::new(
                        "n",
                        n,
                        format!("must be 0: there are no (pre, post) pairs in {n_pre} -> {n_post}"),
                    ));
                }
                if !with_replacement && *n > pairs {
                    return Err(ParamError::new(
                        "n",
                        n,
                        format!("must be <= {pairs} (pre, post) pairs without replacement"),
                    ));
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }

    /// The in-degree of every post neuron of a `FixedTotalNumber` connector (`None` for the
    /// others), drawn once from the projection's own stream: with replacement each of the `n`
    /// synapses picks its post neuron uniformly (a multinomial, drawn as a chain of binomials),
    /// without replacement each of the pairs is taken at most once (a multivariate
    /// hypergeometric, drawn as a chain of hypergeometrics). Columns then draw their pre
    /// neurons from their own streams, so the network does not depend on who builds it.
    fn in_degrees(&self, cx: &Columns) -> Option<Arc<[u32]>> {
        let Connector::FixedTotalNumber {
            n,
            allow_self_connections,
            with_replacement,
        } = *self
        else {
            return None;
        };
        let pool = (cx.n_pre - u32::from(!allow_self_connections && cx.same_population)) as u64;
        // Column streams are keyed by indices below 2^32; this one sits above them.
        let mut r = rng::stream(cx.seed, Domain::Connect, 2 * cx.projection, u64::MAX);
        let mut remaining = n;
        let mut degrees = Vec::with_capacity(cx.n_post as usize);
        for j in 0..cx.n_post as u64 {
            let columns_left = cx.n_post as u64 - j;
            let k = if remaining == 0 {
                0
            } else if columns_left == 1 {
                remaining
            } else if with_replacement {
                Binomial::new(remaining, 1.0 / columns_left as f64)
                    .expect("0 < p <= 1")
                    .sample(&mut r)
            } else {
                Hypergeometric::new(pool * columns_left, pool, remaining)
                    .expect("checked: n <= pairs")
                    .sample(&mut r)
            };
            remaining -= k;
            degrees.push(u32::try_from(k).expect("an in-degree fits u32"));
        }
        Some(degrees.into())
    }

    /// The other ends of column `c` — the pre neurons of post neuron `c`, or for
    /// `FixedNumberPost` the post neurons of pre neuron `c` — ascending, from the column's own
    /// random stream; in the order drawn unless `ascending` (the same multiset: counting needs no
    /// order). `in_degrees` is [`Connector::in_degrees`] of the same columns.
    fn draw_column(
        &self,
        cx: &Columns,
        in_degrees: Option<&[u32]>,
        c: u32,
        ascending: bool,
        others: &mut Vec<u32>,
    ) {
        let (n_pre, n_post) = (cx.n_pre, cx.n_post);
        let no_self = |allow: bool, i: u32, j: u32| !allow && cx.same_population && i == j;
        let mut cr = rng::stream(cx.seed, Domain::Connect, 2 * cx.projection, c as u64);
        let first = others.len();
        {
            match *self {
                Connector::AllToAll {
                    allow_self_connections,
                } => others.extend((0..n_pre).filter(|&i| !no_self(allow_self_connections, i, c))),
                Connector::OneToOne => others.push(c),
                Connector::FixedProbability {
                    p_connect,
                    allow_self_connections,
                } => {
                    bernoulli_run(&mut cr, p_connect, 0..n_pre, others);
                    others.retain(|&i| !no_self(allow_self_connections, i, c));
                }
                Connector::Block {
                    blocks,
                    p_connect,
                    allow_self_connections,
                } => {
                    let (per_pre, per_post) = (n_pre / blocks, n_post / blocks);
                    let first = c / per_post * per_pre;
                    bernoulli_run(&mut cr, p_connect, first..first + per_pre, others);
                    others.retain(|&i| !no_self(allow_self_connections, i, c));
                }
                Connector::FixedNumberPre {
                    n,
                    allow_self_connections,
                    with_replacement,
                }
                | Connector::FixedNumberPost {
                    n,
                    allow_self_connections,
                    with_replacement,
                } => {
                    let size = if matches!(self, Connector::FixedNumberPost { .. }) {
                        n_post
                    } else {
                        n_pre
                    };
                    let skip_self = !allow_self_connections && cx.same_population;
                    draw_k(&mut cr, size, c, skip_self, n, with_replacement, others);
                }
                Connector::FixedTotalNumber {
                    allow_self_connections,
                    with_replacement,
                    ..
                } => {
                    let k = in_degrees.expect("FixedTotalNumber has in-degrees")[c as usize];
                    let skip_self = !allow_self_connections && cx.same_population;
                    draw_k(&mut cr, n_pre, c, skip_self, k, with_replacement, others);
                }
                Connector::FromList { .. } => unreachable!("FromList has no columns"),
            }
        }
        let drawn_unordered = matches!(
            self,
            Connector::FixedNumberPre { .. }
                | Connector::FixedNumberPost { .. }
                | Connector::FixedTotalNumber { .. }
        );
        if ascending && drawn_unordered {
            let max = if matches!(self, Connector::FixedNumberPost { .. }) {
                n_post
            } else {
                n_pre
            };
            sort_indices(&mut others[first..], max);
        }
    }

    /// Whether [`Connector::generator`] gives a generator for this weight and delay: a
    /// connector that draws its synapses per post neuron, and constants or drawn values of a
    /// finite practical range (delays above 0).
    pub fn has_generator(&self, weight: &Value, delay: &Value) -> bool {
        let (w_lo, w_hi) = weight.practical_bounds();
        let (d_lo, d_hi) = delay.practical_bounds();
        let values = (weight.is_constant() && delay.is_constant())
            || (w_lo.is_finite() && w_hi.is_finite() && d_lo > 0.0 && d_hi.is_finite());
        values
            && !matches!(
                self,
                Connector::FixedNumberPost { .. } | Connector::FromList { .. }
            )
    }

    /// The synapses as a [`SynapseGenerator`] (the same synapses as [`Connector::connect`], in
    /// the same order), when this connector draws them per post neuron; `None` otherwise (use
    /// `connect`). Constant weights and delays are shared; drawn ones are drawn as `connect`
    /// draws them and then put on a [`ValueGrid`] (weights rounded to one of 2^b evenly spaced
    /// values across their practical range, b = 32 − target bits − delay bits; values beyond
    /// [`Value::practical_bounds`] clamped), so that the engine stores each synapse in 32 bits.
    pub fn generator(&self, cx: &ConnectContext) -> Result<Option<ConnectorColumns>, ParamError> {
        self.validate()?;
        if !self.has_generator(cx.weight, cx.delay) {
            return Ok(None);
        }
        cx.weight.validate("weight")?;
        cx.delay.validate("delay")?;
        self.check_sizes(cx.n_pre, cx.n_post, cx.same_population)?;
        let values = if let (Value::Constant(w), Value::Constant(d)) = (cx.weight, cx.delay) {
            let delay = delay_steps(*d, true, cx.grid, "delay")?;
            ColumnValues::Shared {
                weight: if cx.magnitude { w.abs() } else { *w },
                delay,
            }
        } else {
            let Some(drawn) = DrawnValues::new(cx)? else {
                return Ok(None);
            };
            ColumnValues::Drawn(drawn)
        };
        Ok(Some(ConnectorColumns {
            in_degrees: self.in_degrees(&cx.columns()),
            connector: self.clone(),
            columns: cx.columns(),
            values,
        }))
    }
}

/// The weights and delays of a generated projection.
#[derive(Debug, Clone)]
enum ColumnValues {
    Shared { weight: f64, delay: u16 },
    Drawn(DrawnValues),
}

/// Per-synapse weights and delays, drawn per column as [`Connector::connect`] draws them and
/// put on a grid.
#[derive(Debug, Clone)]
struct DrawnValues {
    weight: Value,
    delay: Value,
    dt_ms: f64,
    magnitude: bool,
    /// The practical ranges (ms for delays) values are clamped to.
    weight_range: (f64, f64),
    delay_range: (f64, f64),
    /// The raw weight grid (before magnitudes): `low + k · step`.
    step: f64,
    grid: ValueGrid,
}

impl DrawnValues {
    /// `None` when the values do not fit a grid (a magnitude of a range around 0, or too few
    /// bits left for the weight).
    fn new(cx: &ConnectContext) -> Result<Option<Self>, ParamError> {
        let (w_lo, w_hi) = cx.weight.practical_bounds();
        let (d_lo, d_hi) = cx.delay.practical_bounds();
        if cx.magnitude && w_lo < 0.0 && w_hi > 0.0 {
            return Ok(None);
        }
        let delay_min = delay_steps(d_lo, cx.delay.is_constant(), cx.grid, "delay")?;
        let delay_max = delay_steps(d_hi, cx.delay.is_constant(), cx.grid, "delay")?;
        let target_bits = bits_for(cx.n_post.saturating_sub(1));
        let delay_bits = bits_for(u32::from(delay_max - delay_min));
        let weight_bits = 32u32.saturating_sub(target_bits + delay_bits).min(24);
        if weight_bits < MIN_WEIGHT_BITS {
            return Ok(None);
        }
        let levels = ((1u64 << weight_bits) - 1) as f64;
        let step = if w_hi > w_lo {
            (w_hi - w_lo) / levels
        } else {
            1.0
        };
        // Magnitudes of a range at or below 0: |low + k·step| = −low + k·(−step), exactly.
        let (origin, signed_step) = if cx.magnitude && w_hi <= 0.0 {
            (-w_lo, -step)
        } else {
            (w_lo, step)
        };
        Ok(Some(DrawnValues {
            weight: cx.weight.clone(),
            delay: cx.delay.clone(),
            dt_ms: cx.grid.dt_ms(),
            magnitude: cx.magnitude,
            weight_range: (w_lo, w_hi),
            delay_range: (d_lo, d_hi),
            step,
            grid: ValueGrid {
                weight_origin: origin,
                weight_step: signed_step,
                weight_bits,
                delay_min,
                delay_max,
            },
        }))
    }

    /// The weights and delays of column `c`'s `n` synapses.
    fn column(&self, cx: &Columns, c: u32, n: usize, weight: &mut Vec<f64>, delay: &mut Vec<u16>) {
        let mut vr = rng::stream(cx.seed, Domain::Connect, 2 * cx.projection + 1, c as u64);
        let (w_lo, w_hi) = self.weight_range;
        let (d_lo, d_hi) = self.delay_range;
        for _ in 0..n {
            let w = self.weight.sample(&mut vr).clamp(w_lo, w_hi);
            let d = self.delay.sample(&mut vr).clamp(d_lo, d_hi);
            let k = ((w - w_lo) / self.step).round() as u32;
            debug_assert!(!self.magnitude || self.grid.weight(k) >= 0.0);
            weight.push(self.grid.weight(k));
            let steps = ((d / self.dt_ms).round().max(1.0)).min(MAX_DELAY_STEPS as f64) as u16;
            delay.push(steps.clamp(self.grid.delay_min, self.grid.delay_max));
        }
    }
}

/// Fewer bits than this for the weight code and a projection keeps a held list.
const MIN_WEIGHT_BITS: u32 = 8;

/// What a column draw needs of a [`ConnectContext`].
#[derive(Debug, Clone, Copy)]
struct Columns {
    n_pre: u32,
    n_post: u32,
    same_population: bool,
    seed: u64,
    projection: u64,
}

impl ConnectContext<'_> {
    fn columns(&self) -> Columns {
        Columns {
            n_pre: self.n_pre,
            n_post: self.n_post,
            same_population: self.same_population,
            seed: self.seed,
            projection: self.projection,
        }
    }
}

/// A column-wise connector generating its synapses on demand ([`Connector::generator`]).
#[derive(Debug, Clone)]
pub struct ConnectorColumns {
    connector: Connector,
    in_degrees: Option<Arc<[u32]>>,
    columns: Columns,
    values: ColumnValues,
}

impl ConnectorColumns {
    /// Appends the pre neurons of column `j` to `pre` (ascending if asked).
    fn append_column(&self, j: u32, ascending: bool, pre: &mut Vec<u32>) {
        let start = pre.len();
        let mut col = std::mem::take(pre);
        let mut others = col.split_off(start);
        (self.connector).draw_column(
            &self.columns,
            self.in_degrees.as_deref(),
            j,
            ascending,
            &mut others,
        );
        col.append(&mut others);
        *pre = col;
    }
}

impl SynapseGenerator for ConnectorColumns {
    fn n_pre(&self) -> u32 {
        self.columns.n_pre
    }
    fn n_post(&self) -> u32 {
        self.columns.n_post
    }
    fn column(&self, j: u32, pre: &mut Vec<u32>) {
        self.append_column(j, true, pre);
    }
    fn column_unordered(&self, j: u32, pre: &mut Vec<u32>) {
        self.append_column(j, false, pre);
    }
    fn weight(&self) -> f64 {
        match &self.values {
            ColumnValues::Shared { weight, .. } => *weight,
            ColumnValues::Drawn(d) => d.grid.weight(0),
        }
    }
    fn delay(&self) -> u16 {
        match &self.values {
            ColumnValues::Shared { delay, .. } => *delay,
            ColumnValues::Drawn(d) => d.grid.delay_min,
        }
    }
    fn value_grid(&self) -> Option<ValueGrid> {
        match &self.values {
            ColumnValues::Shared { .. } => None,
            ColumnValues::Drawn(d) => Some(d.grid),
        }
    }
    fn column_values(&self, j: u32, n: usize, weight: &mut Vec<f64>, delay: &mut Vec<u16>) {
        match &self.values {
            ColumnValues::Shared {
                weight: w,
                delay: d,
            } => {
                weight.extend(std::iter::repeat_n(*w, n));
                delay.extend(std::iter::repeat_n(*d, n));
            }
            ColumnValues::Drawn(d) => d.column(&self.columns, j, n, weight, delay),
        }
    }
    fn expected_column_len(&self, j: u32) -> f64 {
        if let Some(degrees) = &self.in_degrees {
            return degrees[j as usize] as f64;
        }
        self.connector
            .expected_synapses(self.columns.n_pre, self.columns.n_post)
            / self.columns.n_post.max(1) as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sort_indices_sorts_as_a_comparison_sort_does() {
        let mut r = rng::stream(7, Domain::Connect, 0, 0);
        for (len, bound) in [
            (10, 5),
            (300, 2),
            (4000, 21_000),
            (5000, 1 << 23),
            (700, u32::MAX),
        ] {
            let v: Vec<u32> = (0..len).map(|_| r.random_range(0..bound)).collect();
            let mut expected = v.clone();
            expected.sort_unstable();
            let mut got = v;
            sort_indices(&mut got, bound);
            assert_eq!(got, expected, "{len} indices below {bound}");
        }
    }
}
