//! The blocking client, from a plain thread.

use adobe_target::GetOffersOptions;
use adobe_target::blocking::TargetClient;

use crate::stub::Stub;

#[test]
fn the_blocking_client_works_without_a_runtime() {
    let server_runtime = tokio::runtime::Runtime::new().expect("a runtime for the stub");
    let stub = server_runtime.block_on(Stub::start());
    let client = TargetClient::create(stub.options()).expect("valid options");
    client.ready().expect("server-side is ready at once");
    let attrs = client
        .get_attributes(&["flags"], GetOffersOptions::default())
        .expect("a 200");
    assert_eq!(attrs.value::<u32>("flags", "limit").expect("a number"), 10);
    let threads: Vec<_> = (0..3)
        .map(|_| {
            let client = client.clone();
            std::thread::spawn(move || {
                client
                    .get_attributes(&["flags"], GetOffersOptions::default())
                    .is_ok()
            })
        })
        .collect();
    assert!(
        threads
            .into_iter()
            .all(|t| t.join().expect("the thread ran"))
    );
    assert_eq!(stub.count(), 4);
    client.flush();
    client.shutdown();
}
