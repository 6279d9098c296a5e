//! The second step of ordering without JavaScript: the options of the dishes ordered.
//!
//! A menu page carries one quantity field per dish and no option inputs: a chain's
//! 300-dish menu would otherwise carry thousands of them in every page load. When a
//! plain form orders a dish that has options and says nothing about them, the server
//! answers with this page instead of an order: the option groups of those dishes,
//! every other field of the form carried as hidden inputs, posting to the same
//! address with [`CHOSEN_FIELD`] set, so the second post places the order (or names
//! what is still missing, like any plain order).

use std::fmt::Write;

use catalog::menu::nested_group_key;
use catalog::{Cart, CartLine, Dish, Fulfilment, OptionGroup, Site};

use super::{escape, location_header, page_with_header, same_site, Words};

/// The field the options step adds: its form has been seen, optional groups left
/// empty are meant so.
pub const CHOSEN_FIELD: &str = "options";

/// The fields of the first post the options step does not carry as they came: it
/// writes the resolved table and slot, and its own marker and way back.
const REWRITTEN: [&str; 4] = ["table", "slot", CHOSEN_FIELD, "back"];

/// The lines of `cart` whose dish has option groups the form said nothing about.
pub fn lines_to_choose<'a>(site: &'a Site, cart: &'a Cart) -> Vec<(&'a CartLine, &'a Dish)> {
    cart.lines
        .iter()
        .filter(|line| line.options.is_empty())
        .filter_map(|line| {
            let (_, dish) = site.dish(&line.dish)?;
            (!dish.options.is_empty()).then_some((line, dish))
        })
        .collect()
}

/// The options step for `lines` of `cart`: their groups, and the rest of the form
/// (`fields`, as posted) carried along.
pub fn page(
    site: &Site,
    cart: &Cart,
    lines: &[(&CartLine, &Dish)],
    fields: &[(String, String)],
    back: Option<&str>,
    lang: &str,
) -> String {
    let words = Words::of(lang);
    let fallback = site.default_language();
    let mut body = String::new();
    let _ = writeln!(
        body,
        "<h1>{}</h1>\n<p>{}</p>",
        words.choose_options, words.options_intro
    );
    body.push_str("<form method=\"post\" action=\"/api/orders\">\n");
    let hidden = |body: &mut String, name: &str, value: &str| {
        let _ = writeln!(
            body,
            "<input type=\"hidden\" name=\"{}\" value=\"{}\">",
            escape(name),
            escape(value)
        );
    };
    for (name, value) in fields {
        let chosen_here = name.strip_prefix("opt.").is_some_and(|rest| {
            lines
                .iter()
                .any(|(l, _)| rest.starts_with(&format!("{}.", l.dish)))
        });
        if !chosen_here && !REWRITTEN.contains(&name.as_str()) {
            hidden(&mut body, name, value);
        }
    }
    match &cart.fulfilment {
        Fulfilment::DineIn { table } => hidden(&mut body, "table", table),
        Fulfilment::Pickup { slot } => hidden(&mut body, "slot", &slot.to_rfc3339()),
    }
    if let Some(back) = back.filter(|b| same_site(b)) {
        hidden(&mut body, "back", back);
    }
    hidden(&mut body, CHOSEN_FIELD, "chosen");
    for (line, dish) in lines {
        let _ = writeln!(
            body,
            "<section>\n<h2>{} × {}</h2>",
            line.quantity,
            escape(dish.name.get(lang, fallback))
        );
        for group in &dish.options {
            fieldset(
                &mut body, site, lang, words, &dish.id, &group.id, group, None,
            );
        }
        body.push_str("</section>\n");
    }
    let _ = writeln!(
        body,
        "<p><button type=\"submit\">{}</button></p>\n</form>",
        words.place_order
    );
    if let Some(back) = back.filter(|b| same_site(b)) {
        let _ = writeln!(
            body,
            "<p><a href=\"{}\">{}</a></p>",
            escape(back),
            words.back
        );
    }
    page_with_header(
        lang,
        words.choose_options,
        &location_header(site, &cart.location, lang),
        &body,
    )
}

/// One option group of the dish `owner` (the dish ordered) under its key `key` in
/// the cart line: radios for a single choice, boxes for several. A set meal's
/// choice that stands for a dish brings that dish's own groups, shown under it.
#[allow(clippy::too_many_arguments)]
fn fieldset(
    out: &mut String,
    site: &Site,
    lang: &str,
    words: &Words,
    owner: &str,
    key: &str,
    group: &OptionGroup,
    of: Option<&str>,
) {
    let fallback = site.default_language();
    let currency = &site.settings.currency;
    let name = format!("opt.{owner}.{key}");
    let _ = write!(out, "<fieldset data-group=\"{}\">\n<legend>", escape(key));
    if let Some(of) = of {
        let _ = write!(out, "{} · ", escape(of));
    }
    out.push_str(&escape(group.name.get(lang, fallback)));
    if group.required() {
        let _ = write!(out, " <span class=\"muted\">({})</span>", words.required);
    }
    if group.max > 1 {
        let _ = write!(
            out,
            " <span class=\"muted\">{}</span>",
            words.pick_up_to.replace("{}", &group.max.to_string())
        );
    }
    out.push_str("</legend>\n");
    let single = group.max <= 1;
    let kind = if single { "radio" } else { "checkbox" };
    if single && !group.required() {
        let _ = writeln!(
            out,
            "<label class=\"choice\"><input type=\"radio\" name=\"{}\" value=\"\" checked> {}</label>",
            escape(&name),
            words.none
        );
    }
    for choice in &group.choices {
        let choice_name = choice.name.get(lang, fallback);
        let _ = write!(
            out,
            "<label class=\"choice\"><input type=\"{kind}\" name=\"{}\" value=\"{}\"{}> {}",
            escape(&name),
            escape(&choice.id),
            if choice.sold_out { " disabled" } else { "" },
            escape(choice_name)
        );
        if choice.price_delta != 0 {
            let _ = write!(
                out,
                " <span class=\"amount muted\">+{}</span>",
                escape(&currency.display(choice.price_delta))
            );
        }
        out.push_str("</label>\n");
        // A set meal picks plain dishes: their groups, one level deep.
        let inner = match (of, choice.dish.as_deref()) {
            (None, Some(target)) => site.dish(target).map(|(_, d)| d),
            _ => None,
        };
        if let Some(inner) = inner.filter(|d| !d.options.is_empty()) {
            out.push_str("<div class=\"sub\">\n");
            for g in &inner.options {
                let key = nested_group_key(&group.id, &choice.id, &g.id);
                fieldset(out, site, lang, words, owner, &key, g, Some(choice_name));
            }
            out.push_str("</div>\n");
        }
    }
    out.push_str("</fieldset>\n");
}
