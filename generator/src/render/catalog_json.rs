//! `catalog/{location}.json` (what the cart of one location needs), `catalog/menus/{menu}.json`
//! (a menu, shared by every location serving it) and the private `site.json` (the whole
//! site, which the ordering functions load).
//!
//! Prices stay integers of the currency's minor unit; the cart formats them with the
//! currency exponent given here, and the server prices every order again itself.

use catalog::payment_policy::PaymentPolicy;
use catalog::{
    Campaign, Charges, Coupon, CouponKind, Currency, Issue, Labels, Localized, Location, Menu,
    Minor, Pickup, Scope, Site, Window,
};
use std::borrow::Cow;

use chrono::{DateTime, Utc};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::{Output, RenderError};
use crate::urls;
use crate::Project;

/// The catalog of one location, as the storefront's cart reads it: its hours, tables,
/// pickup, payment and coupons, and which menu it serves. The menu itself is a file of
/// its own ([`MenuCatalog`]), shared by every location that serves it: a chain of 250
/// shops on 50 menus writes 50 menus, not 250.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LocationCatalog {
    /// [`catalog::catalog_version`] of the site: sent back with orders.
    pub version: String,
    pub languages: Vec<String>,
    pub timezone: String,
    pub currency: Currency,
    pub charges: Charges,
    pub location: LocationInfo,
    /// `dine_in` and/or `pickup`.
    pub fulfilment: Vec<String>,
    /// The id of the menu served here.
    pub menu: String,
    /// Where that menu's catalog is: `/catalog/menus/{menu}.json`.
    pub menu_url: String,
    /// Public facts of the coupons usable here (never budgets or limits).
    pub coupons: Vec<PublicCoupon>,
}

/// `catalog/menus/{menu}.json`: one menu with its dishes, options and prices, and the
/// display names of its tags and allergens. It borrows the menu from the site when made
/// by [`menu_catalog`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MenuCatalog<'a> {
    /// [`catalog::catalog_version`] of the site.
    pub version: String,
    pub languages: Vec<String>,
    pub currency: Currency,
    pub menu: Cow<'a, Menu>,
    /// Display names of the tags and allergens of the menu, per language.
    #[serde(default)]
    pub labels: Labels,
}

/// A location without its menu.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LocationInfo {
    pub id: String,
    pub name: Localized,
    pub address: Localized,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    pub hours: Vec<Window>,
    pub tables: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pickup: Option<Pickup>,
    pub order_prefix: String,
    /// The methods offered and when dine-in and pickup orders are paid.
    #[serde(default)]
    pub payment: PaymentPolicy,
}

/// What a diner may know about a coupon before using it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PublicCoupon {
    pub campaign: String,
    pub campaign_name: Localized,
    /// The shared code when any diner may type it ([`Coupon::code_is_public`]); `None`
    /// for codes issued one per member, printed in batches, or members-only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    pub issue: Issue,
    pub kind: CouponKind,
    pub min_spend: Minor,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_discount: Option<Minor>,
    pub scope: Scope,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_from: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_until: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hours: Option<Window>,
}

/// `site.json`: the whole checked site and its version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SiteJson {
    pub version: String,
    pub site: Site,
}

impl PublicCoupon {
    fn new(campaign: &Campaign, coupon: &Coupon) -> Self {
        PublicCoupon {
            campaign: campaign.id.clone(),
            campaign_name: campaign.name.clone(),
            code: coupon.code_is_public().then(|| coupon.code.clone()),
            issue: coupon.issue,
            kind: coupon.kind.clone(),
            min_spend: coupon.min_spend,
            max_discount: coupon.max_discount,
            scope: coupon.scope.clone(),
            valid_from: coupon.valid_from,
            valid_until: coupon.valid_until,
            hours: coupon.hours.clone(),
        }
    }
}

/// The names of the tags and allergens `menu` uses (the cart needs no others).
fn menu_labels(labels: &Labels, menu: &Menu) -> Labels {
    let mut out = Labels::default();
    for (_, dish) in menu.dishes() {
        for tag in &dish.tags {
            if let Some(name) = labels.tags.get(tag) {
                out.tags.insert(tag.clone(), name.clone());
            }
        }
        for allergen in &dish.allergens {
            if let Some(name) = labels.allergens.get(allergen) {
                out.allergens.insert(allergen.clone(), name.clone());
            }
        }
    }
    out
}

/// The catalog of `location`, or `None` when its menu does not exist.
pub fn location_catalog(
    site: &Site,
    version: &str,
    location: &Location,
) -> Option<LocationCatalog> {
    let menu = site.menu_of(location)?;
    let mut fulfilment = Vec::new();
    if location.dine_in {
        fulfilment.push("dine_in".to_owned());
    }
    if location.pickup.is_some() {
        fulfilment.push("pickup".to_owned());
    }
    let coupons = site
        .campaigns
        .iter()
        .flat_map(|c| c.coupons.iter().map(move |k| (c, k)))
        .filter(|(_, k)| k.scope.locations.is_empty() || k.scope.locations.contains(&location.id))
        .map(|(c, k)| PublicCoupon::new(c, k))
        .collect();
    Some(LocationCatalog {
        version: version.to_owned(),
        languages: site.settings.languages.clone(),
        timezone: site.settings.timezone.name().to_owned(),
        currency: site.settings.currency.clone(),
        charges: site.settings.charges.clone(),
        location: LocationInfo {
            id: location.id.clone(),
            name: location.name.clone(),
            address: location.address.clone(),
            phone: location.phone.clone(),
            hours: location.hours.clone(),
            tables: location.tables.clone(),
            pickup: location.pickup,
            order_prefix: location.order_prefix.clone(),
            payment: location.payment.clone(),
        },
        fulfilment,
        menu: menu.id.clone(),
        menu_url: urls::menu_catalog_json(&menu.id),
        coupons,
    })
}

/// The catalog of `menu`.
pub fn menu_catalog<'a>(site: &Site, version: &str, menu: &'a Menu) -> MenuCatalog<'a> {
    MenuCatalog {
        version: version.to_owned(),
        languages: site.settings.languages.clone(),
        currency: site.settings.currency.clone(),
        labels: menu_labels(&site.settings.labels, menu),
        menu: Cow::Borrowed(menu),
    }
}

/// `catalog/{location}.json` for every location and `catalog/menus/{menu}.json` for every
/// menu a location serves. The whole site with its budgets and
/// sign-up codes ([`site_json`]) is private: it is never part of the public output.
pub fn render_catalogs(project: &Project) -> Result<Vec<Output>, RenderError> {
    let sink = super::Collect::default();
    render_catalogs_into(project, &sink)?;
    let mut outputs = sink.into_outputs();
    outputs.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(outputs)
}

/// Like [`render_catalogs`], handing each catalog to `sink` as soon as it is made, so
/// a chain's catalogs are never all in memory at once.
pub fn render_catalogs_into(project: &Project, sink: &dyn super::Sink) -> Result<(), RenderError> {
    let site = &project.site;
    site.locations.par_iter().try_for_each(|location| {
        let Some(catalog) = location_catalog(site, &project.version, location) else {
            return Ok(());
        };
        sink.put(Output::new(
            urls::catalog_json(&location.id)
                .trim_start_matches('/')
                .to_owned(),
            serde_json::to_vec(&catalog)?,
        ))
    })?;
    // Each menu a location serves, once.
    let served: std::collections::BTreeSet<&str> =
        site.locations.iter().map(|l| l.menu.as_str()).collect();
    site.menus
        .par_iter()
        .filter(|m| served.contains(m.id.as_str()))
        .try_for_each(|menu| {
            sink.put(Output::new(
                urls::menu_catalog_json(&menu.id)
                    .trim_start_matches('/')
                    .to_owned(),
                serde_json::to_vec(&menu_catalog(site, &project.version, menu))?,
            ))
        })
}

/// The private `site.json` the functions price with in production: the whole site and its version.
pub fn site_json(project: &Project) -> Result<Vec<u8>, RenderError> {
    let whole = SiteJson {
        version: project.version.clone(),
        site: project.site.clone(),
    };
    Ok(serde_json::to_vec(&whole)?)
}
