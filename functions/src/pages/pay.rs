//! The no-JS page of a WeChat Pay Native checkout: the code to scan, and the way back to
//! the order's status page (which shows the payment once WeChat Pay reports it).

use std::fmt::Write as _;

use catalog::Site;
use qrcode::render::svg;
use qrcode::{EcLevel, QrCode};

use super::{escape, page, Words};
use crate::store::Order;

/// An SVG QR code of `data`, or `None` when it does not fit in one (it always does for a
/// provider's payment link).
pub fn qr_svg(data: &str) -> Option<String> {
    let code = QrCode::with_error_correction_level(data.as_bytes(), EcLevel::M).ok()?;
    Some(
        code.render::<svg::Color<'_>>()
            .min_dimensions(240, 240)
            .quiet_zone(true)
            .build(),
    )
}

/// The page showing `code_url` as a QR code to scan with WeChat, for `order`.
pub fn qr_page(order: &Order, code_url: &str, back: &str, site: &Site, lang: &str) -> String {
    let words = Words::of(lang);
    let (title, hint, done) = if lang.starts_with("zh") {
        (
            "微信扫码支付",
            "用微信扫一扫下面的二维码付款。",
            "付款后查看订单",
        )
    } else {
        (
            "Pay with WeChat",
            "Scan this code with WeChat to pay.",
            "Back to your order once paid",
        )
    };
    let shop = site.settings.name.get(lang, site.default_language());
    let mut body = String::new();
    let _ = writeln!(
        body,
        "<h1>{title}</h1>\n<p>{} · {} {}</p>\n<p>{hint}</p>",
        escape(shop),
        words.order,
        escape(&order.number)
    );
    match qr_svg(code_url) {
        Some(svg) => {
            let _ = writeln!(
                body,
                "<figure class=\"qr\" aria-label=\"{title}\">{svg}</figure>"
            );
        }
        None => {
            let _ = writeln!(body, "<p><code>{}</code></p>", escape(code_url));
        }
    }
    let back = if super::same_site(back) { back } else { "/" };
    let _ = writeln!(body, "<p><a href=\"{}\">{done}</a></p>", escape(back));
    page(lang, title, &body)
}
