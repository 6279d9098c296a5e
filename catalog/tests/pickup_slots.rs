//! `pickup_slots`: on the local grid, open, after the lead time, across midnight and DST;
//! and every slot offered is one `price` accepts.

mod common;

use catalog::pricing::{pickup_slots, slot_aligned, MAX_PICKUP_HORIZON_HOURS};
use catalog::{price, Cart, Location, Pickup, SoldOut, TimeRange, Window};
use chrono::{DateTime, Duration, TimeZone, Utc, Weekday};
use chrono_tz::Tz;
use common::*;
use proptest::prelude::*;

fn at(tz: Tz, y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    tz.with_ymd_and_hms(y, mo, d, h, mi, 0)
        .earliest()
        .expect("a local time that exists")
        .with_timezone(&Utc)
}

fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, 0)
        .single()
        .expect("valid")
}

fn shop(hours: Vec<Window>, slot_minutes: u32, lead_minutes: u32) -> Location {
    Location {
        hours,
        pickup: Some(Pickup {
            slot_minutes,
            capacity: 4,
            lead_minutes,
            days_ahead: 30,
        }),
        ..location("late")
    }
}

fn always() -> Window {
    Window::default()
}

/// Local wall-clock `HH:MM` of each slot.
fn clock(slots: &[DateTime<Utc>], tz: Tz) -> Vec<String> {
    slots
        .iter()
        .map(|s| s.with_timezone(&tz).format("%H:%M").to_string())
        .collect()
}

#[test]
fn slots_start_after_the_lead_time_on_the_grid() {
    // central: 15-minute slots, 20 minutes lead. At 12:00 the earliest is 12:20, so
    // the first slot is 12:30; two hours ahead ends at 14:00 (included).
    let site = site();
    let central = site.location("central").expect("central");
    let slots = pickup_slots(central, lunch(), 2, TZ);
    assert_eq!(
        clock(&slots, TZ),
        ["12:30", "12:45", "13:00", "13:15", "13:30", "13:45", "14:00"]
    );
    // Exactly on a boundary: at 12:10 the earliest is 12:30, which is offered.
    let slots = pickup_slots(central, local(2026, 3, 4, 12, 10), 1, TZ);
    assert_eq!(clock(&slots, TZ), ["12:30", "12:45", "13:00"]);
    // Seconds into a minute push the first slot to the next boundary.
    let slots = pickup_slots(
        central,
        local(2026, 3, 4, 12, 10) + Duration::seconds(1),
        1,
        TZ,
    );
    assert_eq!(clock(&slots, TZ), ["12:45", "13:00"]);
}

#[test]
fn slots_skip_closed_hours() {
    // Open 07:00–22:00. At 21:00 (+20 lead) for 12 hours: 21:30, 21:45, then the
    // next morning 07:00 to 09:00.
    let site = site();
    let central = site.location("central").expect("central");
    let now = local(2026, 3, 4, 21, 0);
    let slots = pickup_slots(central, now, 12, TZ);
    assert_eq!(
        clock(&slots, TZ),
        [
            "21:30", "21:45", "07:00", "07:15", "07:30", "07:45", "08:00", "08:15", "08:30",
            "08:45", "09:00"
        ]
    );
    assert_eq!(slots[2], local(2026, 3, 5, 7, 0));
}

#[test]
fn slots_run_across_midnight_on_the_local_grid() {
    // A late shop open 18:00–02:00 with 25-minute slots: the grid restarts at local
    // midnight (1440 is not a multiple of 25), so after 23:45 comes 00:00, not 00:10.
    let late = shop(vec![daily(hm(18, 0), hm(2, 0))], 25, 0);
    let now = local(2026, 3, 4, 23, 0);
    let slots = pickup_slots(&late, now, 4, TZ);
    assert_eq!(
        clock(&slots, TZ),
        ["23:20", "23:45", "00:00", "00:25", "00:50", "01:15", "01:40"]
    );
    for slot in &slots {
        assert!(slot_aligned(*slot, 25, TZ), "{slot}");
    }
}

#[test]
fn a_friday_night_window_runs_into_saturday_only() {
    // Open Fridays 18:00–02:00. 6 March 2026 is a Friday.
    let friday_night = Window {
        days: vec![Weekday::Fri],
        hours: vec![TimeRange {
            from: hm(18, 0),
            until: hm(2, 0),
        }],
    };
    let late = shop(vec![friday_night], 60, 0);
    // From Thursday 23:30 for 30 hours (until Saturday 05:30): Friday 00:00 and 01:00
    // belong to Thursday night, which is closed; Saturday 00:00 and 01:00 are open.
    let slots = pickup_slots(&late, local(2026, 3, 5, 23, 30), 30, TZ);
    assert_eq!(
        slots,
        vec![
            local(2026, 3, 6, 18, 0),
            local(2026, 3, 6, 19, 0),
            local(2026, 3, 6, 20, 0),
            local(2026, 3, 6, 21, 0),
            local(2026, 3, 6, 22, 0),
            local(2026, 3, 6, 23, 0),
            local(2026, 3, 7, 0, 0),
            local(2026, 3, 7, 1, 0),
        ]
    );
}

#[test]
fn slots_follow_the_local_clock_when_dst_starts() {
    // Berlin, Sunday 29 March 2026: 02:00 CET jumps to 03:00 CEST. 90-minute slots
    // sit on 00:00, 01:30, 03:00, 04:30, 06:00 local, whatever the offset.
    let berlin = chrono_tz::Europe::Berlin;
    let open = shop(vec![always()], 90, 0);
    let now = at(berlin, 2026, 3, 29, 0, 0);
    let slots = pickup_slots(&open, now, 6, berlin);
    assert_eq!(
        slots,
        vec![
            utc(2026, 3, 28, 23, 0), // 00:00 CET
            utc(2026, 3, 29, 0, 30), // 01:30 CET
            utc(2026, 3, 29, 1, 0),  // 03:00 CEST, 30 minutes later in real time
            utc(2026, 3, 29, 2, 30), // 04:30 CEST
            utc(2026, 3, 29, 4, 0),  // 06:00 CEST
        ]
    );
    assert_eq!(
        clock(&slots, berlin),
        ["00:00", "01:30", "03:00", "04:30", "06:00"]
    );
    // 30-minute slots: 02:00 and 02:30 do not exist that night and are not offered.
    let half_hours = pickup_slots(&shop(vec![always()], 30, 0), now, 3, berlin);
    assert_eq!(
        clock(&half_hours, berlin),
        ["00:00", "00:30", "01:00", "01:30", "03:00", "03:30", "04:00"]
    );
}

#[test]
fn slots_follow_the_local_clock_when_dst_ends() {
    // Berlin, Sunday 25 October 2026: 03:00 CEST goes back to 02:00 CET, so 02:00 and
    // 02:30 happen twice; both instants are real slots, 30 minutes apart.
    let berlin = chrono_tz::Europe::Berlin;
    let open = shop(vec![always()], 30, 0);
    let now = utc(2026, 10, 24, 23, 0); // 01:00 CEST
    let slots = pickup_slots(&open, now, 3, berlin);
    assert_eq!(
        slots,
        (0..7)
            .map(|i| now + Duration::minutes(30 * i))
            .collect::<Vec<_>>()
    );
    assert_eq!(
        clock(&slots, berlin),
        ["01:00", "01:30", "02:00", "02:30", "02:00", "02:30", "03:00"]
    );
}

#[test]
fn slots_in_summer_time_are_on_local_hours() {
    // Berlin lunch in July (UTC+2): hourly slots from 11:00 to 14:00 local.
    let berlin = chrono_tz::Europe::Berlin;
    let lunch_shop = shop(vec![daily(hm(11, 0), hm(14, 30))], 60, 30);
    let now = at(berlin, 2026, 7, 1, 10, 15);
    let slots = pickup_slots(&lunch_shop, now, 8, berlin);
    assert_eq!(clock(&slots, berlin), ["11:00", "12:00", "13:00", "14:00"]);
    assert_eq!(slots[0], utc(2026, 7, 1, 9, 0));
}

#[test]
fn no_pickup_no_slots() {
    let site = site();
    let bar = site.location("bar").expect("bar");
    assert!(pickup_slots(bar, lunch(), 24, TZ).is_empty());
    let zero = shop(vec![always()], 0, 0);
    assert!(pickup_slots(&zero, lunch(), 24, TZ).is_empty());
}

#[test]
fn the_horizon_is_capped() {
    let open = shop(vec![always()], 60, 0);
    let slots = pickup_slots(&open, lunch(), u32::MAX, TZ);
    assert_eq!(slots.len(), MAX_PICKUP_HORIZON_HOURS as usize + 1);
    assert_eq!(
        slots.last().copied(),
        Some(lunch() + Duration::hours(i64::from(MAX_PICKUP_HORIZON_HOURS)))
    );
    // Near the end of time there is nothing to offer, and no panic.
    let end_of_time = DateTime::<Utc>::MAX_UTC - Duration::hours(1);
    assert!(pickup_slots(&open, end_of_time, 24, TZ).is_empty());
}

fn zone() -> impl Strategy<Value = Tz> {
    prop::sample::select(vec![
        chrono_tz::Asia::Shanghai,
        chrono_tz::Europe::Berlin,
        chrono_tz::America::New_York,
        // DST moves the clock by 30 minutes here.
        chrono_tz::Australia::Lord_Howe,
        chrono_tz::Asia::Kolkata,
        chrono_tz::Asia::Kathmandu,
    ])
}

fn window() -> impl Strategy<Value = Window> {
    (
        0u32..24 * 60,
        0u32..24 * 60,
        prop::collection::vec(0u8..7, 0..3),
    )
        .prop_map(|(from, until, days)| Window {
            days: days
                .into_iter()
                .map(|d| Weekday::try_from(d).expect("0..7"))
                .collect(),
            hours: vec![TimeRange {
                from: hm(from / 60, from % 60),
                until: hm(until / 60, until % 60),
            }],
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    /// Every slot is aligned, open, after the lead time and within the horizon; every
    /// such minute is offered; and `price` takes each one.
    #[test]
    fn slots_are_exactly_the_open_aligned_minutes(
        tz in zone(),
        // 2020..2030, any second of it.
        now_secs in 1_577_836_800i64..1_893_456_000,
        slot_minutes in prop::sample::select(vec![5u32, 10, 15, 20, 25, 30, 45, 60, 90, 120, 7]),
        lead_minutes in 0u32..180,
        horizon in 0u32..36,
        hours in prop::collection::vec(window(), 1..3),
    ) {
        let now = DateTime::from_timestamp(now_secs, 0).expect("in range");
        let location = Location { id: "kiosk".into(), menu: "main".into(), ..shop(hours, slot_minutes, lead_minutes) };
        let slots = pickup_slots(&location, now, horizon, tz);
        let earliest = now + Duration::minutes(i64::from(lead_minutes));
        let end = now + Duration::hours(i64::from(horizon));
        prop_assert!(slots.windows(2).all(|w| w[0] < w[1]), "sorted, no duplicates");
        for slot in &slots {
            prop_assert!(*slot >= earliest && *slot <= end);
            prop_assert!(slot_aligned(*slot, slot_minutes, tz));
            prop_assert!(location.is_open(*slot, tz));
        }
        // Completeness: walk every whole minute in range.
        let first_minute = DateTime::from_timestamp((earliest.timestamp() + 59).div_euclid(60) * 60, 0)
            .expect("in range");
        let mut expected = Vec::new();
        let mut t = first_minute;
        while t <= end {
            if slot_aligned(t, slot_minutes, tz) && location.is_open(t, tz) {
                expected.push(t);
            }
            t += Duration::minutes(1);
        }
        prop_assert_eq!(&slots, &expected);
        // The API accepts every slot the storefront offers.
        let mut site = site();
        site.settings.timezone = tz;
        site.locations = vec![location];
        for slot in slots.iter().take(5) {
            let cart = Cart { location: "kiosk".into(), fulfilment: pickup(*slot), ..cart(vec![line("tea", 1)]) };
            prop_assert!(price(&site, &SoldOut::default(), &cart, now).is_ok(), "slot {}", slot);
        }
    }
}
