//! Broken routing tables on the emulated board: the packets they lose are counted and fail the
//! run, and hw_export's hop-by-hop verification flags the same tables.

use backends::spinnaker::fabric::DropReason;
use backends::spinnaker::Board;
use hw_export::machine::Machine;
use hw_export::RoutingTable;
use networks::ca3::{self, Ca3Size, Protocol};
use sim_core::{MemoryObserver, Step};

/// The E1-sized memory learning and recalling one pattern, spread over several chips (two
/// application cores per chip).
fn spread_board() -> (Board, Step) {
    let size = Ca3Size {
        cues: 5,
        content_bits: 10,
    };
    let mut p = Protocol::new(size, 10);
    p.learn(0, [0, 1, 8, 9]).unwrap();
    p.recall_by_cue(0).unwrap();
    p.recall_by_content([8]).unwrap();
    let (memory, steps) = ca3::prepare(size, p.schedule(), 0, 0).unwrap();
    let machine = Machine::spinn5().with_monitor_cores(16);
    (
        Board::new(&memory.network, &machine, "spinn5").unwrap(),
        steps,
    )
}

fn run(board: &mut Board, steps: Step) -> backends::spinnaker::report::RunReport {
    board
        .run_until(steps, &mut MemoryObserver::default())
        .unwrap();
    board.report()
}

#[test]
fn the_intact_tables_lose_nothing() {
    let (mut board, steps) = spread_board();
    assert!(board.mapping().ok());
    let r = run(&mut board, steps);
    assert!(r.ok);
    assert_eq!(r.packets.dropped, 0);
    assert_eq!(r.packets.unmatched, 0);
    assert!(r.packets.sent > 0);
}

/// Deleting the entry that carries the cue neurons' packets off their own chip: every spike
/// of CA3cueCueRecall is dropped at its source router.
#[test]
fn a_deleted_source_entry_drops_packets_and_fails_the_run() {
    let (mut board, steps) = spread_board();
    let m = board.mapping();
    let s = m.pop_slices(ca3::CUE_CUE).unwrap().start;
    let (key, _) = m.keys[s];
    let chip = m.placements[s].chip();
    let mut tables: Vec<RoutingTable> = m.compressed.clone();
    let t = tables.iter_mut().find(|t| (t.x, t.y) == chip).unwrap();
    let before = t.len();
    t.entries.retain(|e| !e.matches(key));
    assert!(t.len() < before, "the source chip routes the cue keys");
    assert!(
        !m.verify_tables(&tables).ok(),
        "verification flags the table"
    );
    board.set_tables(&tables);
    let r = run(&mut board, steps);
    eprint!("{}", r.summary());
    assert!(!r.ok);
    let cue_spikes = r.cores[s].spikes_sent;
    assert!(cue_spikes > 0);
    assert!(
        r.packets.dropped >= cue_spikes,
        "{} dropped",
        r.packets.dropped
    );
    let name = serde_json::to_value(DropReason::NoRouteAtSource).unwrap();
    assert_eq!(
        r.packets.dropped_by_reason[name.as_str().unwrap()],
        r.packets.dropped
    );
}

/// Sending a chip's traffic out of a wrong link: the copies go where no core expects them
/// (off the board, or into cores with no row for them), and the run reports it.
#[test]
fn a_misrouted_link_is_counted() {
    let (mut board, steps) = spread_board();
    let m = board.mapping();
    let mut tables: Vec<RoutingTable> = m.compressed.clone();
    // The first entry anywhere that sends over a link: turn its links round by three (opposite).
    let (ti, ei) = tables
        .iter()
        .enumerate()
        .find_map(|(i, t)| {
            t.entries
                .iter()
                .position(|e| e.route & 0x3f != 0)
                .map(|j| (i, j))
        })
        .expect("some entry uses a link");
    let e = &mut tables[ti].entries[ei];
    let links = e.route & 0x3f;
    let flipped = ((links << 3) | (links >> 3)) & 0x3f;
    e.route = (e.route & !0x3f) | flipped;
    assert!(!m.verify_tables(&tables).ok());
    board.set_tables(&tables);
    let r = run(&mut board, steps);
    eprint!("{}", r.summary());
    assert!(!r.ok);
    assert!(r.packets.dropped + r.packets.unmatched > 0);
}

/// Taking one target core out of a route loses nothing on the way, but the mapping expected the
/// packets there: the copies are counted as undelivered.
#[test]
fn a_core_missing_from_a_route_is_undelivered() {
    let (mut board, steps) = spread_board();
    let m = board.mapping();
    let mut tables: Vec<RoutingTable> = m.compressed.clone();
    let e = tables
        .iter_mut()
        .flat_map(|t| t.entries.iter_mut())
        .find(|e| e.route >> 6 != 0)
        .expect("some entry delivers to a core");
    let lowest_core = (e.route >> 6).trailing_zeros();
    e.route &= !(1 << (6 + lowest_core));
    assert!(!m.verify_tables(&tables).ok());
    board.set_tables(&tables);
    let r = run(&mut board, steps);
    eprint!("{}", r.summary());
    assert!(!r.ok);
    assert!(r.packets.undelivered > 0);
}
