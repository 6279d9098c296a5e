//! Opening hours and availability windows, evaluated in the site's timezone.

use chrono::{DateTime, Datelike, NaiveTime, TimeZone, Utc, Weekday};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

/// A span of a day, `from` inclusive to `until` exclusive; `until <= from` runs past midnight.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct TimeRange {
    pub from: NaiveTime,
    pub until: NaiveTime,
}

impl TimeRange {
    /// `"11:00–14:30"` for people: a range ending at midnight ends at `24:00`
    /// (`00:00–24:00` is the whole day), never at `00:00`.
    pub fn display(&self) -> String {
        let until = if self.until == NaiveTime::MIN {
            "24:00".to_owned()
        } else {
            self.until.format("%H:%M").to_string()
        };
        format!("{}–{until}", self.from.format("%H:%M"))
    }

    /// Whether `time` falls inside the range.
    pub fn contains(&self, time: NaiveTime) -> bool {
        if self.from < self.until {
            self.from <= time && time < self.until
        } else {
            time >= self.from || time < self.until
        }
    }
}

/// Days and hours in which something is open or available. Empty days means every day;
/// empty hours means all day.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Window {
    #[serde(default, skip_serializing_if = "Vec::is_empty", with = "weekdays")]
    pub days: Vec<Weekday>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hours: Vec<TimeRange>,
}

impl Window {
    /// Whether the window is open at `at`, read as local time in `tz`.
    ///
    /// A range that runs past midnight belongs to the day it starts on: with
    /// `days: [fri]` and `22:00–02:00`, Saturday 01:00 is open and Friday 01:00
    /// is not.
    pub fn is_open(&self, at: DateTime<Utc>, tz: Tz) -> bool {
        let local = tz.from_utc_datetime(&at.naive_utc());
        let today = local.weekday();
        let time = local.time();
        let day_ok = |day: Weekday| self.days.is_empty() || self.days.contains(&day);
        if self.hours.is_empty() {
            return day_ok(today);
        }
        self.hours.iter().any(|h| {
            if h.from < h.until {
                h.contains(time) && day_ok(today)
            } else {
                (time >= h.from && day_ok(today)) || (time < h.until && day_ok(today.pred()))
            }
        })
    }
}

/// Serializes weekdays as `mon`, `tue`, … .
pub mod weekdays {
    use chrono::Weekday;
    use serde::{Deserialize, Deserializer, Serializer};

    /// The short lowercase name of a weekday.
    pub fn name(day: Weekday) -> &'static str {
        match day {
            Weekday::Mon => "mon",
            Weekday::Tue => "tue",
            Weekday::Wed => "wed",
            Weekday::Thu => "thu",
            Weekday::Fri => "fri",
            Weekday::Sat => "sat",
            Weekday::Sun => "sun",
        }
    }

    /// Reads `mon`…`sun` (or the full English name, any case).
    pub fn parse(text: &str) -> Option<Weekday> {
        let t = text.trim().to_ascii_lowercase();
        [
            Weekday::Mon,
            Weekday::Tue,
            Weekday::Wed,
            Weekday::Thu,
            Weekday::Fri,
            Weekday::Sat,
            Weekday::Sun,
        ]
        .into_iter()
        .find(|d| t.starts_with(name(*d)) && t.len() >= 3)
    }

    pub fn serialize<S: Serializer>(days: &[Weekday], s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(days.iter().map(|d| name(*d)))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Weekday>, D::Error> {
        let names = Vec::<String>::deserialize(d)?;
        names
            .iter()
            .map(|n| parse(n).ok_or_else(|| serde::de::Error::custom(format!("unknown day `{n}`"))))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(h: u32, m: u32) -> NaiveTime {
        NaiveTime::from_hms_opt(h, m, 0).unwrap()
    }

    #[test]
    fn ranges_past_midnight() {
        let late = TimeRange {
            from: t(22, 0),
            until: t(2, 0),
        };
        assert!(late.contains(t(23, 0)));
        assert!(late.contains(t(1, 0)));
        assert!(!late.contains(t(12, 0)));
    }

    #[test]
    fn windows_use_the_site_timezone() {
        let breakfast = Window {
            days: vec![],
            hours: vec![TimeRange {
                from: t(7, 0),
                until: t(10, 30),
            }],
        };
        // 01:00 UTC is 09:00 in Shanghai.
        let at = Utc.with_ymd_and_hms(2026, 3, 2, 1, 0, 0).unwrap();
        assert!(breakfast.is_open(at, chrono_tz::Asia::Shanghai));
        assert!(!breakfast.is_open(at, chrono_tz::Europe::London));
    }
}
