//! The JSON the generated models put on the wire, for representative requests.

use std::collections::BTreeMap;

use adobe_target::delivery::types::*;
use serde_json::json;

fn params(pairs: &[(&str, serde_json::Value)]) -> Parameters {
    Parameters(
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect(),
    )
}

/// Finishes a generated builder; the tests set every required field.
fn build<T, B>(builder: B) -> T
where
    B: TryInto<T>,
    B::Error: std::fmt::Display,
{
    builder
        .try_into()
        .unwrap_or_else(|e| panic!("a complete builder: {e}"))
}

fn web_context(url: &str) -> builder::Context {
    Context::builder()
        .channel(ChannelType::Web)
        .address(Address {
            url: Some(url.into()),
            referring_url: None,
            ..Address::default()
        })
        .screen(Screen {
            width: Some(1200.0),
            height: Some(1400.0),
            ..Default::default()
        })
        .user_agent("Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0".to_owned())
}

#[test]
fn prefetch_views_for_the_web_channel() {
    let request: DeliveryRequest = build(
        DeliveryRequest::builder()
            .request_id("req-1".to_owned())
            .id(VisitorId {
                tnt_id: Some("abcdefghijkl00023.1_1".into()),
                ..Default::default()
            })
            .context(web_context(
                "http://demo.dev.tt-demo.com/demo/store/index.html",
            ))
            .prefetch(PrefetchRequest {
                views: vec![
                    ViewRequest {
                        name: Some("home".into()),
                        ..Default::default()
                    },
                    ViewRequest::default(),
                ],
                ..Default::default()
            }),
    );
    insta::assert_json_snapshot!(request);
}

#[test]
fn execute_mboxes_with_parameters_profile_order_and_product() {
    let order_time = "2026-11-27T10:00:00Z".parse().expect("a valid time");
    let checkout: MboxRequest = build(
        MboxRequest::builder()
            .index(0)
            .name("checkout-confirmation")
            .parameters(params(&[
                ("favoriteColor", json!("blue")),
                ("cartSize", json!(3)),
            ]))
            .profile_parameters(params(&[("loyalty", json!("gold"))]))
            .order(Order {
                id: Some("order-42".into()),
                total: Some(99.95),
                purchased_product_ids: vec!["sku-1".into(), "sku-2".into()],
                time: Some(order_time),
                ..Default::default()
            })
            .product(Product {
                id: Some("sku-1".into()),
                category_id: Some("shoes".into()),
                ..Product::default()
            }),
    );
    let footer: MboxRequest = build(MboxRequest::builder().index(1).name("footer"));
    let customer: CustomerId = build(
        CustomerId::builder()
            .id("7")
            .integration_code("crm")
            .authenticated_state(AuthenticatedState::Authenticated),
    );
    let request: DeliveryRequest = build(
        DeliveryRequest::builder()
            .context(web_context("https://shop.example.com/checkout/done"))
            .id(VisitorId {
                third_party_id: Some("customer-7".into()),
                customer_ids: vec![customer],
                ..Default::default()
            })
            .property(build::<Property, _>(
                Property::builder().token("08b62abd-c3e7-dfb3-b5ec-1d2f5b6b8b26"),
            ))
            .experience_cloud(ExperienceCloud {
                analytics: Some(AnalyticsRequest {
                    logging: Some(LoggingType::ServerSide),
                    supplemental_data_id: Some("0D15FD8C4F2D4A53-6A5C9C0E3B2E4C4B".into()),
                    ..Default::default()
                }),
                audience_manager: None,
                ..ExperienceCloud::default()
            })
            .execute(ExecuteRequest {
                page_load: Some(RequestDetails {
                    parameters: Some(params(&[("pageType", json!("confirmation"))])),
                    ..Default::default()
                }),
                mboxes: vec![checkout, footer],
                ..ExecuteRequest::default()
            }),
    );
    insta::assert_json_snapshot!(request);
}

#[test]
fn notifications_for_displayed_content() {
    let display: Notification = build(
        Notification::builder()
            .id("notification-1")
            .type_(MetricType::Display)
            .timestamp(1_552_561_951_770_i64)
            .impression_id("impression-1".to_owned())
            .tokens(vec!["GcvBXDhdJFNR9E9r1tgjfmqipf".to_owned()])
            .mbox(NotificationMbox {
                name: Some("SummerOffer".into()),
                state: Some("state-token".into()),
                ..NotificationMbox::default()
            }),
    );
    let click: Notification = build(
        Notification::builder()
            .id("notification-2")
            .type_(MetricType::Click)
            .timestamp(1_552_561_952_000_i64)
            .tokens(vec!["click-token".to_owned()])
            .view(NotificationView {
                name: Some("checkout".into()),
                ..Default::default()
            }),
    );
    let request: DeliveryRequest = build(
        DeliveryRequest::builder()
            .context(web_context(
                "http://demo.dev.tt-demo.com/demo/store/index.html?ad=a",
            ))
            .id(VisitorId {
                tnt_id: Some("abcdefghijkl00014.1_1".into()),
                ..Default::default()
            })
            .notifications(vec![display, click]),
    );
    insta::assert_json_snapshot!(request);
}

#[test]
fn mobile_channel_with_screen_application_and_platform() {
    let platform: MobilePlatform = build(
        MobilePlatform::builder()
            .device_name("Pixel 9".to_owned())
            .device_type(DeviceType::Phone)
            .platform_type(MobilePlatformType::Android)
            .version("15".to_owned()),
    );
    let context = Context::builder()
        .channel(ChannelType::Mobile)
        .mobile_platform(platform)
        .application(Application {
            id: Some("com.example.shop".into()),
            name: Some("Example Shop".into()),
            version: Some("3.2.1".into()),
            ..Application::default()
        })
        .screen(Screen {
            width: Some(1080.0),
            height: Some(2400.0),
            color_depth: Some(24.0),
            pixel_ratio: Some(2.625),
            orientation: Some(ScreenOrientationType::Portrait),
            ..Screen::default()
        })
        .geo(Geo {
            latitude: Some(37.774_929_5),
            longitude: Some(-122.419_415_5),
            ..Default::default()
        })
        .time_offset_in_minutes(-480.0);
    let banner: MboxRequest = build(MboxRequest::builder().index(0).name("home-banner"));
    let request: DeliveryRequest = build(
        DeliveryRequest::builder()
            .context(context)
            .prefetch(PrefetchRequest {
                mboxes: vec![banner],
                ..Default::default()
            })
            .trace(Trace {
                authorization_token: Some("trace-token".into()),
                usage: BTreeMap::from([
                    ("b".to_owned(), "2".to_owned()),
                    ("a".to_owned(), "1".to_owned()),
                ]),
                ..Trace::default()
            }),
    );
    insta::assert_json_snapshot!(request);
}

#[test]
fn an_mbox_without_a_name_is_rejected() {
    let error = serde_json::from_value::<MboxRequest>(json!({"index": 0})).unwrap_err();
    assert!(
        error.to_string().contains("missing field `name`"),
        "{error}"
    );
}

#[test]
fn json_schema_describes_the_request() {
    let schema =
        serde_json::to_value(schemars::schema_for!(DeliveryRequest)).expect("schema serializes");
    // `context` may be left out (the SDK sends `{"channel": "web"}`, as the Node.js SDK does).
    assert_eq!(
        schema["properties"]["context"]["default"],
        json!({"channel": "web"})
    );
    assert!(schema.get("required").is_none(), "{}", schema["required"]);
    assert!(
        schema["definitions"]["MboxRequest"]["required"]
            .as_array()
            .is_some_and(|required| required.contains(&json!("name")))
    );
}
