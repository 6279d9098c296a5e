//! Checks of `campaigns.yaml`: campaigns, their channels, and coupon rules.

use std::collections::HashMap;
use std::path::Path;

use catalog::{Campaign, Channel, Coupon, CouponKind, Location, Menu, Scope};
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};

use super::Checker;
use crate::content::{RawCoupon, RawCouponKind};
use crate::locate::{suggest, At, Problem, YamlPath};

impl Checker<'_> {
    pub(super) fn campaigns(&mut self, menus: &[Menu], locations: &[Location]) -> Vec<Campaign> {
        let loaded = self.loaded;
        let Some(parsed) = &loaded.campaigns else {
            return Vec::new();
        };
        let file = parsed.file.as_path();
        let mut out: Vec<Campaign> = Vec::new();
        let mut codes: HashMap<String, YamlPath> = HashMap::new();
        for (ci, raw) in parsed.value.campaigns.iter().enumerate() {
            let path = YamlPath::root().key("campaigns").index(ci);
            let id = raw.id.trim().to_owned();
            if self.id(file, At::Value(path.key("id")), &id, "the campaign")
                && out.iter().any(|c| c.id == id)
            {
                self.report(
                    Problem::new(
                        file,
                        At::Value(path.key("id")),
                        format!("campaign `{id}` is defined twice"),
                    )
                    .hint("campaign ids must be unique"),
                );
            }
            let name = self.text(
                file,
                &path.key("name"),
                Some(&raw.name),
                "the campaign name",
                true,
            );
            let mut channels: Vec<Channel> = Vec::new();
            for (hi, ch) in raw.channels.iter().enumerate() {
                let cpath = path.key("channels").index(hi);
                let cid = ch.id.trim().to_owned();
                if self.id(file, At::Value(cpath.key("id")), &cid, "the channel")
                    && channels.iter().any(|c| c.id == cid)
                {
                    self.report(
                        Problem::new(
                            file,
                            At::Value(cpath.key("id")),
                            format!("channel `{cid}` is defined twice in this campaign"),
                        )
                        .hint("channel ids must be unique within a campaign"),
                    );
                }
                let cname = self.text(
                    file,
                    &cpath.key("name"),
                    Some(&ch.name),
                    "the channel name",
                    true,
                );
                let location = ch.location.as_ref().map(|l| l.trim().to_owned());
                if let Some(l) = &location {
                    self.known_location(file, &cpath.key("location"), l, locations);
                }
                channels.push(Channel {
                    id: cid,
                    name: cname,
                    kind: ch.kind,
                    location,
                });
            }
            let mut coupons = Vec::new();
            for (ki, k) in raw.coupons.iter().enumerate() {
                let kpath = path.key("coupons").index(ki);
                if let Some(coupon) = self.coupon(file, &kpath, k, menus, locations, &mut codes) {
                    coupons.push(coupon);
                }
            }
            out.push(Campaign {
                id,
                name,
                channels,
                coupons,
            });
        }
        out
    }

    fn coupon(
        &mut self,
        file: &Path,
        path: &YamlPath,
        k: &RawCoupon,
        menus: &[Menu],
        locations: &[Location],
        codes: &mut HashMap<String, YamlPath>,
    ) -> Option<Coupon> {
        let code = k.code.trim().to_owned();
        let code_ok = (1..=32).contains(&code.len())
            && code
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !code_ok {
            self.report(
                Problem::new(
                    file,
                    At::Value(path.key("code")),
                    format!("`{code}` is not a coupon code"),
                )
                .hint("use 1 to 32 letters, digits, `-` or `_`, such as SPRING20"),
            );
        } else if let Some(first) = codes.get(&code.to_ascii_uppercase()) {
            let first = first.clone();
            self.report(
                Problem::new(
                    file,
                    At::Value(path.key("code")),
                    format!("coupon code `{code}` is used twice"),
                )
                .hint("codes are compared without case and must be unique")
                .related(file, first),
            );
        } else {
            codes.insert(code.to_ascii_uppercase(), path.key("code"));
        }
        if k.kind != RawCouponKind::BuyXGetY {
            for (key, value) in [("buy", k.buy), ("get", k.get), ("max_free", k.max_free)] {
                if value.is_some() {
                    self.report(
                        Problem::new(
                            file,
                            At::Key(path.key(key)),
                            format!("only a buy_x_get_y coupon has `{key}`"),
                        )
                        .hint(format!("remove `{key}`, or use `kind: buy_x_get_y`")),
                    );
                }
            }
        }
        let kind = match k.kind {
            RawCouponKind::BuyXGetY => {
                for (key, present) in [("value", k.value.is_some()), ("dish", k.dish.is_some())] {
                    if present {
                        self.report(
                            Problem::new(
                                file,
                                At::Key(path.key(key)),
                                format!("a buy_x_get_y coupon has no `{key}`"),
                            )
                            .hint("it takes `buy`, `get`, optional `max_free`, and `scope` for the dishes it counts"),
                        );
                    }
                }
                let (Some(buy), Some(get)) = (k.buy, k.get) else {
                    self.report(
                        Problem::new(
                            file,
                            At::Value(path.clone()),
                            "the buy_x_get_y coupon needs `buy` and `get`",
                        )
                        .hint("add `buy: 2` and `get: 1` for \"buy 2, get 1 free\""),
                    );
                    return None;
                };
                for (key, value) in [("buy", buy), ("get", get)] {
                    if value == 0 || value > 99 {
                        self.report(
                            Problem::new(
                                file,
                                At::Value(path.key(key)),
                                format!("`{key}` must be between 1 and 99"),
                            )
                            .hint("a cart line holds at most 99 units"),
                        );
                    }
                }
                if k.max_free == Some(0) {
                    self.report(
                        Problem::new(
                            file,
                            At::Value(path.key("max_free")),
                            "max_free of 0 makes the coupon worthless",
                        )
                        .hint("remove `max_free` for no cap"),
                    );
                }
                CouponKind::BuyXGetY {
                    buy,
                    get,
                    max_free: k.max_free,
                }
            }
            RawCouponKind::PercentOff | RawCouponKind::AmountOff => {
                if k.dish.is_some() {
                    self.report(
                        Problem::new(
                            file,
                            At::Key(path.key("dish")),
                            "only a free_item coupon names a dish",
                        )
                        .hint("to limit the coupon to dishes, use `scope: {dishes: [...]}`"),
                    );
                }
                let Some(value) = &k.value else {
                    self.report(
                        Problem::new(file, At::Value(path.clone()), "the coupon has no `value`")
                            .hint(if k.kind == RawCouponKind::PercentOff {
                                "add `value: \"20%\"`"
                            } else {
                                "add `value: \"10.00\"`"
                            }),
                    );
                    return None;
                };
                let vpath = path.key("value");
                if k.kind == RawCouponKind::PercentOff {
                    let percent = self.percent(file, &vpath, value)?;
                    if percent == 0 {
                        self.report(Problem::new(
                            file,
                            At::Value(vpath),
                            "a percent_off coupon must take off more than 0%",
                        ));
                    }
                    CouponKind::PercentOff { percent }
                } else {
                    let amount = self.money(file, &vpath, value, "the value")?;
                    if amount == 0 {
                        self.report(Problem::new(
                            file,
                            At::Value(vpath),
                            "an amount_off coupon must take off more than 0",
                        ));
                    }
                    CouponKind::AmountOff { amount }
                }
            }
            RawCouponKind::FreeItem => {
                if k.value.is_some() {
                    self.report(
                        Problem::new(
                            file,
                            At::Key(path.key("value")),
                            "a free_item coupon has no value",
                        )
                        .hint("it gives one unit of `dish:` for free; remove `value`"),
                    );
                }
                let Some(dish) = &k.dish else {
                    self.report(
                        Problem::new(
                            file,
                            At::Value(path.clone()),
                            "the free_item coupon names no `dish`",
                        )
                        .hint("add `dish: <dish id>`"),
                    );
                    return None;
                };
                let dish = dish.trim().to_owned();
                self.known_dish(file, &path.key("dish"), &dish, menus);
                CouponKind::FreeItem { dish }
            }
        };
        let min_spend = k
            .min_spend
            .as_ref()
            .and_then(|v| self.money(file, &path.key("min_spend"), v, "min_spend"))
            .unwrap_or(0);
        let max_discount = k
            .max_discount
            .as_ref()
            .and_then(|v| self.money(file, &path.key("max_discount"), v, "max_discount"));
        if max_discount == Some(0) {
            self.report(Problem::new(
                file,
                At::Value(path.key("max_discount")),
                "max_discount of 0 makes the coupon worthless",
            ));
        }
        let mut scope = Scope::default();
        if let Some(s) = &k.scope {
            let spath = path.key("scope");
            for (i, d) in s.dishes.iter().enumerate() {
                let d = d.trim().to_owned();
                self.known_dish(file, &spath.key("dishes").index(i), &d, menus);
                scope.dishes.push(d);
            }
            for (i, c) in s.categories.iter().enumerate() {
                let c = c.trim().to_owned();
                let known = !self.menus_complete
                    || menus.iter().any(|m| m.categories.iter().any(|k| k.id == c));
                if !known {
                    let all: Vec<&str> = menus
                        .iter()
                        .flat_map(|m| m.categories.iter().map(|k| k.id.as_str()))
                        .collect();
                    let hint = suggest(&c, all.iter().copied())
                        .map(|s| format!("did you mean `{s}`?"))
                        .unwrap_or_else(|| "name the id of a category of a menu".into());
                    self.report(
                        Problem::new(
                            file,
                            At::Value(spath.key("categories").index(i)),
                            format!("unknown category `{c}`"),
                        )
                        .hint(hint),
                    );
                }
                scope.categories.push(c);
            }
            for (i, l) in s.locations.iter().enumerate() {
                let l = l.trim().to_owned();
                self.known_location(file, &spath.key("locations").index(i), &l, locations);
                scope.locations.push(l);
            }
        }
        let valid_from = k
            .valid_from
            .as_ref()
            .and_then(|t| self.instant(file, &path.key("valid_from"), t, false));
        let valid_until = k
            .valid_until
            .as_ref()
            .and_then(|t| self.instant(file, &path.key("valid_until"), t, true));
        if let (Some(from), Some(until)) = (valid_from, valid_until) {
            if until <= from {
                self.report(
                    Problem::new(
                        file,
                        At::Value(path.key("valid_until")),
                        "valid_until is not after valid_from",
                    )
                    .hint("a date in valid_until is the last day the coupon can be used"),
                );
            }
        }
        let hours = k
            .hours
            .as_ref()
            .map(|w| self.window(file, &path.key("hours"), w));
        for (key, value) in [("budget", k.budget), ("per_member", k.per_member)] {
            if value == Some(0) {
                self.report(
                    Problem::new(
                        file,
                        At::Value(path.key(key)),
                        format!("{key} of 0 means the coupon can never be used"),
                    )
                    .hint(format!("remove `{key}` for no limit")),
                );
            }
        }
        // A per-member limit needs a member, so it silently makes the coupon
        // members-only; say so unless the content already does (or implies it).
        let members_implied =
            k.members_only || k.first_order_only || k.issue == Some(catalog::Issue::OnSignUp);
        if k.per_member.is_some_and(|n| n > 0) && !members_implied {
            self.warn(
                Problem::new(
                    file,
                    At::Key(path.key("per_member")),
                    "per_member makes this coupon members-only: anonymous diners are refused",
                )
                .hint("add `members_only: true` to say so, or remove `per_member` to let anyone use it"),
            );
        }
        let budget_amount = k
            .budget_amount
            .as_ref()
            .and_then(|v| self.money(file, &path.key("budget_amount"), v, "budget_amount"));
        if budget_amount == Some(0) {
            self.report(
                Problem::new(
                    file,
                    At::Value(path.key("budget_amount")),
                    "budget_amount of 0 means the coupon can never be used",
                )
                .hint("remove `budget_amount` for no limit on the money given away"),
            );
        }
        Some(Coupon {
            code,
            kind,
            min_spend,
            max_discount,
            scope,
            valid_from,
            valid_until,
            hours,
            budget: k.budget,
            per_member: k.per_member,
            issue: k.issue.unwrap_or_default(),
            budget_amount,
            first_order_only: k.first_order_only,
            members_only: k.members_only,
        })
    }

    fn known_dish(&mut self, file: &Path, path: &YamlPath, dish: &str, menus: &[Menu]) {
        if !self.menus_complete || menus.iter().any(|m| m.dish(dish).is_some()) {
            return;
        }
        let all: Vec<&str> = menus
            .iter()
            .flat_map(|m| m.dishes().map(|(_, d)| d.id.as_str()))
            .collect();
        let hint = suggest(dish, all.iter().copied())
            .map(|s| format!("did you mean `{s}`?"))
            .unwrap_or_else(|| "name the id of a dish of a menu".into());
        self.report(
            Problem::new(
                file,
                At::Value(path.clone()),
                format!("unknown dish `{dish}`"),
            )
            .hint(hint),
        );
    }

    fn known_location(&mut self, file: &Path, path: &YamlPath, id: &str, locations: &[Location]) {
        if !self.locations_complete || locations.iter().any(|l| l.id == id) {
            return;
        }
        let hint = suggest(id, locations.iter().map(|l| l.id.as_str()))
            .map(|s| format!("did you mean `{s}`?"))
            .unwrap_or_else(|| {
                if locations.is_empty() {
                    "add the location as locations/<id>.yaml".to_owned()
                } else {
                    format!(
                        "locations are: {}",
                        locations
                            .iter()
                            .map(|l| l.id.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                }
            });
        self.report(
            Problem::new(
                file,
                At::Value(path.clone()),
                format!("unknown location `{id}`"),
            )
            .hint(hint),
        );
    }

    /// An RFC 3339 instant, or a date in the site timezone: its start, or for `end`
    /// the start of the next day (so the date is the last valid day).
    fn instant(
        &mut self,
        file: &Path,
        path: &YamlPath,
        text: &str,
        end: bool,
    ) -> Option<DateTime<Utc>> {
        let text = text.trim();
        if let Ok(t) = DateTime::parse_from_rfc3339(text) {
            return Some(t.with_timezone(&Utc));
        }
        if let Ok(date) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
            let date = if end {
                date.checked_add_signed(Duration::days(1))?
            } else {
                date
            };
            let midnight = date.and_hms_opt(0, 0, 0)?;
            return self
                .timezone
                .from_local_datetime(&midnight)
                .earliest()
                .map(|t| t.with_timezone(&Utc));
        }
        self.report(
            Problem::new(
                file,
                At::Value(path.clone()),
                format!("`{text}` is not a date or time"),
            )
            .hint("write a date such as 2026-03-01 (site timezone) or 2026-03-01T09:00:00+08:00"),
        );
        None
    }
}
