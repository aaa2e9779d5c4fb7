//! The intake API's decoder: `serde_json` into `IntakeRequest`, as `POST /api/v1/arenden` runs it
//! on the body. Never panics on any bytes, and a request it accepts survives a round trip
//! (encoded and decoded again, it is the same request).
#![no_main]

use kontosparr::service::intake::IntakeRequest;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(req) = serde_json::from_slice::<IntakeRequest>(data) else {
        return;
    };
    let first = serde_json::to_value(&req).expect("an intake request encodes");
    let again: IntakeRequest =
        serde_json::from_value(first.clone()).expect("an encoded intake request decodes");
    let second = serde_json::to_value(&again).expect("an intake request encodes");
    assert_eq!(
        first,
        second,
        "round trip of {:?}",
        String::from_utf8_lossy(data)
    );
});
