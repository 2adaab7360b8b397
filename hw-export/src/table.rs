//! Routing entries and tables with the ternary helpers of spec §2.3.

/// Number of inter-chip links per router.
pub const N_LINKS: u32 = 6;
/// Route bits that are links (bits 0..5); bit `6 + p` is core `p`.
pub const LINK_BITS: u32 = 0x3f;
/// Largest legal route word (6 links + 18 cores).
pub const MAX_ROUTE: u32 = 0x00ff_ffff;

/// One multicast routing entry (SpiNNaker route bit numbering).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct RoutingEntry {
    pub key: u32,
    pub mask: u32,
    /// Bits 0-5 links, bit 6+p core p.
    pub route: u32,
    /// The entry may be left to default routing (one in-link, straight through, no cores).
    pub defaultable: bool,
    /// Where packets arrive from, same bit numbering as `route`; 0 = unknown.
    pub sources: u32,
}

impl RoutingEntry {
    pub fn new(key: u32, mask: u32, route: u32, defaultable: bool) -> Self {
        RoutingEntry {
            key,
            mask,
            route,
            defaultable,
            sources: 0,
        }
    }

    /// Does packet key `k` match this entry?
    #[inline]
    pub fn matches(&self, k: u32) -> bool {
        k & self.mask == self.key
    }

    /// Do the two ternary cubes share at least one key?
    #[inline]
    pub fn intersects(&self, other: &RoutingEntry) -> bool {
        intersects(self.key, self.mask, other.key, other.mask)
    }

    /// Is this entry safely defaultable: flagged, exactly one link and no core in the
    /// route, and (when the source is known) the in-link is opposite the out-link.
    /// Never true for an entry that delivers to a core, whatever the flag says.
    pub fn is_safely_defaultable(&self) -> bool {
        if !self.defaultable || self.route & !LINK_BITS != 0 || self.route.count_ones() != 1 {
            return false;
        }
        if self.sources == 0 {
            return true;
        }
        let out = self.route.trailing_zeros();
        self.sources.count_ones() == 1
            && self.sources & LINK_BITS != 0
            && (self.sources.trailing_zeros() + 3) % N_LINKS == out
    }

    /// Links in the route, lowest first.
    pub fn links(&self) -> impl Iterator<Item = u32> + '_ {
        (0..N_LINKS).filter(move |l| self.route >> l & 1 == 1)
    }

    /// Cores in the route, lowest first.
    pub fn cores(&self) -> impl Iterator<Item = u32> + '_ {
        (0..18).filter(move |p| self.route >> (N_LINKS + p) & 1 == 1)
    }
}

/// `(k1 & m2) == (k2 & m1)`.
#[inline]
pub fn intersects(k1: u32, m1: u32, k2: u32, m2: u32) -> bool {
    (k1 & m2) == (k2 & m1)
}

/// Smallest cube covering both: `mask = m1 & m2 & !(k1 ^ k2)`, `key = (k1 | k2) & mask`.
#[inline]
pub fn merge(k1: u32, m1: u32, k2: u32, m2: u32) -> (u32, u32) {
    let mask = m1 & m2 & !(k1 ^ k2);
    ((k1 | k2) & mask, mask)
}

/// Does cube (k1,m1) contain cube (k2,m2)?
#[inline]
pub fn covers(k1: u32, m1: u32, k2: u32, m2: u32) -> bool {
    m1 & !m2 == 0 && k2 & m1 == k1
}

/// One chip's table; order is hardware priority (first match wins).
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct RoutingTable {
    pub x: u32,
    pub y: u32,
    pub entries: Vec<RoutingEntry>,
}

impl RoutingTable {
    pub fn new(x: u32, y: u32, entries: Vec<RoutingEntry>) -> Self {
        RoutingTable { x, y, entries }
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// First matching entry for key `k` (hardware semantics).
    pub fn lookup(&self, k: u32) -> Option<&RoutingEntry> {
        self.entries.iter().find(|e| e.matches(k))
    }

    /// True when no key is matched by two entries.
    pub fn is_orthogonal(&self) -> bool {
        let e = &self.entries;
        (0..e.len()).all(|i| (i + 1..e.len()).all(|j| !e[i].intersects(&e[j])))
    }
}
