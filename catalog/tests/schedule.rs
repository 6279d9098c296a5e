//! Opening windows: days, ranges past midnight, the site timezone.

use catalog::{TimeRange, Window};
use chrono::{DateTime, NaiveTime, TimeZone, Utc, Weekday};
use chrono_tz::Tz;

const SHANGHAI: Tz = chrono_tz::Asia::Shanghai;

fn hm(h: u32, m: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(h, m, 0).expect("valid time")
}

/// 2026-03-02 is a Monday; day 6 is Friday, 7 Saturday.
fn march(day: u32, h: u32, m: u32) -> DateTime<Utc> {
    SHANGHAI
        .with_ymd_and_hms(2026, 3, day, h, m, 0)
        .single()
        .expect("exists")
        .with_timezone(&Utc)
}

fn window(days: Vec<Weekday>, from: NaiveTime, until: NaiveTime) -> Window {
    Window {
        days,
        hours: vec![TimeRange { from, until }],
    }
}

#[test]
fn a_night_past_midnight_belongs_to_the_day_it_starts() {
    let friday_night = window(vec![Weekday::Fri], hm(22, 0), hm(2, 0));
    let open = |d, h, m| friday_night.is_open(march(d, h, m), SHANGHAI);
    assert!(open(6, 22, 0), "Friday 22:00");
    assert!(open(6, 23, 59), "Friday 23:59");
    assert!(open(7, 0, 0), "Saturday 00:00 is still Friday night");
    assert!(open(7, 1, 59), "Saturday 01:59 is still Friday night");
    assert!(!open(7, 2, 0), "Saturday 02:00 closes");
    assert!(!open(6, 1, 0), "Friday 01:00 is Thursday night");
    assert!(!open(7, 22, 0), "Saturday 22:00");
    assert!(!open(6, 21, 59), "Friday 21:59");
}

#[test]
fn a_night_starting_sunday_runs_into_monday() {
    let sunday_night = window(vec![Weekday::Sun], hm(20, 0), hm(1, 0));
    // 8 March is a Sunday and 9 a Monday; 1 March was the Sunday before.
    assert!(sunday_night.is_open(march(8, 20, 0), SHANGHAI));
    assert!(sunday_night.is_open(march(9, 0, 30), SHANGHAI));
    assert!(!sunday_night.is_open(march(9, 1, 0), SHANGHAI));
    assert!(
        sunday_night.is_open(march(2, 0, 30), SHANGHAI),
        "end of 1 March's night"
    );
    assert!(
        !sunday_night.is_open(march(8, 0, 30), SHANGHAI),
        "Saturday night"
    );
}

#[test]
fn same_day_ranges_and_whole_days() {
    let weekday_lunch = Window {
        days: vec![
            Weekday::Mon,
            Weekday::Tue,
            Weekday::Wed,
            Weekday::Thu,
            Weekday::Fri,
        ],
        hours: vec![
            TimeRange {
                from: hm(11, 0),
                until: hm(14, 0),
            },
            TimeRange {
                from: hm(17, 0),
                until: hm(21, 0),
            },
        ],
    };
    assert!(weekday_lunch.is_open(march(6, 11, 0), SHANGHAI));
    assert!(!weekday_lunch.is_open(march(6, 14, 0), SHANGHAI));
    assert!(!weekday_lunch.is_open(march(6, 15, 0), SHANGHAI));
    assert!(weekday_lunch.is_open(march(6, 20, 59), SHANGHAI));
    assert!(
        !weekday_lunch.is_open(march(7, 12, 0), SHANGHAI),
        "Saturday"
    );
    let saturdays = Window {
        days: vec![Weekday::Sat],
        hours: vec![],
    };
    assert!(saturdays.is_open(march(7, 0, 0), SHANGHAI));
    assert!(saturdays.is_open(march(7, 23, 59), SHANGHAI));
    assert!(!saturdays.is_open(march(6, 23, 59), SHANGHAI));
    assert!(Window::default().is_open(march(6, 3, 0), SHANGHAI));
}

#[test]
fn a_range_from_a_time_to_itself_is_a_whole_day_from_that_time() {
    let from_ten = window(vec![Weekday::Mon], hm(10, 0), hm(10, 0));
    // Monday 2 March 10:00 until Tuesday 3 March 10:00.
    assert!(!from_ten.is_open(march(2, 9, 59), SHANGHAI));
    assert!(from_ten.is_open(march(2, 10, 0), SHANGHAI));
    assert!(from_ten.is_open(march(3, 9, 59), SHANGHAI));
    assert!(!from_ten.is_open(march(3, 10, 0), SHANGHAI));
}

#[test]
fn windows_are_read_in_the_given_timezone() {
    let friday_night = window(vec![Weekday::Fri], hm(22, 0), hm(2, 0));
    // Friday 23:00 in Shanghai is Friday 15:00 in UTC and 16:00 in Berlin (winter).
    let at = march(6, 23, 0);
    assert!(friday_night.is_open(at, SHANGHAI));
    assert!(!friday_night.is_open(at, chrono_tz::Europe::Berlin));
    assert!(!friday_night.is_open(at, chrono_tz::UTC));
}
