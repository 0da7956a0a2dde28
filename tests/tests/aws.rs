//! The AWS connector against a real AWS emulator (moto, authentication on) and the real AWS CLI.

use airlock::egress::{AddressPolicy, EgressPolicy};
use airlock::instance::{ConnectorConfig, Instance};
use airlock::runtime::bindings::ClientRequest;
use airlock::runtime::{CallError, Plugin, Runtime, RuntimeOptions};
use airlock_tests::moto::{aws, Moto, BUCKET, REGION};
use std::sync::Arc;

async fn aws_plugin() -> (Runtime, Plugin) {
    let options = RuntimeOptions { address_policy: AddressPolicy::allowing(AddressPolicy::parse_cidrs("127.0.0.0/8").unwrap()), ..Default::default() };
    let runtime = Runtime::new(options).unwrap();
    let wasm = airlock::builtin::BUILTIN.iter().find(|(n, _)| *n == "aws").unwrap().1;
    let plugin = runtime.load(wasm).await.unwrap();
    (runtime, plugin)
}

fn instance(plugin: &Plugin, method: &str, attrs: &[(&str, &str)]) -> Arc<Instance> {
    Arc::new(Instance::prepare(&plugin.spec, ConnectorConfig::new(Some(method), attrs.iter().copied()), &EgressPolicy::default()).unwrap())
}

#[tokio::test]
async fn good_keys_verify_and_list_buckets_and_a_wrong_secret_is_rejected() {
    let moto = tokio::task::spawn_blocking(Moto::start).await.unwrap();
    let (runtime, plugin) = aws_plugin().await;
    let keys = [("region", REGION), ("endpoint_url", moto.url.as_str()), ("aws_access_key_id", moto.access_key_id.as_str()), ("aws_secret_access_key", moto.secret_access_key.as_str())];
    let good = instance(&plugin, "secret-key", &keys);
    let listings = runtime.verify(&plugin, good, Some("s3-bucket"), None).await.unwrap();
    assert_eq!(listings[0].resource_ids, vec![format!("s3://{BUCKET}")]);

    let mut wrong = keys;
    wrong[3].1 = "not-the-secret";
    let err = runtime.verify(&plugin, instance(&plugin, "secret-key", &wrong), Some("s3-bucket"), None).await.unwrap_err();
    assert!(matches!(&err, CallError::Connector(e) if e.code() == "unauthorized" && e.message().contains("SignatureDoesNotMatch")), "{err:?}");
}
